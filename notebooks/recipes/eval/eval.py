# /// script
# requires-python = ">=3.10"
# dependencies = ["numpy", "omegaconf"]
#
# [tool.runspec]
# schema = "1"
# name = "tiny/eval"
# image = "python:3.11-slim"
#
# [tool.runspec.run]
# launch = "direct"
#
# [tool.runspec.config]
# dir = "./config"
# default = "default"
#
# [tool.runspec.resources]
# nodes = 1
# gpus_per_node = 0
# ///
"""Evaluation: score the trained model on the data set and publish the metrics."""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import numpy as np
from omegaconf import OmegaConf

from nemo_runspec_nb.artifacts import setup_artifact_tracking


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True)
    args = parser.parse_args()
    cfg = OmegaConf.to_container(OmegaConf.load(args.config), resolve=True)
    assert isinstance(cfg, dict)

    model = json.loads((Path(cfg["model"]["path"]) / "model.json").read_text())
    with open(Path(cfg["data"]["path"]) / "data.csv", newline="") as handle:
        values = np.array(list(csv.reader(handle))[1:], dtype=float)
    x, y = values[:, :-1], values[:, -1]
    prediction = x @ np.array(model["weights"])
    mse = float(np.mean((prediction - y) ** 2))
    r2 = 1.0 - mse / float(np.var(y))
    print(f"eval: mse {mse:.5f} r2 {r2:.4f}", flush=True)

    out = Path(cfg["output"].get("dir") or Path(args.config).parent / "output").absolute()
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps({"mse": mse, "r2": r2}))
    tracker = setup_artifact_tracking(cfg)
    manifest = tracker.log_artifact(
        cfg["output"]["artifact"],
        out,
        metadata={"mse": mse, "r2": r2},
        type="metrics",
        used=[f"{cfg['model']['name']}:v{cfg['model']['version']}", f"{cfg['data']['name']}:v{cfg['data']['version']}"],
    )
    print(f"eval: published {manifest.name}:v{manifest.version}", flush=True)


if __name__ == "__main__":
    main()
