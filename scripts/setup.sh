#!/usr/bin/env bash
# Set up everything the project needs on a fresh Debian machine:
# system packages (as root, via apt) and the virtualenv .venv with the
# project and its dev extra, pinned by requirements/constraints.txt.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
# git: packaging; graphviz: nemo-run renders configs with `dot`; chromium: the browser test.
# (Slurm's packages are installed by scripts/local-slurm/start.sh.)
APT_PACKAGES=(git graphviz chromium)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "setup: apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: please install these system packages: ${missing[*]}" >&2
  fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($PY --version)"
  "$PY" -m venv .venv
fi
stamp=.venv/.nrs-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ requirements/constraints.txt -nt "$stamp" ]; then
  echo "setup: installing the project and its dev extra into .venv (pinned)"
  .venv/bin/python -m pip install -q -U pip setuptools wheel
  .venv/bin/python -m pip install -q -c requirements/constraints.txt -e '.[dev]'
  .venv/bin/python -m pip check
  touch "$stamp"
fi
# torch for the distributed example (torchrun, gloo on CPU), pinned to the CPU build:
# `+cpu` never resolves to the multi-GB CUDA wheel (and fails where no CPU build is offered).
TORCH_PIN=torch==2.13.0+cpu
if [ "$(.venv/bin/python -c 'import importlib.metadata as m; print(m.version("torch"))' 2>/dev/null)" != "${TORCH_PIN#torch==}" ]; then
  echo "setup: installing $TORCH_PIN into .venv"
  .venv/bin/python -m pip install -q -c requirements/constraints.txt "$TORCH_PIN"
  .venv/bin/python -m pip check
fi
echo "setup: ready ($(.venv/bin/python --version), nemo-run $(.venv/bin/python -c 'import importlib.metadata as m; print(m.version("nemo-run"))'), torch $(.venv/bin/python -c 'import importlib.metadata as m; print(m.version("torch"))'))"
