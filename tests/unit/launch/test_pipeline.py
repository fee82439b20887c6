import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nemo_runspec_nb.errors import LaunchError
from nemo_runspec_nb.launch import PipelinePlan, Step, render_pipeline, run_pipeline
from nemo_runspec_nb.launch._secrets import SECRET_FILE_NAME

PY = sys.executable


def py(name: str, code: str, **kwargs) -> Step:
    return Step.command(name, [PY, "-c", code], **kwargs)


# ------------------------------------------------------------------ local


def test_local_pipes_each_stdout_into_the_next_stdin():
    steps = [
        py("emit", "print('a'); print('b')"),
        py("upper", "import sys; sys.stdout.write(sys.stdin.read().upper())"),
        Step.command("count", ["wc", "-l"]),
    ]
    result = run_pipeline(steps)
    assert result.launcher == "local"
    assert result.returncodes == (0, 0, 0)
    assert result.stdout.strip() == "2"
    assert result.ok


def test_local_first_step_reads_nothing():
    result = run_pipeline([py("read", "import sys; print(repr(sys.stdin.read()))")])
    assert result.stdout == "''\n"


def test_local_env_and_workdir_reach_the_steps(tmp_path):
    step = py("show", "import os; print(os.environ['A'], os.environ['B'], os.getcwd())", env={"B": "step"})
    result = run_pipeline([step], env={"A": "pipe", "B": "pipe"}, cwd=tmp_path)
    assert result.stdout.split() == ["pipe", "step", str(tmp_path)]


def test_local_stderr_is_kept_per_step_and_logged_in_the_job_dir(tmp_path):
    steps = [py("one", "import sys; sys.stderr.write('e1')"), py("two", "import sys; sys.stderr.write('e2')")]
    result = run_pipeline(steps, job_dir=tmp_path / "job")
    assert result.stderr == ("e1", "e2")
    assert (tmp_path / "job" / "01-one.stderr.log").read_text() == "e1"
    assert (tmp_path / "job" / "02-two.stderr.log").read_text() == "e2"


def test_local_failure_names_the_last_failing_step_with_its_stderr():
    steps = [py("prep", "print('x')"), py("train", "import sys; sys.stderr.write('boom\\n'); sys.exit(3)")]
    with pytest.raises(LaunchError, match=r"step 'train' \(2 of 2\) exited with code 3: boom") as info:
        run_pipeline(steps)
    assert info.value.key == "train"


def test_local_failure_can_be_returned_instead():
    result = run_pipeline([py("bad", "raise SystemExit(2)")], check=False)
    assert result.returncodes == (2,)
    assert not result.ok


def test_local_timeout_kills_every_step():
    start = time.monotonic()
    with pytest.raises(LaunchError, match=r"timed out after 0\.5 s"):
        run_pipeline([py("slow", "import time; time.sleep(30)"), Step.command("cat", ["cat"])], timeout=0.5)
    assert time.monotonic() - start < 10


def test_local_missing_program_is_a_launch_error():
    with pytest.raises(LaunchError, match="step 'x' could not start"):
        run_pipeline([Step.command("x", ["/no/such/program"])])


def test_steps_must_be_unique_steps():
    with pytest.raises(LaunchError, match="a pipeline needs at least one step"):
        run_pipeline([])
    with pytest.raises(LaunchError, match="repeated: a"):
        run_pipeline([Step.command("a", ["true"]), Step.command("a", ["true"])])
    with pytest.raises(LaunchError, match="must be Step objects, not str"):
        run_pipeline(["echo hi"])  # type: ignore[list-item]


def test_unknown_launcher_suggests_one():
    with pytest.raises(LaunchError, match="unknown pipeline launcher 'sbach'") as info:
        run_pipeline([Step.command("a", ["true"])], launcher="sbach")  # type: ignore[arg-type]
    assert "Did you mean 'sbatch'?" in info.value.hint


# ------------------------------------------------------------------ sbatch script


def test_sbatch_script_runs_the_same_pipeline_and_holds_no_secret(tmp_path):
    steps = [
        Step.command("emit", ["echo", "hello world"], env={"HF_TOKEN": "hf_secret", "STAGE": "1"}),
        Step.command("upper", ["tr", "a-z", "A-Z"], workdir="/tmp"),
    ]
    result = run_pipeline(
        steps,
        "sbatch",
        env={"WANDB_PROJECT": "p", "WANDB_API_KEY": "wb_secret"},
        job_dir=tmp_path,
        startup=["echo starting"],
        sbatch_options={"partition": "debug", "time": "00:05:00", "exclusive": True, "account": None},
        submit=False,
    )
    text = result.script.read_text()
    assert result.job_id is None
    assert result.script == tmp_path / "pipeline.sbatch"
    assert "hf_secret" not in text and "wb_secret" not in text
    assert text.startswith("#!/bin/bash\n#SBATCH --job-name=runspec-emit-upper\n")
    assert "#SBATCH --partition=debug\n#SBATCH --time=00:05:00\n#SBATCH --exclusive\n" in text
    assert "account" not in text
    assert "export WANDB_PROJECT=p" in text
    assert "env STAGE=1 echo 'hello world' \\\n  | (cd /tmp && exec tr a-z A-Z)" in text
    secrets = tmp_path / SECRET_FILE_NAME
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    assert "hf_secret" in secrets.read_text() and "wb_secret" in secrets.read_text()


def test_sbatch_script_body_runs_under_bash(tmp_path):
    steps = [
        py("emit", "import os; print(os.environ['HF_TOKEN'], os.environ['STAGE'])", env={"HF_TOKEN": "tok"}),
        Step.command("upper", ["tr", "a-z", "A-Z"]),
    ]
    result = run_pipeline(steps, "sbatch", env={"STAGE": "s"}, job_dir=tmp_path, submit=False)
    out = subprocess.run(["bash", str(result.script)], capture_output=True, text=True, check=True)
    assert out.stdout == "TOK S\n"
    assert not (tmp_path / SECRET_FILE_NAME).exists(), "the script deletes the secrets file"


def test_sbatch_script_fails_like_pipefail(tmp_path):
    steps = [py("bad", "raise SystemExit(4)"), Step.command("cat", ["cat"])]
    result = run_pipeline(steps, "sbatch", job_dir=tmp_path, submit=False)
    assert subprocess.run(["bash", str(result.script)], capture_output=True, check=False).returncode == 4


def test_sbatch_needs_a_job_dir():
    with pytest.raises(LaunchError, match="needs a job_dir") as info:
        run_pipeline([Step.command("a", ["true"])], "sbatch")
    assert info.value.key == "job_dir"


def test_sbatch_submission_parses_the_job_id(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "sbatch"
    fake.write_text('#!/bin/sh\necho "$@" >> "$(dirname "$0")/args"\necho "4242;cluster"\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.chdir(tmp_path)
    steps = [Step.command("a", ["true"], env={"HF_TOKEN": "t"})]
    result = run_pipeline(steps, "sbatch", job_dir="job")  # relative: made absolute in the script
    assert result.job_id == "4242"
    assert f". {tmp_path}/job/.runspec-secrets.sh" in result.script.read_text()
    first, cleanup = (bin_dir / "args").read_text().splitlines()  # then the secrets cleanup job
    assert first.split() == ["--parsable", str(tmp_path / "job" / "pipeline.sbatch")]
    assert "--dependency=afterany:4242" in cleanup.split()


def test_sbatch_rejection_is_a_launch_error(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sbatch").write_text("#!/bin/sh\necho 'sbatch: error: invalid partition' >&2\nexit 1\n")
    (bin_dir / "sbatch").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(LaunchError, match="sbatch failed: sbatch: error: invalid partition"):
        run_pipeline([Step.command("a", ["true"])], "sbatch", job_dir=tmp_path / "job")


def test_missing_sbatch_binary_is_a_launch_error_with_a_hint(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(LaunchError, match="sbatch is not installed here") as info:
        run_pipeline([Step.command("a", ["true"])], "sbatch", job_dir=tmp_path / "job")
    assert "submit=False" in info.value.hint


# ------------------------------------------------------------------ nemo-run, preview


def test_nemo_run_launcher_hands_the_plan_to_the_submitter(tmp_path):
    seen: list[PipelinePlan] = []

    def submitter(plan: PipelinePlan) -> str:
        seen.append(plan)
        return "handle-1"

    steps = [Step.module("prep", "recipes.prep"), Step.module("train", "recipes.train")]
    result = run_pipeline(
        steps, "nemo-run", env={"A": "1", "HF_TOKEN": "t"}, job_dir=tmp_path, submitter=submitter
    )
    assert result.handle == "handle-1"
    (plan,) = seen
    assert plan.steps == tuple(steps)
    assert plan.env == {"A": "1"}
    assert plan.secrets_file == tmp_path / SECRET_FILE_NAME
    assert "python -m recipes.prep \\\n  | python -m recipes.train" in plan.script
    assert "'t'" not in plan.script


def test_nemo_run_launcher_needs_a_submitter():
    with pytest.raises(LaunchError, match='"nemo-run" launcher needs a submitter') as info:
        run_pipeline([Step.command("a", ["true"])], "nemo-run")
    assert info.value.key == "submitter"


def test_secrets_without_a_job_dir_are_refused_for_remote_launchers():
    with pytest.raises(LaunchError, match=r"secret variables \(HF_TOKEN\) need a job_dir"):
        run_pipeline([Step.command("a", ["true"])], "nemo-run", env={"HF_TOKEN": "t"}, submitter=lambda p: p)


def test_render_pipeline_names_secrets_without_writing_them(tmp_path):
    text = render_pipeline([Step.command("a", ["true"], env={"HF_TOKEN": "t"})], env={"X": "1"})
    assert "# secrets (HF_TOKEN) are sourced from an owner-only file at run time" in text
    assert "export X=1" in text
    assert "=t" not in text


# ------------------------------------------------------------------ real Slurm


def _slurm_answers() -> str | None:
    """None when the local Slurm answers, else why not."""
    if shutil.which("sinfo") is None or shutil.which("sbatch") is None:
        return "Slurm is not installed (start it with scripts/local-slurm/start.sh)"
    try:
        out = subprocess.run(
            ["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, timeout=5, check=False
        )
    except subprocess.TimeoutExpired:
        return "sinfo did not answer within 5 s"
    if out.returncode != 0 or not out.stdout.strip():
        return f"sinfo failed: {out.stderr.strip() or 'no nodes'}"
    return None


def _wait_for_slurm_job(job_id: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    state = ""
    while time.monotonic() < deadline:
        out = subprocess.run(
            ["sacct", "-n", "-X", "-P", "-o", "State", "-j", job_id],
            capture_output=True,
            text=True,
            check=False,
        )
        state = out.stdout.strip().split("\n")[0].split()[0] if out.stdout.strip() else ""
        if state and state not in ("PENDING", "RUNNING", "REQUEUED", "CONFIGURING", "COMPLETING"):
            return state
        time.sleep(0.5)
    return state or "TIMEOUT-WAITING"


@pytest.mark.slurm
def test_sbatch_pipeline_runs_on_the_local_slurm(tmp_path):
    reason = _slurm_answers()
    if reason:
        print(f"skipping: {reason}")
        pytest.skip(reason)
    job_dir = tmp_path / "job"
    steps = [
        py("emit", "import os; print('hello', os.environ['HF_TOKEN'])", env={"HF_TOKEN": "tok"}),
        Step.command("upper", ["tr", "a-z", "A-Z"]),
    ]
    result = run_pipeline(steps, "sbatch", job_dir=job_dir, sbatch_options={"time": "00:02:00"})
    assert result.job_id and result.job_id.isdigit()
    assert _wait_for_slurm_job(result.job_id, timeout=60) == "COMPLETED"
    out = Path(job_dir / f"pipeline-{result.job_id}.out").read_text()
    assert out.strip().endswith("HELLO TOK")
    assert result.secrets_cleanup_job, result.secrets_cleanup_error
    deadline = time.monotonic() + 60
    while (job_dir / SECRET_FILE_NAME).exists() and time.monotonic() < deadline:
        time.sleep(0.5)  # the cleanup job runs just after the pipeline's job
    assert not (job_dir / SECRET_FILE_NAME).exists(), "the cleanup job removes it"
