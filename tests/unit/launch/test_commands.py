"""The command a job runs, from run.launch / run.cmd / run.workdir."""

from __future__ import annotations

from pathlib import Path

import pytest

from nemo_runspec_nb.errors import LaunchError
from nemo_runspec_nb.launch import build_command, wrap_run_sh
from nemo_runspec_nb.launch._commands import rendezvous_setup, resolve_workdir
from nemo_runspec_nb.runspec import Runspec, RunspecRun

S, C = Path("/r/train.py"), Path("/j/train.yaml")


def _spec(launch: str = "direct", cmd: str | None = None, workdir: str | None = None) -> Runspec:
    return Runspec(script_path=S, run=RunspecRun(launch=launch, cmd=cmd, workdir=workdir))  # type: ignore[arg-type]


def test_direct_default_template():
    assert build_command(_spec(), script=S, config=C) == "python /r/train.py --config /j/train.yaml"


def test_python_is_direct():
    assert build_command(_spec("python"), script=S, config=C) == "python /r/train.py --config /j/train.yaml"


def test_placeholders_are_shell_quoted():
    cmd = build_command(_spec(cmd="python {script} -c {config} --x"), script=Path("/a b/t.py"), config=C)
    assert cmd == "python '/a b/t.py' -c /j/train.yaml --x"


def test_torchrun_single_node_cpu():
    cmd = build_command(_spec("torchrun"), script=S, config=C, gpus_per_node=0)
    assert cmd == "torchrun --nproc_per_node=1 --standalone /r/train.py --config /j/train.yaml"


def test_torchrun_gpus_and_gpu_keyword():
    assert build_command(_spec("torchrun"), script=S, config=C, gpus_per_node=4).startswith(
        "torchrun --nproc_per_node=4 --standalone /r/train.py"
    )
    assert "--nproc_per_node=gpu" in build_command(_spec("torchrun"), script=S, config=C, gpus_per_node="gpu")


def test_torchrun_one_node_is_standalone_exactly():
    cmd = build_command(_spec("torchrun"), script=S, config=C, gpus_per_node=2, nproc_per_node=2)
    assert cmd == "torchrun --nproc_per_node=2 --standalone /r/train.py --config /j/train.yaml"


def test_torchrun_two_nodes_rendezvous_on_the_exported_head_address():
    # nemo-run's own Slurm torchrun: node rank from Slurm, a c10d store on the first node, whose
    # address the batch script resolves (outside any container) and exports.
    cmd = build_command(_spec("torchrun"), script=S, config=C, nodes=2, gpus_per_node=2)
    assert cmd == (
        'torchrun --nproc_per_node=2 --nnodes=2 --node_rank="$SLURM_NODEID" --rdzv_id="$SLURM_JOB_ID" '
        '--rdzv_backend=c10d --rdzv_endpoint="$MASTER_ADDR:$MASTER_PORT" '
        "/r/train.py --config /j/train.yaml"
    )
    assert "scontrol" not in cmd  # NGC images have no Slurm client


def test_rendezvous_setup_exports_the_head_node_for_the_batch_script():
    assert rendezvous_setup() == [
        "# torchrun rendezvous: the first node of the allocation (resolved here, outside the container)",
        'export MASTER_ADDR="${head_node:-$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n1)}"',
        "export MASTER_PORT=$((29500 + SLURM_JOB_ID % 10000))",
    ]


def test_script_arguments_follow_the_template_shell_quoted():
    spec = _spec("torchrun")
    cmd = build_command(spec, script=S, config=C, args=["--note", "two words", "--n=3"])
    assert cmd == (
        "torchrun --nproc_per_node=1 --standalone /r/train.py --config /j/train.yaml --note 'two words' --n=3"
    )
    direct = build_command(_spec(cmd="python {script} -c {config}"), script=S, config=C, args=["x;y"])
    assert direct == "python /r/train.py -c /j/train.yaml 'x;y'"


def test_torchrun_with_a_custom_template_without_python():
    cmd = build_command(_spec("torchrun", cmd="{script} --cfg {config}"), script=S, config=C, gpus_per_node=2)
    assert cmd == "torchrun --nproc_per_node=2 --standalone /r/train.py --cfg /j/train.yaml"


def test_ray_runs_the_template_as_is():
    assert (
        build_command(_spec("ray"), script=S, config=C, nodes=2)
        == "python /r/train.py --config /j/train.yaml"
    )


def test_bad_template_and_bad_launcher():
    with pytest.raises(LaunchError, match=r"bad run\.cmd") as info:
        build_command(_spec(cmd="python {script} {nope}"), script=S, config=C)
    assert info.value.key == "run.cmd"
    with pytest.raises(LaunchError, match="Did you mean 'torchrun'"):
        build_command(_spec("torchrn"), script=S, config=C)


def test_workdir_is_relative_to_the_script():
    assert resolve_workdir(_spec()) == Path("/r")
    assert resolve_workdir(_spec(workdir="..")) == Path("/")


def test_run_script_orders_env_secrets_setup_and_command(tmp_path):
    text = wrap_run_sh(
        "python t.py",
        workdir=Path("/w"),
        name="t",
        setup="pip list >/dev/null",
        setup_lines=["module load x"],
        secret_preamble=". /j/.secrets",
        env_exports={"A": "x y"},
        state_dir=tmp_path,
    )
    lines = text.splitlines()
    assert lines[0] == "#!/usr/bin/env bash"
    order = [lines.index(x) for x in ("export A='x y'", ". /j/.secrets", "module load x", "cd /w || exit 1")]
    assert order == sorted(order)
    assert f"echo $$ > {tmp_path / 'job.pid'}" in lines
    assert lines[-1] == "exit $rc"
