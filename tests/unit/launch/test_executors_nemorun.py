"""The nemo-run adapter: version check, logging kept, exits and prompts as LaunchError, patches."""

from __future__ import annotations

import logging
import sys

import pytest

from nemo_runspec_nb.errors import LaunchError
from nemo_runspec_nb.launch import NemoRun
from nemo_runspec_nb.launch._nemorun import check_version, patch_ray_templates, patch_rsync_host_keys

pytestmark = pytest.mark.filterwarnings("ignore:starlette.middleware.wsgi is deprecated:DeprecationWarning")


def test_version_check():
    assert check_version("0.11.1") == "0.11.1"
    assert check_version().startswith("0.11.")
    with pytest.raises(LaunchError, match=r"nemo-run 0\.12\.0 is installed.*0\.11\.x only.*pip install"):
        check_version("0.12.0")


def test_experiments_do_not_take_over_logging(tmp_path):
    nemorun = NemoRun(tmp_path)
    run = nemorun.module()
    root = logging.getLogger()
    marker = logging.NullHandler()
    root.addHandler(marker)
    before = list(root.handlers), root.level
    try:
        with nemorun.guarded("create an experiment"):
            run.Experiment("t", base_dir=str(tmp_path), log_level="INFO")
        assert (list(root.handlers), root.level) == before
    finally:
        root.removeHandler(marker)


def test_system_exit_and_errors_become_launch_errors(tmp_path):
    nemorun = NemoRun(tmp_path)
    with (
        pytest.raises(LaunchError, match=r"gave up while trying to fetch logs \(exit status 1\)"),
        nemorun.guarded("fetch logs"),
    ):
        print("auth failed for user x")
        sys.exit(1)
    assert "auth failed" in nemorun.last_output
    with pytest.raises(LaunchError, match="failed to submit: ValueError: bad"), nemorun.guarded("submit"):
        raise ValueError("bad")


def test_nothing_is_printed(tmp_path, capsys):
    nemorun = NemoRun(tmp_path)
    with nemorun.guarded("talk"):
        print("noise")
    assert capsys.readouterr().out == ""


def test_rsync_patch_is_guarded_and_idempotent(tmp_path):
    NemoRun(tmp_path).module()
    rsync_module = sys.modules["nemo_run.core.tunnel.rsync"]
    assert patch_rsync_host_keys("0.11.1") is True
    first = rsync_module.rsync
    assert patch_rsync_host_keys("0.11.1") is True
    assert rsync_module.rsync is first
    assert sys.modules["nemo_run.run.experiment"].rsync is first
    assert patch_rsync_host_keys("0.12.0") is False


def test_rsync_patch_adds_accept_new(tmp_path):
    NemoRun(tmp_path).module()
    rsync_module = sys.modules["nemo_run.core.tunnel.rsync"]
    calls: list[dict] = []

    class Conn:
        connect_kwargs: dict = {}  # noqa: RUF012
        user, host, port = "u", "h", 22

        def run(self, cmd, **kwargs):
            calls.append(cmd)

        def local(self, cmd, **kwargs):
            calls.append(cmd)
            return type("Result", (), {"command": cmd})()

    rsync_module.rsync(Conn(), "/src", "/dst")
    assert any("rsync" in c and "StrictHostKeyChecking=accept-new" in c for c in calls), calls
    calls.clear()
    rsync_module.rsync(Conn(), "/src", "/dst", ssh_opts="-o StrictHostKeyChecking=yes")
    assert not any("accept-new" in c for c in calls)


def test_the_process_environment_is_left_as_it_was(tmp_path, monkeypatch):
    import subprocess

    code = (
        "import os, sys\n"
        "from nemo_runspec_nb.launch import NemoRun\n"
        "NemoRun(sys.argv[1]).module()\n"
        "import nemo_run.config as c\n"
        "print(os.environ.get('NEMORUN_HOME'), c.get_nemorun_home())\n"
    )
    monkeypatch.delenv("NEMORUN_HOME", raising=False)
    out = subprocess.run(
        [sys.executable, "-W", "ignore::DeprecationWarning", "-c", code, str(tmp_path / "home")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == ["None", str(tmp_path / "home")]


def test_ray_template_patch_finds_our_cpu_template(tmp_path):
    NemoRun(tmp_path).module()
    ray_slurm = sys.modules["nemo_run.run.ray.slurm"]
    assert patch_ray_templates("0.11.1") is True
    assert patch_ray_templates("0.11.1") is True  # idempotent
    assert getattr(ray_slurm.fill_template, "__wrapped__", None) is not None
    assert not getattr(ray_slurm.fill_template.__wrapped__, "__wrapped__", None)
    assert patch_ray_templates("0.10.0") is False
    variables = {
        "sbatch_flags": ["#SBATCH --nodes=2"],
        "env_vars": [],
        "setup_lines": "",
        "common_srun_args": "",
        "pre_ray_start_commands": "",
        "log_dir": "/j/logs",
        "cluster_dir": "/j",
        "ray_log_prefix": "ray-",
        "command": "python driver.py",
        "command_workdir": "/code",
    }
    text = ray_slurm.fill_template("ray_cpu.sub.j2", variables)
    assert "#SBATCH --nodes=2" in text
    assert "python driver.py" in text
    # nemo-run's own templates still come from nemo-run
    from pathlib import Path

    theirs = str(Path(ray_slurm.__file__).with_name("templates"))
    assert "gpus_per_node=8" in ray_slurm.fill_template("ray.sub.j2", variables, template_dir=theirs)
    assert "gpus_per_node=8" not in text
    with pytest.raises(FileNotFoundError):
        ray_slurm.fill_template("nope.sub.j2", variables)


def test_ray_on_cpu_slurm_selects_the_cpu_template(tmp_path):
    from pathlib import Path

    from nemo_runspec_nb.launch import build_executor
    from nemo_runspec_nb.runspec import Runspec, RunspecResources, RunspecRun

    spec = Runspec(
        script_path=Path("/r/t.py"), run=RunspecRun(launch="ray"), resources=RunspecResources(2, 0)
    )
    profile = {"executor": "slurm", "account": "a"}
    nemorun = NemoRun(tmp_path)
    assert build_executor(profile, spec, nemorun=nemorun).ray_template == "ray_cpu.sub.j2"
    assert build_executor({**profile, "gpus_per_node": 8}, spec, nemorun=nemorun).ray_template == "ray.sub.j2"
    assert build_executor({**profile, "ray_template": "x.j2"}, spec, nemorun=nemorun).ray_template == "x.j2"


def test_main_source_patch_lets_a_sourceless_main_through(tmp_path, monkeypatch):
    from nemo_runspec_nb.launch._nemorun import patch_main_source_copy

    NemoRun(tmp_path).module()
    experiment = sys.modules["nemo_run.run.experiment"].Experiment
    assert patch_main_source_copy("0.11.1") is True
    wrapper = experiment._save_jobs
    assert patch_main_source_copy("0.11.1") is True and experiment._save_jobs is wrapper
    assert patch_main_source_copy("0.12.0") is False

    def raising(message):
        def original(self):
            raise OSError(message)

        return original

    # The wrapper calls the original it closed over; exercise its rule through fresh wraps.
    monkeypatch.setattr(experiment, "_save_jobs", raising("could not get source code"))
    assert patch_main_source_copy("0.11.1") is True
    assert experiment._save_jobs(object()) is None  # the sourceless __main__ is let through
    monkeypatch.setattr(experiment, "_save_jobs", raising("disk full"))
    assert patch_main_source_copy("0.11.1") is True
    with pytest.raises(OSError, match="disk full"):
        experiment._save_jobs(object())  # any other OSError still fails the submission


def test_the_three_corrections_share_one_wrapper_that_restores(tmp_path):
    import threading

    from nemo_runspec_nb.launch._nemorun import PATCHES, RAY_TEMPLATES, RSYNC_HOST_KEYS, install, restore

    NemoRun(tmp_path).module()
    rsync_module = sys.modules["nemo_run.core.tunnel.rsync"]
    experiment_module = sys.modules["nemo_run.run.experiment"]
    ray_slurm = sys.modules["nemo_run.run.ray.slurm"]
    assert len(PATCHES) == 3
    patched = rsync_module.rsync
    try:
        assert restore(RSYNC_HOST_KEYS) is True
        original = rsync_module.rsync
        assert original is patched.__wrapped__
        assert experiment_module.rsync is original  # the modules that imported it by name, too
        assert restore(RSYNC_HOST_KEYS) is False  # nothing left to restore

        # installing from several threads at once wraps exactly once
        threads = [threading.Thread(target=install, args=(RSYNC_HOST_KEYS, "0.11.1")) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert rsync_module.rsync.__wrapped__ is original
        assert experiment_module.rsync is rsync_module.rsync
        assert install(RAY_TEMPLATES, "0.12.0") is False  # other series are left alone
        assert ray_slurm.fill_template.__name__ == "fill_template"  # the wrapper looks like the original
    finally:
        install(RSYNC_HOST_KEYS, "0.11.1")
    assert experiment_module.rsync is rsync_module.rsync
