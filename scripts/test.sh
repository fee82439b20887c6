#!/usr/bin/env bash
# The whole test suite, as CI runs it: setup if needed, linters, the layer
# contract, type checks, then pytest over unit, integration and notebook tests.
# Extra arguments go to pytest (e.g. `bash scripts/test.sh -k spec`).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
# The real services the integration tests use (each start is idempotent; set
# NRS_SKIP_SLURM=1 / NRS_SKIP_SSH=1 / NRS_SKIP_GPU_SLURM=1 to leave one out: its tests
# then skip, saying why). The GPU-shaped cluster runs beside the single-node one; its
# first start builds enroot + pyxis and the image, which later starts on this machine reuse.
if [ "${NRS_SKIP_SLURM:-0}" != 1 ]; then bash scripts/local-slurm/start.sh; fi
if [ "${NRS_SKIP_SSH:-0}" != 1 ]; then bash scripts/local-ssh/start.sh; fi
if [ "${NRS_SKIP_GPU_SLURM:-0}" != 1 ]; then
  bash scripts/gpu-slurm/start.sh
  export NRS_GPU_SLURM_CONF=/etc/slurm-gpu/slurm.conf
fi

echo "== ruff"; .venv/bin/ruff check nemo_runspec_nb tests benchmarks scripts
echo "== import-linter"; .venv/bin/lint-imports
echo "== mypy"; .venv/bin/mypy
echo "== pytest: unit, integration (local nemo-run, Slurm, Slurm over SSH, GPU-shaped Slurm) and browser tests"
# pytest exits 5 when no test ran; with set -e that fails the run, as it should.
.venv/bin/python -m pytest -p no:cacheprovider "$@"
if [ $# -eq 0 ]; then
  echo "== pytest --nbval: every notebook runs top to bottom"
  .venv/bin/python -m pytest -p no:cacheprovider --nbval --nbval-current-env \
    --nbval-sanitize-with tests/nbval-sanitize.cfg notebooks/
fi
