"""Profile keys -> nemo-run executor fields (objects built for real, nothing submitted)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nemo_runspec_nb.errors import LaunchError
from nemo_runspec_nb.launch import NemoRun, build_executor, resolve_resources
from nemo_runspec_nb.launch._commands import rendezvous_setup
from nemo_runspec_nb.launch._executors import PROFILE_KEYS, executor_kind, setup_lines
from nemo_runspec_nb.runspec import Runspec, RunspecResources, RunspecRun


@pytest.fixture(scope="module")
def nemorun(tmp_path_factory) -> NemoRun:
    return NemoRun(tmp_path_factory.mktemp("nemorun"))


def _spec(nodes: int = 1, gpus: int | str = 8, image: str | None = None, launch: str = "torchrun") -> Runspec:
    return Runspec(
        script_path=Path("/r/train.py"),
        name="train",
        image=image,
        run=RunspecRun(launch=launch),  # type: ignore[arg-type]
        resources=RunspecResources(nodes=nodes, gpus_per_node=gpus),
    )


# nemo-run -> leptonai -> fastapi imports starlette.middleware.wsgi, deprecated in starlette.
pytestmark = pytest.mark.filterwarnings("ignore:starlette.middleware.wsgi is deprecated:DeprecationWarning")

SLURM = {"executor": "slurm", "account": "acct", "partition": "debug"}


def test_no_profile_is_local(nemorun):
    ex = build_executor(None, _spec(), nemorun=nemorun)
    assert type(ex).__name__ == "LocalExecutor"
    assert ex.ntasks_per_node == 1
    assert type(ex.packager).__name__ == "Packager"


def test_unknown_executor_suggests_the_closest():
    with pytest.raises(LaunchError, match=r"unknown executor 'slrum'.*Did you mean 'slurm'\?") as info:
        executor_kind({"executor": "slrum"})
    assert info.value.key == "executor"


def test_slurm_keys_map_onto_the_executor(nemorun, tmp_path):
    profile = {
        **SLURM,
        "nodes": 2,
        "ntasks_per_node": 4,
        "gpus_per_node": 8,
        "cpus_per_task": 6,
        "time": "00:30:00",
        "mem": "64G",
        "exclusive": True,
        "mounts": ["/data:/data"],
        "setup_lines": ["module load cuda", "echo hi"],
        "env_vars": {"A": "1"},
        "container_image": "nvcr.io/x:1",
    }
    ex = build_executor(profile, _spec(image="other:2"), nemorun=nemorun, env_vars={"B": "2"})
    assert type(ex).__name__ == "SlurmExecutor"
    assert (ex.account, ex.partition, ex.nodes, ex.ntasks_per_node) == ("acct", "debug", 2, 4)
    assert (ex.gpus_per_node, ex.cpus_per_task, ex.time, ex.mem, ex.exclusive) == (
        8,
        6,
        "00:30:00",
        "64G",
        True,
    )
    assert ex.container_image == "nvcr.io/x:1"
    assert ex.container_mounts == ["/data:/data"]
    # a 2-node torchrun job: the rendezvous export comes first, the profile's lines after it
    assert ex.setup_lines == "\n".join([*rendezvous_setup(), "module load cuda", "echo hi"])
    assert ex.env_vars == {"A": "1", "B": "2"}
    assert type(ex.tunnel).__name__ == "LocalTunnel"
    assert ex.tunnel.job_dir == str(nemorun.home / "experiments")


def test_only_multi_node_torchrun_jobs_export_the_rendezvous_address(nemorun):
    two = build_executor({**SLURM, "nodes": 2}, _spec(gpus=2), nemorun=nemorun)
    assert two.setup_lines == "\n".join(rendezvous_setup())
    assert "export MASTER_ADDR=" in two.setup_lines
    one = build_executor(SLURM, _spec(nodes=1, gpus=2), nemorun=nemorun)
    assert not one.setup_lines
    direct = build_executor({**SLURM, "nodes": 2}, _spec(gpus=2, launch="direct"), nemorun=nemorun)
    assert not direct.setup_lines


def test_slurm_falls_back_to_the_runspec_resources_and_image(nemorun):
    ex = build_executor(SLURM, _spec(nodes=3, gpus=4, image="img:1"), nemorun=nemorun)
    assert (ex.nodes, ex.gpus_per_node, ex.container_image) == (3, 4, "img:1")
    # torchrun starts the node's processes itself: one task per node
    assert ex.ntasks_per_node == 1


def test_gpu_means_the_cluster_decides(nemorun):
    ex = build_executor(SLURM, _spec(gpus="gpu"), nemorun=nemorun)
    assert ex.gpus_per_node is None
    assert resolve_resources(SLURM, _spec(gpus="gpu")).gpus_per_node == "gpu"


def test_empty_container_image_in_profile_means_no_container(nemorun):
    ex = build_executor({**SLURM, "container_image": ""}, _spec(image="img:1"), nemorun=nemorun)
    assert ex.container_image is None


def test_run_and_batch_partitions(nemorun):
    profile = {**SLURM, "run_partition": "interactive", "batch_partition": "batch"}
    assert build_executor(profile, _spec(), nemorun=nemorun, mode="run").partition == "interactive"
    assert build_executor(profile, _spec(), nemorun=nemorun, mode="batch").partition == "batch"


def test_ssh_tunnel(nemorun, tmp_path):
    key = tmp_path / "id_ed25519"
    profile = {
        **SLURM,
        "host": "login.example",
        "user": "me",
        "identity": str(key),
        "remote_job_dir": "/lustre/me",
    }
    ex = build_executor(profile, _spec(), nemorun=nemorun)
    assert type(ex.tunnel).__name__ == "SSHTunnel"
    assert (ex.tunnel.host, ex.tunnel.user, ex.tunnel.identity, ex.tunnel.job_dir) == (
        "login.example",
        "me",
        str(key),
        "/lustre/me",
    )


def test_ssh_tunnel_never_prompts(nemorun):
    profile = {**SLURM, "host": "h", "user": "u", "remote_job_dir": "/j"}
    ex = build_executor(profile, _spec(), nemorun=nemorun)
    with pytest.raises(LaunchError, match="password"):
        ex.tunnel.fallback_auth_handler("Password: ")


def test_slurm_needs_an_account(nemorun):
    with pytest.raises(LaunchError, match="needs 'account'") as info:
        build_executor({"executor": "slurm"}, _spec(), nemorun=nemorun)
    assert info.value.key == "account"


def test_startup_commands_is_the_seed_name_of_setup_lines():
    assert setup_lines({"startup_commands": "a\nb"}) == ["a", "b"]
    assert setup_lines({"setup_lines": ["x"]}) == ["x"]
    assert setup_lines({}) == []


def test_local_caps_gpus_at_what_the_machine_has(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    assert resolve_resources({}, _spec(nodes=4, gpus=8)).gpus_per_node == 2
    assert resolve_resources({}, _spec(nodes=4, gpus=8)).nodes == 1
    assert resolve_resources({}, _spec(gpus="gpu")).gpus_per_node == 2
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert resolve_resources({}, _spec(gpus=8)).gpus_per_node == 0
    assert resolve_resources({"gpus_per_node": 1}, _spec(gpus=8)).gpus_per_node == 1


def test_docker(nemorun):
    profile = {"executor": "docker", "mounts": ["/a:/b"], "shm_size": "8g", "gpus_per_node": 2}
    ex = build_executor(profile, _spec(image="img:1"), nemorun=nemorun)
    assert type(ex).__name__ == "DockerExecutor"
    assert (ex.container_image, ex.num_gpus, ex.volumes, ex.shm_size) == ("img:1", 2, ["/a:/b"], "8g")


def test_dgxcloud(nemorun):
    profile = {
        "executor": "dgxcloud",
        "base_url": "https://dgx.example/api",
        "kube_apiserver_url": "https://k8s.example",
        "project_name": "p",
        "pvc_nemo_run_dir": "/pvc/nemo-run",
        "nodes": 2,
        "gpus_per_node": 8,
    }
    ex = build_executor(profile, _spec(image="img:1"), nemorun=nemorun)
    assert type(ex).__name__ == "DGXCloudExecutor"
    assert (ex.base_url, ex.project_name, ex.nodes, ex.gpus_per_node, ex.nprocs_per_node) == (
        "https://dgx.example/api",
        "p",
        2,
        8,
        8,
    )


def test_lepton(nemorun):
    profile = {
        "executor": "lepton",
        "nemo_run_dir": "/nemo-run",
        "resource_shape": "gpu.8xh100",
        "gpus_per_node": 8,
    }
    ex = build_executor(profile, _spec(image="img:1"), nemorun=nemorun)
    assert type(ex).__name__ == "LeptonExecutor"
    assert (ex.container_image, ex.nemo_run_dir, ex.resource_shape, ex.gpus_per_node) == (
        "img:1",
        "/nemo-run",
        "gpu.8xh100",
        8,
    )


def test_missing_service_keys_are_named(nemorun):
    with pytest.raises(LaunchError, match="needs 'base_url'"):
        build_executor({"executor": "dgxcloud"}, _spec(image="i"), nemorun=nemorun)


def test_unreachable_dgxcloud_is_a_clear_error():
    from nemo_runspec_nb.launch import check_reachable

    with pytest.raises(LaunchError, match="not reachable"):
        check_reachable({"executor": "dgxcloud", "base_url": "http://127.0.0.1:9/"}, timeout=2)


def test_every_documented_key_is_in_the_docs():
    docs = (Path(__file__).parents[3] / "docs" / "executors.md").read_text()
    for kind, keys in PROFILE_KEYS.items():
        assert f"`{kind}`" in docs
        for key in keys:
            assert f"`{key}`" in docs, (kind, key)


def test_each_executor_kind_is_one_entry_in_each_table():
    from nemo_runspec_nb.launch import EXECUTORS
    from nemo_runspec_nb.launch._executors import BUILDERS, CHECKS

    assert tuple(PROFILE_KEYS) == tuple(BUILDERS) == tuple(CHECKS) == EXECUTORS
