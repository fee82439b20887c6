"""The facade on the local Slurm cluster: compose + package (code packager) + submit,
attached streaming, and a prep -> train chain whose artifact the second job resolves."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

import nemo_runspec_nb as nrs

RECIPES = Path(__file__).resolve().parents[2] / "notebooks" / "recipes"

pytestmark = [pytest.mark.slurm, pytest.mark.usefixtures("slurm_cluster")]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch) -> Path:
    """A git repo holding a copy of the example recipes and a profile that packs the code."""
    root = tmp_path / "repo"
    shutil.copytree(RECIPES, root / "recipes", ignore=shutil.ignore_patterns(".nemotron"))
    env = root / "recipes" / "env.toml"
    env.write_text(env.read_text() + '\n[local-slurm-code]\nextends = "local-slurm"\npackager = "code"\n')
    (root / ".gitignore").write_text(".nemotron/\n")
    for cmd in (
        ["init", "-q"],
        ["add", "."],
        ["-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "x"],
    ):
        subprocess.run(["git", *cmd], cwd=root, check=True)
    monkeypatch.chdir(root)
    for var in ("NEMOTRON_ENV_FILE", "NEMOTRON_ARTIFACTS_ROOT"):
        monkeypatch.delenv(var, raising=False)
    return root


def test_chain_on_slurm_with_packaged_code_and_attached_streaming(repo: Path):
    prep = nrs.Recipe(repo / "recipes" / "prep" / "prep.py")
    progress: list[tuple[int, int]] = []
    job = prep.compose("tiny", ["data.rows=64"], profile="local-slurm-code", mode="batch")
    assert job.preview().script_kind == "sbatch"
    handle = job.launch(progress=lambda done, total: progress.append((done, total)))
    state = handle.wait(timeout=180)
    assert state.status.value == "SUCCEEDED", handle.logs()
    assert progress and progress[-1][0] == progress[-1][1] > 0  # the packager reported, to the end
    assert (handle.job_dir / "code" / "recipes" / "prep" / "prep.py").is_file()  # ran from the package
    assert "published tiny-data:v1" in handle.logs()

    train = nrs.Recipe(repo / "recipes" / "train" / "train.py", session=prep.session)
    chunks: list[str] = []
    trained = train.compose("tiny", ["model.epochs=4"], profile="local-slurm", mode="run").launch(
        detach=False, on_output=chunks.append, timeout=180
    )
    assert trained.status().status.value == "SUCCEEDED", trained.logs()
    streamed = "".join(chunks)
    assert streamed.count("epoch 4/4") == 1  # streamed once: nothing lost, nothing repeated
    pinned = yaml.safe_load((trained.job_dir / "train.yaml").read_text())
    assert pinned["data"]["path"] == prep.session.registry().get("tiny-data:v1").path
    assert prep.session.registry().get("tiny-model").metadata["epochs"] == 4
