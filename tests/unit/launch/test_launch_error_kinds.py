"""Each launch failure raises the LaunchError subclass that says what went wrong.

ExecutorError: the profile cannot become an executor (unknown kind, bad key, unreachable).
PackagingError: the code or the image cannot be packaged. SubmissionError: nemo-run or the
scheduler failed. Every one of them is still caught by ``except LaunchError``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from nemo_runspec_nb.errors import ExecutorError, LaunchError, PackagingError, SubmissionError
from nemo_runspec_nb.launch import (
    CodePackager,
    NemoRun,
    SelfContainedPackager,
    Step,
    build_executor,
    check_reachable,
    container_to_sqsh_name,
    ensure_squashed_image,
    resolve_resources,
    run_pipeline,
)
from nemo_runspec_nb.launch._remote import SSHTarget, ssh_target

pytestmark = pytest.mark.filterwarnings("ignore:starlette.middleware.wsgi is deprecated:DeprecationWarning")


@pytest.fixture(scope="module")
def nemorun(tmp_path_factory) -> NemoRun:
    return NemoRun(tmp_path_factory.mktemp("nemorun"))


def _raises(kind: type[LaunchError], match: str):
    assert issubclass(kind, LaunchError)
    return pytest.raises(kind, match=match)


# ------------------------------------------------------------------ ExecutorError


def test_an_unknown_executor_kind_is_an_executor_error(nemorun):
    with _raises(ExecutorError, "unknown executor 'slrum'"):
        build_executor({"executor": "slrum"}, nemorun=nemorun)


def test_a_missing_or_malformed_profile_key_is_an_executor_error(nemorun):
    with _raises(ExecutorError, "needs 'account'"):
        build_executor({"executor": "slurm"}, nemorun=nemorun)
    with _raises(ExecutorError, "'nodes' must be an integer"):
        resolve_resources({"executor": "slurm", "nodes": "two"})
    with _raises(ExecutorError, "unknown tunnel 'sss'"):
        build_executor({"executor": "slurm", "account": "a", "tunnel": "sss"}, nemorun=nemorun)
    with _raises(ExecutorError, "remote_job_dir"):
        ssh_target({"executor": "slurm", "host": "login"})


def test_an_unreachable_service_is_an_executor_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no sbatch, no docker
    with _raises(ExecutorError, "'sbatch' is not on PATH"):
        check_reachable({"executor": "slurm", "account": "a"})
    with _raises(ExecutorError, "Docker daemon is not reachable"):
        check_reachable({"executor": "docker", "container_image": "img"})


def test_a_refused_ssh_login_is_an_executor_error():
    target = SSHTarget(host="127.0.0.1", user="nobody", remote_job_dir="/r", port=9, connect_timeout=2)
    with _raises(ExecutorError, "SSH to nobody@127.0.0.1:9 failed"):
        target.run("true", what="check the login")


def test_nemo_run_refusing_to_build_an_executor_is_an_executor_error(nemorun):
    with _raises(ExecutorError, "nemo-run failed to build LocalExecutor: TypeError"):
        nemorun.make("LocalExecutor", no_such_field=1)


# ------------------------------------------------------------------ PackagingError


def test_code_that_cannot_be_packaged_is_a_packaging_error(tmp_path, monkeypatch):
    script = tmp_path / "train.py"
    script.write_text("print('hi')\n")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # no repo above tmp_path counts
    with _raises(PackagingError, "needs the recipe to be inside a git repository"):
        CodePackager().package(script, tmp_path / "job")
    with _raises(PackagingError, "recipe script not found"):
        SelfContainedPackager().package(tmp_path / "nope.py", tmp_path / "job")
    broken = tmp_path / "broken.py"
    broken.write_text("def (:\n")
    with _raises(PackagingError, "cannot inline: syntax error"):
        SelfContainedPackager().package(broken, tmp_path / "job")


def test_an_image_that_cannot_be_squashed_is_a_packaging_error():
    class Failing:
        def run(self, command: str):
            return type(
                "Result", (), {"stdout": "missing" if "echo" in command else "denied", "return_code": 1}
            )()

    with _raises(PackagingError, "not a container image"):
        container_to_sqsh_name("")
    with _raises(PackagingError, "enroot import of 'ubuntu:22.04' failed with exit code 1"):
        ensure_squashed_image(Failing(), "ubuntu:22.04", "/sq")


# ------------------------------------------------------------------ SubmissionError


def test_nemo_run_failing_while_submitting_is_a_submission_error(tmp_path):
    nemorun = NemoRun(tmp_path)
    with (
        _raises(SubmissionError, r"gave up while trying to submit \(exit status 1\)"),
        nemorun.guarded("submit"),
    ):
        sys.exit(1)
    with _raises(SubmissionError, "failed to submit: ValueError: bad"), nemorun.guarded("submit"):
        raise ValueError("bad")


def test_a_launch_error_raised_inside_nemo_run_code_keeps_its_kind(tmp_path):
    with pytest.raises(PackagingError), NemoRun(tmp_path).guarded("submit"):
        raise PackagingError("from our own code")


def test_the_scheduler_refusing_a_job_is_a_submission_error(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sbatch").write_text("#!/bin/sh\necho 'sbatch: error: invalid partition' >&2\nexit 1\n")
    (bin_dir / "sbatch").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    with _raises(SubmissionError, "sbatch failed: sbatch: error: invalid partition"):
        run_pipeline([Step.command("a", ["true"])], "sbatch", job_dir=tmp_path / "job")


def test_a_step_that_cannot_start_is_a_submission_error(tmp_path):
    with _raises(SubmissionError, "step 'x' could not start"):
        run_pipeline([Step.command("x", [str(Path(tmp_path) / "no-such-program")])])
