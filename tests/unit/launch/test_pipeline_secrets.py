"""A submitted pipeline keeps its secrets file for a requeue; a cleanup job removes it at the end."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nemo_runspec_nb.errors import LaunchError
from nemo_runspec_nb.launch import PipelinePlan, Step, run_pipeline
from nemo_runspec_nb.launch._secrets import SECRET_FILE_NAME, cleanup_job_argv

PY = sys.executable

FAKE_SBATCH = """#!/bin/sh
# one argument a line, then '--'; the pipeline gets 4242, a --dependency job 4243
for arg in "$@"; do printf '%s\\n' "$arg"; done >> "$(dirname "$0")/calls"
echo -- >> "$(dirname "$0")/calls"
case "$*" in
  *--dependency=*) {cleanup} ;;
  *) {pipeline} ;;
esac
"""


def fake_sbatch(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    cleanup: str = 'echo "4243"',
    pipeline: str = 'echo "4242;cluster"',
) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "sbatch"
    fake.write_text(FAKE_SBATCH.format(cleanup=cleanup, pipeline=pipeline))
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return bin_dir / "calls"


def calls(log: Path) -> list[list[str]]:
    if not log.exists():
        return []
    out: list[list[str]] = [[]]
    for line in log.read_text().splitlines():
        if line == "--":
            out.append([])
        else:
            out[-1].append(line)
    return out[:-1]


def secret_step() -> Step:
    code = "import os; print('token', os.environ.get('HF_TOKEN', 'missing'))"
    return Step.command("emit", [PY, "-c", code], env={"HF_TOKEN": "hf_secret"})


def test_submitted_pipeline_body_keeps_the_secrets_file_for_a_requeue(tmp_path, monkeypatch):
    fake_sbatch(tmp_path, monkeypatch)
    job_dir = tmp_path / "job"
    result = run_pipeline([secret_step()], "sbatch", job_dir=job_dir)
    secrets = job_dir / SECRET_FILE_NAME
    text = result.script.read_text()
    assert f". {secrets}" in text
    assert "rm -f" not in text and "hf_secret" not in text
    # the batch script runs again after a requeue: both runs get the secret
    for _ in range(2):
        out = subprocess.run(["bash", str(result.script)], capture_output=True, text=True, check=True)
        assert out.stdout == "token hf_secret\n"
    assert secrets.exists()


def test_cleanup_job_waits_for_the_pipeline_job_on_its_partition_and_account(tmp_path, monkeypatch):
    log = fake_sbatch(tmp_path, monkeypatch)
    job_dir = tmp_path / "job"
    result = run_pipeline(
        [secret_step()],
        "sbatch",
        job_dir=job_dir,
        sbatch_options={"partition": "debug", "account": "acct", "time": "00:05:00"},
    )
    assert result.job_id == "4242"
    assert result.secrets_cleanup_job == "4243"
    assert result.secrets_cleanup_error is None
    pipeline_call, cleanup_call = calls(log)
    assert pipeline_call == ["--parsable", str(job_dir / "pipeline.sbatch")]
    expected = cleanup_job_argv(
        job_dir / SECRET_FILE_NAME, "4242", name="runspec-cleanup-4242", partition="debug", account="acct"
    )
    assert ["sbatch", *cleanup_call] == expected
    assert "--dependency=afterany:4242" in cleanup_call and "--no-requeue" in cleanup_call


def test_cleanup_job_takes_qos_and_underscored_option_names(tmp_path, monkeypatch):
    log = fake_sbatch(tmp_path, monkeypatch)
    run_pipeline(
        [secret_step()],
        "sbatch",
        job_dir=tmp_path / "job",
        sbatch_options={"partition": "batch", "qos": "low", "exclusive": True, "account": None},
    )
    cleanup_call = calls(log)[1]
    assert "--partition=batch" in cleanup_call and "--qos=low" in cleanup_call
    assert not any(arg.startswith(("--account", "--exclusive")) for arg in cleanup_call)


def test_failed_cleanup_submission_is_reported_and_the_pipeline_still_runs(tmp_path, monkeypatch):
    fake_sbatch(
        tmp_path, monkeypatch, cleanup="echo 'sbatch: error: QOSMaxSubmitJobPerUserLimit' >&2; exit 1"
    )
    job_dir = tmp_path / "job"
    result = run_pipeline([secret_step()], "sbatch", job_dir=job_dir)
    secrets = job_dir / SECRET_FILE_NAME
    assert result.job_id == "4242"
    assert result.secrets_cleanup_job is None
    assert result.secrets_cleanup_error is not None
    assert f"the secrets file stays at {secrets}" in result.secrets_cleanup_error
    assert "QOSMaxSubmitJobPerUserLimit" in result.secrets_cleanup_error
    assert secrets.exists(), "the submitted job still needs it"


def test_no_cleanup_job_without_secrets(tmp_path, monkeypatch):
    log = fake_sbatch(tmp_path, monkeypatch)
    result = run_pipeline([Step.command("a", ["true"])], "sbatch", job_dir=tmp_path / "job")
    assert result.job_id == "4242"
    assert len(calls(log)) == 1
    assert (result.secrets_cleanup_job, result.secrets_cleanup_error) == (None, None)


def test_refused_pipeline_submission_removes_the_secrets_file(tmp_path, monkeypatch):
    log = fake_sbatch(tmp_path, monkeypatch, pipeline="echo 'sbatch: error: invalid partition' >&2; exit 1")
    job_dir = tmp_path / "job"
    with pytest.raises(LaunchError, match="invalid partition"):
        run_pipeline([secret_step()], "sbatch", job_dir=job_dir)
    assert not list(job_dir.glob(f"{SECRET_FILE_NAME}*")), "no job will read it"
    assert len(calls(log)) == 1, "no cleanup job for a job that does not exist"


def test_unsubmitted_script_still_deletes_the_file_it_reads(tmp_path):
    # nothing would remove a kept file of a script the user submits by hand
    result = run_pipeline([secret_step()], "sbatch", job_dir=tmp_path, submit=False)
    assert f"rm -f {tmp_path / SECRET_FILE_NAME}" in result.script.read_text()


def test_nemo_run_plan_still_deletes_the_file_it_reads(tmp_path):
    seen: list[PipelinePlan] = []
    run_pipeline([secret_step()], "nemo-run", job_dir=tmp_path, submitter=seen.append)
    assert f"rm -f {tmp_path / SECRET_FILE_NAME}" in seen[0].script
