#!/usr/bin/env bash
# The main job in one command: set up the environment, execute
# notebooks/01-quickstart.ipynb headless on the embedded default (nemo-run
# LocalExecutor on this machine, local artifact store), then print the job and
# artifact tables and where the executed notebook is.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

out=build/quickstart
mkdir -p "$out"
echo "quickstart: executing notebooks/01-quickstart.ipynb (headless, local executor)"
start=$(date +%s)
.venv/bin/jupyter nbconvert --to notebook --execute notebooks/01-quickstart.ipynb \
  --output-dir "$out" --output 01-quickstart.ipynb \
  --ExecutePreprocessor.timeout=900 --ExecutePreprocessor.kernel_name=python3 \
  --log-level=WARN
echo "quickstart: notebook ran in $(( $(date +%s) - start )) s"

.venv/bin/python - <<'PY'
import pandas as pd

import nemo_runspec_nb as nrs
from nemo_runspec_nb import artifacts

pd.set_option("display.width", 200)
pd.set_option("display.max_colwidth", 60)
session = nrs.Session("notebooks/recipes/env.toml")
jobs = session.jobs()
print("\n== jobs (newest first)")
print(jobs[["name", "status", "exit_code", "executor", "submitted", "job_dir"]].head(10).to_string(index=False))
print("\n== artifacts")
print(artifacts.table(session.registry())[["name", "latest", "versions", "type", "producer"]].to_string(index=False))

PY
echo
echo "executed notebook: $(pwd)/$out/01-quickstart.ipynb"
