# /// script
# requires-python = ">=3.10"
# dependencies = ["numpy", "omegaconf"]
#
# [tool.runspec]
# schema = "1"
# name = "tiny/prep"
# image = "python:3.11-slim"
# setup = "numpy and omegaconf; nemo_runspec_nb for artifact tracking"
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
#
# [tool.runspec.env]
# OMP_NUM_THREADS = "1"
# ///
"""Data preparation: make a small synthetic regression data set and publish it.

Writes ``data.csv`` (features x0..xN-1 and target y) and ``schema.json`` next
to the job's config, then publishes the folder as the artifact named in
``output.artifact`` (default ``tiny-data``).
"""

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

    rows, features = int(cfg["data"]["rows"]), int(cfg["data"]["features"])
    rng = np.random.default_rng(int(cfg["seed"]))
    weights = rng.normal(size=features)
    x = rng.normal(size=(rows, features))
    y = x @ weights + float(cfg["data"]["noise"]) * rng.normal(size=rows)

    out = Path(cfg["output"].get("dir") or Path(args.config).parent / "output").absolute()
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "data.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([f"x{i}" for i in range(features)] + ["y"])
        writer.writerows([*map(float, row), float(target)] for row, target in zip(x, y))
    (out / "schema.json").write_text(json.dumps({"features": features, "target": "y"}))
    print(f"prep: wrote {rows} rows x {features} features to {out}", flush=True)

    tracker = setup_artifact_tracking(cfg)
    manifest = tracker.log_artifact(
        cfg["output"]["artifact"],
        out,
        metadata={"rows": rows, "features": features, "noise": float(cfg["data"]["noise"])},
        type="dataset",
    )
    print(f"prep: published {manifest.name}:v{manifest.version}", flush=True)


if __name__ == "__main__":
    main()
