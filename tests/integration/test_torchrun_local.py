"""examples/recipes/ddp/allreduce.py on this machine: torchrun with 2 CPU processes (gloo).

Through the Python API and the CLI (whose passthrough argument reaches the script);
every rank's line is in the job's log, the all-reduce sum is right on each, and rank 0
publishes the result as an artifact.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import nemo_runspec_nb as nrs
from nemo_runspec_nb.cli import app

pytestmark = pytest.mark.nemorun

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "recipes"
TIMEOUT = 180
RANK_LINE = re.compile(
    r"^allreduce: rank=(?P<rank>\d+) world=(?P<world>\d+) local_rank=(?P<local>\d+) .*"
    r"sum=(?P<sum>\d+) expected=(?P<expected>\d+) (?P<verdict>OK|WRONG)$",
    re.MULTILINE,
)


@pytest.fixture
def recipes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "recipes"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".nemotron", "__pycache__"))
    monkeypatch.chdir(root)
    for var in ("NEMOTRON_ENV_FILE", "NEMOTRON_ARTIFACTS_ROOT", "CUDA_VISIBLE_DEVICES"):
        monkeypatch.delenv(var, raising=False)
    return root


def _ranks(logs: str) -> dict[int, re.Match[str]]:
    found = {int(m["rank"]): m for m in RANK_LINE.finditer(logs)}
    assert found, logs
    return found


def test_two_processes_all_reduce_and_publish_through_the_api(recipes: Path) -> None:
    recipe = nrs.Recipe(recipes / "ddp" / "allreduce.py")
    job = recipe.compose(profile="local", passthrough=["--note", "from the API"])
    assert "torchrun --nproc_per_node=2 --standalone" in job.preview().script
    handle = job.launch()
    try:
        state = handle.wait(timeout=TIMEOUT, poll=0.5)
    finally:
        if not handle.status().done:
            handle.cancel()
    logs = handle.logs()
    assert state.status.value == "SUCCEEDED", logs
    ranks = _ranks(logs)
    assert sorted(ranks) == [0, 1]  # a line from every rank
    for rank, line in ranks.items():
        assert (line["world"], line["local"], line["verdict"]) == ("2", str(rank), "OK")
        assert (line["sum"], line["expected"]) == ("3", "3")  # 1 + 2
    manifest = recipe.session.registry().get("ddp-allreduce")
    assert manifest.metadata["sum"] == 3 and manifest.metadata["world_size"] == 2
    assert manifest.metadata["note"] == "from the API"
    assert manifest.producer == f"ddp/allreduce@{handle.job_dir.name}"
    result = json.loads((Path(manifest.path) / "result.json").read_text())
    assert result["sum"] == 3
    assert f"published ddp-allreduce:v{manifest.version} (sum 3)" in logs


def test_the_cli_runs_it_attached_and_hands_the_passthrough_argument_to_the_script(recipes: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["--env-file", str(recipes / "env.toml"), "run", "ddp/allreduce.py", "-r", "local", "--note", "cli"],
        prog_name="runspec",
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    ranks = _ranks(result.stdout)  # streamed while attached
    assert sorted(ranks) == [0, 1] and {m["sum"] for m in ranks.values()} == {"3"}
    assert "published  ddp-allreduce:v1" in result.stdout
    registry = nrs.Session(recipes / "env.toml").registry()
    assert registry.get("ddp-allreduce:v1").metadata["note"] == "cli"
