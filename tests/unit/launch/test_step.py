import dataclasses

import pytest

from nemo_runspec_nb.errors import LaunchError
from nemo_runspec_nb.launch import Step


def test_module_step_runs_python_dash_m():
    step = Step.module("prep", "recipes.data_prep", ["--out", "/data"], env={"A": "1"})
    assert step.argv == ("python", "-m", "recipes.data_prep", "--out", "/data")
    assert step.env == {"A": "1"}
    assert step.shell() == "python -m recipes.data_prep --out /data"


def test_module_step_can_use_another_interpreter():
    assert Step.module("x", "m", python="/venv/bin/python").argv[0] == "/venv/bin/python"


def test_module_name_is_checked():
    with pytest.raises(LaunchError, match=r"step 'x': 'recipes/train\.py' is not a module name"):
        Step.module("x", "recipes/train.py")


def test_torchrun_on_one_node_is_standalone():
    step = Step.torchrun("train", "recipes/train.py", ["--lr", "0.1"], nproc_per_node=8)
    assert step.argv == ("torchrun", "--nproc-per-node=8", "--standalone", "recipes/train.py", "--lr", "0.1")


def test_torchrun_module_and_word_nproc():
    step = Step.torchrun("train", "recipes.train", nproc_per_node="gpu", module=True)
    assert step.argv == ("torchrun", "--nproc-per-node=gpu", "--standalone", "-m", "recipes.train")


def test_torchrun_on_several_nodes_uses_a_rendezvous():
    step = Step.torchrun("train", "t.py", nproc_per_node=4, nnodes=2, rdzv_endpoint="node1:29500")
    assert step.argv == (
        "torchrun",
        "--nproc-per-node=4",
        "--nnodes=2",
        "--rdzv-backend=c10d",
        "--rdzv-endpoint=node1:29500",
        "t.py",
    )


def test_torchrun_on_several_nodes_needs_an_endpoint():
    with pytest.raises(LaunchError, match="torchrun on 2 nodes needs rdzv_endpoint") as info:
        Step.torchrun("train", "t.py", nnodes=2)
    assert info.value.key == "rdzv_endpoint"


@pytest.mark.parametrize("bad", [0, -1, "many", 1.5, True])
def test_torchrun_nproc_must_be_positive_or_a_torchrun_word(bad):
    with pytest.raises(LaunchError, match="nproc_per_node must be a positive integer"):
        Step.torchrun("train", "t.py", nproc_per_node=bad)


def test_srun_wraps_any_step_with_its_flags():
    step = Step.module("eval", "recipes.eval").srun(
        nodes=2, ntasks_per_node=1, cpus_per_task=4, container_image="img:1", extra_args=["--mpi=none"]
    )
    assert step.argv == (
        "srun",
        "--nodes=2",
        "--ntasks-per-node=1",
        "--cpus-per-task=4",
        "--container-image=img:1",
        "--mpi=none",
        "python",
        "-m",
        "recipes.eval",
    )
    assert step.name == "eval"


def test_srun_checks_counts():
    with pytest.raises(LaunchError, match="nodes must be a positive integer, not 0"):
        Step.command("x", ["true"]).srun(nodes=0)


def test_command_is_quoted_for_the_shell():
    assert Step.command("x", ["echo", "a b", "$HOME"]).shell() == "echo 'a b' '$HOME'"


def test_steps_and_their_env_are_immutable():
    step = Step.command("x", ["true"], env={"A": "1"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        step.name = "y"  # type: ignore[misc]
    with pytest.raises(TypeError):
        step.env["B"] = "2"  # type: ignore[index]


@pytest.mark.parametrize("name", ["", "a b", "-x", "a/b", None])
def test_invalid_names_are_refused(name):
    with pytest.raises(LaunchError, match="invalid step name") as info:
        Step.command(name, ["true"])
    assert info.value.key == "name"


def test_argv_must_be_a_list_not_a_string():
    with pytest.raises(LaunchError, match="argv must be a list of arguments, not a string") as info:
        Step("x", "echo hi")  # type: ignore[arg-type]
    assert "['echo', 'hi']" in info.value.hint


def test_argv_must_not_be_empty():
    with pytest.raises(LaunchError, match="argv must be a non-empty list of strings"):
        Step.command("x", [])
