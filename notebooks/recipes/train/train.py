# /// script
# requires-python = ">=3.10"
# dependencies = ["numpy", "omegaconf"]
#
# [tool.runspec]
# schema = "1"
# name = "tiny/train"
# image = "python:3.11-slim"
#
# [tool.runspec.run]
# launch = "direct"
# cmd = "python {script} --config {config}"
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
"""Training: fit a linear model by gradient descent on the prep stage's data.

The data comes in through ``${art:data,path}`` (``run.data`` names the
artifact). Writes ``model.json`` and publishes it as ``output.artifact``
with the final loss, recording the data set it used.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import numpy as np
from omegaconf import OmegaConf

from nemo_runspec_nb.artifacts import setup_artifact_tracking


def load(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with open(path / "data.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    values = np.array(rows[1:], dtype=float)
    return values[:, :-1], values[:, -1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True)
    args = parser.parse_args()
    cfg = OmegaConf.to_container(OmegaConf.load(args.config), resolve=True)
    assert isinstance(cfg, dict)

    x, y = load(Path(cfg["data"]["path"]))
    w = np.zeros(x.shape[1])
    lr, epochs = float(cfg["model"]["lr"]), int(cfg["model"]["epochs"])
    loss = float("nan")
    for epoch in range(1, epochs + 1):
        error = x @ w - y
        loss = float(np.mean(error**2))
        w -= lr * 2 * x.T @ error / len(y)
        if epoch % max(1, epochs // 5) == 0 or epoch == epochs:
            print(f"train: epoch {epoch}/{epochs} loss {loss:.5f}", flush=True)
        time.sleep(float(cfg["model"].get("sleep_per_epoch", 0.0)))

    out = Path(cfg["output"].get("dir") or Path(args.config).parent / "output").absolute()
    out.mkdir(parents=True, exist_ok=True)
    (out / "model.json").write_text(json.dumps({"weights": w.tolist(), "loss": loss}))
    tracker = setup_artifact_tracking(cfg)
    manifest = tracker.log_artifact(
        cfg["output"]["artifact"],
        out,
        metadata={"loss": loss, "epochs": epochs, "lr": lr},
        type="model",
        inputs=[f"{cfg['data']['name']}:v{cfg['data']['version']}"],
    )
    print(f"train: published {manifest.name}:v{manifest.version} (loss {loss:.5f})", flush=True)


if __name__ == "__main__":
    main()
