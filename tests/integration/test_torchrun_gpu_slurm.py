"""examples/recipes/ddp/allreduce.py on the GPU-shaped Slurm cluster: 2 nodes x 2 GPUs.

torchrun runs inside the enroot image (pyxis) on node1 and node2, 2 processes each, and
rendezvous on the head node the batch script exported. From the CLI, the notebook magics
and the form: the sum on all 4 ranks, each node's GPUs (``CUDA_VISIBLE_DEVICES``,
``SLURM_JOB_GPUS``), every rank's log line, cancel, and a second job that waits
``PENDING (Resources)`` while the first holds the GPUs, as the job monitor shows.
"""

from __future__ import annotations

import re
import shutil
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import nemo_runspec_nb as nrs
from nemo_runspec_nb.cli import app
from nemo_runspec_nb.launch import JobHandle, JobStatus

pytestmark = pytest.mark.gpu_slurm

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "recipes"
TIMEOUT = 240
PROFILE = "gpu-2x2"
RANK_LINE = re.compile(
    r"^allreduce: rank=(?P<rank>\d+) world=(?P<world>\d+) local_rank=(?P<local>\d+) node=(?P<node>\S+) "
    r"node_rank=\S+ cuda_visible_devices=(?P<cuda>\S+) slurm_job_gpus=(?P<job_gpus>\S+) "
    r"sum=(?P<sum>\d+) expected=(?P<expected>\d+) (?P<verdict>OK|WRONG)$",
    re.MULTILINE,
)


@pytest.fixture
def recipes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gpu_slurm: Any) -> Iterator[Path]:
    """A copy of examples/recipes with a profile for the GPU-shaped cluster; jobs cancelled after."""
    root = tmp_path / "recipes"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".nemotron", "__pycache__"))
    env = root / "env.toml"
    env.write_text(env.read_text() + _profile(gpu_slurm, tmp_path))
    monkeypatch.chdir(root)
    for var in ("NEMOTRON_ENV_FILE", "NEMOTRON_ARTIFACTS_ROOT", "CUDA_VISIBLE_DEVICES"):
        monkeypatch.delenv(var, raising=False)
    yield root
    for record in (root / ".nemotron" / "jobs").glob("*/job.json"):  # never leave a job holding GPUs
        handle = JobHandle.from_job_dir(record.parent)
        if not handle.status().done:
            handle.cancel()


def _profile(cluster: Any, tmp_path: Path) -> str:
    mounts = [*cluster.mounts, f"{tmp_path}:{tmp_path}"]
    return textwrap.dedent(
        f"""
        [{PROFILE}]
        executor = "slurm"
        account = "{cluster.account}"
        partition = "{cluster.partition}"
        nodes = 2
        gpus_per_node = 2
        cpus_per_task = 1
        time = "00:10:00"
        packager = "none"
        container_image = "{cluster.image}"
        mounts = {mounts!r}
        srun_args = ["--container-env=PATH"]
        """
    ).replace("'", '"')


def _ranks(logs: str) -> dict[int, re.Match[str]]:
    return {int(m["rank"]): m for m in RANK_LINE.finditer(logs)}


def _check_four_ranks(logs: str, *, gpus: tuple[str, ...] = ("0,1",)) -> None:
    """All 4 ranks reported the right sum, 2 on each node, each node with 2 GPUs of its own."""
    ranks = _ranks(logs)
    assert sorted(ranks) == [0, 1, 2, 3], logs  # a line from every rank
    for line in ranks.values():
        assert (line["world"], line["sum"], line["expected"], line["verdict"]) == ("4", "10", "10", "OK")
    by_node: dict[str, list[re.Match[str]]] = {}
    for line in ranks.values():
        by_node.setdefault(line["node"], []).append(line)
    assert sorted(by_node) == ["node1", "node2"], logs
    for node, lines in by_node.items():
        assert sorted(int(line["local"]) for line in lines) == [0, 1], node
        for line in lines:  # what Slurm gave this node's task
            assert line["cuda"] in gpus and len(line["cuda"].split(",")) == 2, line.group(0)
            assert line["job_gpus"] != "-" and len(line["job_gpus"].split(",")) == 2, line.group(0)


def _wait_for(handle: JobHandle, status: JobStatus, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while handle.status().status is not status:
        assert not handle.status().done, (handle.status(), handle.logs())
        assert time.monotonic() < deadline, f"{handle.job_dir.name} never reached {status}"
        time.sleep(0.5)


def _wait_for_ranks(handle: JobHandle, timeout: float = TIMEOUT) -> str:
    deadline = time.monotonic() + timeout
    while len(_ranks(logs := handle.logs())) < 4:
        assert not handle.status().done, logs
        assert time.monotonic() < deadline, logs
        time.sleep(0.5)
    return logs


def test_the_cli_runs_2_nodes_x_2_ranks_in_the_image(recipes: Path) -> None:
    runner = CliRunner()
    argv = ["--env-file", str(recipes / "env.toml")]
    result = runner.invoke(
        app, [*argv, "run", "ddp/allreduce.py", "-r", PROFILE, "--note", "cli"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    _check_four_ranks(result.stdout)  # streamed while attached
    job = re.search(r"job\s+(\d{8}-\d{6}-ddp-allreduce)", result.stdout)
    assert job, result.stdout
    logs = runner.invoke(app, [*argv, "logs", job.group(1)], catch_exceptions=False)
    _check_four_ranks(logs.stdout)  # and read back afterwards
    handle = JobHandle.from_job_dir(recipes / ".nemotron" / "jobs" / job.group(1))
    sbatch = (handle.job_dir / "sbatch.sh").read_text()
    assert "--container-image" in sbatch and 'export MASTER_ADDR="${head_node:-' in sbatch
    manifest = nrs.Session(recipes / "env.toml").registry().get("ddp-allreduce")
    assert manifest.metadata["sum"] == 10 and list(manifest.metadata["nodes"]) == ["node1", "node2"]
    assert manifest.metadata["note"] == "cli"


def test_the_magics_queue_a_second_gpu_job_behind_the_first_and_cancel_it(recipes: Path) -> None:
    from IPython.core.interactiveshell import InteractiveShell

    from nemo_runspec_nb.notebook import JobMonitor

    InteractiveShell.clear_instance()
    shell = InteractiveShell.instance()
    try:
        shell.run_line_magic("load_ext", "nemo_runspec_nb")
        first = shell.run_cell_magic(
            "recipe", f"ddp/allreduce.py -b {PROFILE} --name first", "hold_seconds=60"
        )
        assert isinstance(first, JobHandle) and shell.user_ns["first"] is first
        _wait_for(first, JobStatus.RUNNING)
        # 4 GPUs per node: with 2 of them held by the first job, Slurm has to make this one wait
        second = shell.run_cell_magic("recipe", f"ddp/allreduce.py -b {PROFILE}", "run.env.gpus_per_node=4")
        monitor = JobMonitor(second, poll=0.5, start=False)
        # (Jobs of others submitted earlier may keep it at "Priority" for a while: wait for them.)
        deadline = time.monotonic() + 50
        while monitor.activity.value != "Resources" and time.monotonic() < deadline:
            time.sleep(0.5)
            monitor.refresh()
        assert monitor.status == "PENDING" and monitor.activity.value == "Resources", monitor.activity.value
        assert first.status().status is JobStatus.RUNNING
        listed = shell.run_line_magic("jobs", "")
        assert set(listed["status"]) == {"RUNNING", "PENDING"}
        monitor.cancel_button.click()
        deadline = time.monotonic() + 30
        while monitor.status != "CANCELLED" and time.monotonic() < deadline:
            time.sleep(0.3)
        assert monitor.status == "CANCELLED"
        assert second.status().status is JobStatus.CANCELLED
        _check_four_ranks(_wait_for_ranks(first))
        assert first.cancel().status is JobStatus.CANCELLED  # no need to hold the GPUs any longer
    finally:
        InteractiveShell.clear_instance()


def test_the_form_launches_it_and_its_monitor_follows_it_to_the_end(recipes: Path) -> None:
    from nemo_runspec_nb.notebook import RecipeForm

    recipe = nrs.Recipe(recipes / "ddp" / "allreduce.py", session=nrs.Session(recipes / "env.toml"))
    form = RecipeForm(recipe, poll=0.5)
    form.profile.value = PROFILE
    assert (form.nodes.value, form.gpus.value) == (2, 2)
    form.preview_button.click()
    assert form.preview is not None and 'node_rank="$SLURM_NODEID"' in form.preview.command
    form.launch_button.click()
    handle, monitor = form.handle, form.monitor
    assert handle is not None and monitor is not None, form.message.value
    state = monitor.wait(timeout=TIMEOUT)
    assert state.status is JobStatus.SUCCEEDED and monitor.status == "SUCCEEDED", handle.logs()
    _check_four_ranks(handle.logs())
    assert "rank=3 world=4" in monitor.log_view.value  # the monitor's log tail has every rank
    manifest = recipe.session.registry().get("ddp-allreduce")
    assert manifest.producer == f"ddp/allreduce@{handle.job_dir.name}" and manifest.metadata["sum"] == 10


def test_two_jobs_sharing_the_nodes_keep_their_rendezvous_apart(recipes: Path) -> None:
    # Each takes 2 of the 4 GPUs on both nodes: they run at once with the same first node.
    recipe = nrs.Recipe(recipes / "ddp" / "allreduce.py", session=nrs.Session(recipes / "env.toml"))
    handles = [
        recipe.compose(overrides=["hold_seconds=20"], profile=PROFILE, mode="batch").launch()
        for _ in range(2)
    ]
    for handle in handles:
        _wait_for(handle, JobStatus.RUNNING)
    states = [handle.wait(timeout=TIMEOUT, poll=0.5) for handle in handles]
    assert [s.status for s in states] == [JobStatus.SUCCEEDED] * 2, [h.logs() for h in handles]
    gpus = [set(m["cuda"] for m in _ranks(h.logs()).values()) for h in handles]
    for handle in handles:
        _check_four_ranks(handle.logs(), gpus=("0,1", "2,3"))
    assert gpus[0] != gpus[1]  # the second job got the other GPUs of each node
