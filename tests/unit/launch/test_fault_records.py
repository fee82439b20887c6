"""Fault injection on job records and job liveness: nothing lost, nothing leaked, no traceback.

Every case damages one job dir (or kills what a job depends on) next to a healthy one and checks
that listings keep working, that asking for the damaged job gives one typed error, and that no
wait or follow can block forever.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nemo_runspec_nb as nrs
from nemo_runspec_nb.errors import JobRecordError, LaunchError
from nemo_runspec_nb.launch import JobHandle, JobStatus, LogFollower, jobs
from nemo_runspec_nb.launch import _records as rec

RECIPES = Path(__file__).resolve().parents[3] / "notebooks" / "recipes"
DEAD_PID = 2**22 + 7  # above the default pid_max of 4194304: never a live process


def follow(handle: JobHandle, on_output: Callable[[str], None], *, poll: float) -> Any:
    """What ``runspec logs --follow`` does: wait, passing new text of the job's own log along."""
    return handle.wait(poll=poll, on_output=on_output, follower=LogFollower(handle, sbatch_fallback=True))


def _record(job_dir: Path, **fields: Any) -> Path:
    job_dir.mkdir(parents=True, exist_ok=True)
    base = {
        "format": 1,
        "name": job_dir.name,
        "executor": "local",
        "status": "SUCCEEDED",
        "exit_code": 0,
        "job_id": "1",
        "submitted": "2026-01-01T00:00:00+00:00",
    }
    (job_dir / "job.json").write_text(json.dumps({**base, **fields}))
    return job_dir


def _good_record_text() -> str:
    return json.dumps(
        {
            "format": 1,
            "name": "demo",
            "executor": "slurm",
            "status": "RUNNING",
            "exit_code": None,
            "job_id": "42",
            "submitted": "2026-01-01T00:00:00+00:00",
            "resources": {"nodes": 1, "gpus_per_node": 0},
        },
        indent=2,
    )


def _ends(fn: Callable[[], Any], seconds: float = 20.0) -> Any:
    """Run ``fn`` in a thread; fail (instead of hanging the suite) when it does not return in time."""
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(fn()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still waiting after {seconds} s"
    return out[0]


# -- damaged records --------------------------------------------------------------------------------
def _write(text: str | bytes) -> Callable[[Path], None]:
    def damage(path: Path) -> None:
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)

    return damage


def _replace_with_dir(path: Path) -> None:
    path.unlink()
    path.mkdir()
    (path / "inner").write_text("{}")


def _fields(**fields: Any) -> Callable[[Path], None]:
    def damage(path: Path) -> None:
        data = json.loads(path.read_text())
        for key, value in fields.items():
            if value is _MISSING:
                data.pop(key, None)
            else:
                data[key] = value
        path.write_text(json.dumps(data))

    return damage


_MISSING = object()

DAMAGE: dict[str, tuple[Callable[[Path], None], str]] = {
    "not UTF-8": (_write(b'{"name": "caf\xe9", "status": "RUNNING"}'), "UTF-8"),
    "truncated": (_write('{"format": 1, "name": "demo", "stat'), "JSON"),
    "truncated mid-write": (_write(_good_record_text()[: len(_good_record_text()) // 2]), "JSON"),
    "empty": (_write(""), "empty"),
    "whitespace only": (_write("  \n"), "empty"),
    "JSON array": (_write("[1, 2, 3]"), "JSON object"),
    "JSON string": (_write('"job"'), "JSON object"),
    "JSON null": (_write("null"), "JSON object"),
    "binary garbage": (_write(bytes(range(256)) * 4), "UTF-8"),
    "NUL bytes": (_write(b"\x00" * 64), "JSON"),
    "a directory": (_replace_with_dir, "directory"),
    "unknown status": (_fields(status="EXPLODED"), "status"),
    "status of the wrong type": (_fields(status=3), "status"),
    "garbage runner_pid": (_fields(runner_pid="not-a-pid"), "runner_pid"),
    "negative runner_pid": (_fields(runner_pid=-5), "runner_pid"),
    "boolean runner_pid": (_fields(runner_pid=True), "runner_pid"),
    "exit code as text": (_fields(exit_code="three"), "exit_code"),
    "exit code as float": (_fields(exit_code=1.5), "exit_code"),
    "missing status": (_fields(status=_MISSING), "status"),
    "missing executor": (_fields(executor=_MISSING), "executor"),
    "unknown executor": (_fields(executor="cloud9"), "executor"),
    "name of the wrong type": (_fields(name=["a"]), "name"),
    "ssh entry without host": (_fields(executor="slurm", ssh={"user": "u"}), "ssh"),
    "submitted as a number": (_fields(submitted=12), "submitted"),
    "NaN exit code": (
        _write('{"format": 1, "name": "n", "executor": "local", "status": "FAILED", "exit_code": NaN}'),
        "exit_code",
    ),
}


@pytest.fixture
def two_jobs(tmp_path: Path) -> tuple[Path, Path, Path]:
    root = tmp_path / "jobs"
    good = _record(root / "20260102-000000-good", submitted="2026-01-02T00:00:00+00:00")
    bad = _record(root / "20260101-000000-bad")
    return root, good, bad


@pytest.mark.parametrize("case", sorted(DAMAGE))
@pytest.mark.parametrize("refresh", [True, False])
def test_a_damaged_record_is_one_damaged_row_in_the_listing(two_jobs, case: str, refresh: bool) -> None:
    root, good, bad = two_jobs
    damage, _ = DAMAGE[case]
    damage(bad / "job.json")
    frame = jobs(root, refresh=refresh)
    rows = {Path(p).name: row for p, row in zip(frame["job_dir"], frame.to_dict("records"), strict=True)}
    assert set(rows) == {good.name, bad.name}
    assert rows[good.name]["status"] == "SUCCEEDED"
    assert rows[bad.name]["status"] == "DAMAGED"
    assert rows[bad.name]["job_dir"] == str(bad)
    assert str(bad / "job.json") in rows[bad.name]["reason"]
    assert frame["job_dir"].iloc[0] == str(good)  # healthy jobs first, newest first


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_asking_for_a_damaged_job_is_one_typed_error(two_jobs, case: str) -> None:
    _, _, bad = two_jobs
    damage, words = DAMAGE[case]
    damage(bad / "job.json")
    with pytest.raises(JobRecordError) as info:
        JobHandle.from_job_dir(bad)
    err = info.value
    assert isinstance(err, LaunchError)
    assert err.path == bad / "job.json"
    assert words.lower() in str(err).lower()
    assert "\n" not in str(err)
    assert err.hint


def test_a_json_syntax_error_names_its_line(tmp_path: Path) -> None:
    job_dir = _record(tmp_path / "j")
    (job_dir / "job.json").write_text('{\n  "name": "x",\n  "status": RUNNING\n}\n')
    with pytest.raises(JobRecordError) as info:
        JobHandle.from_job_dir(job_dir)
    assert info.value.line == 3
    assert str(info.value).startswith(f"{job_dir / 'job.json'}:3: ")


def test_an_unreadable_record_is_a_damaged_row(two_jobs) -> None:
    root, _, bad = two_jobs
    path = bad / "job.json"
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as root: a chmod 000 file stays readable, so this case cannot be made")
        frame = jobs(root)
        assert list(frame["status"]) == ["SUCCEEDED", "DAMAGED"]
        with pytest.raises(JobRecordError, match="cannot be read"):
            JobHandle.from_job_dir(bad)
    finally:
        path.chmod(0o644)


def test_the_status_vocabulary_has_damaged() -> None:
    assert JobStatus("DAMAGED") is JobStatus.DAMAGED
    assert not JobStatus.DAMAGED.done


def test_the_job_lookup_by_recipe_name_skips_a_non_object_record(tmp_path: Path) -> None:
    from nemo_runspec_nb.cli._job_lookup import find_job_dir

    root = tmp_path / "jobs"
    _record(root / "20260101-000000-tiny-prep", name="tiny/prep")
    (root / "20260102-000000-other").mkdir()
    (root / "20260102-000000-other" / "job.json").write_text("[]")
    assert find_job_dir("tiny/prep", root) == root / "20260101-000000-tiny-prep"


def test_the_job_lookup_finds_a_dir_whose_record_is_a_directory(tmp_path: Path) -> None:
    from nemo_runspec_nb.cli._job_lookup import find_job_dir

    job_dir = _record(tmp_path / "jobs" / "20260101-000000-x")
    _replace_with_dir(job_dir / "job.json")
    assert find_job_dir(str(job_dir), tmp_path / "jobs") == job_dir
    with pytest.raises(JobRecordError, match="directory"):
        JobHandle.from_job_dir(find_job_dir(str(job_dir), tmp_path / "jobs"))


# -- atomic writes ------------------------------------------------------------------------------------
def test_a_write_cut_short_keeps_the_old_record_and_leaves_no_temp_file(tmp_path, monkeypatch) -> None:
    job_dir = _record(tmp_path / "j", status="RUNNING", exit_code=None)
    before = (job_dir / "job.json").read_bytes()

    def broken_dump(obj: Any, fh: Any, **kw: Any) -> None:
        fh.write('{"status": "SUCC')
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(rec.json, "dump", broken_dump)
    with pytest.raises(OSError, match="No space"):
        rec.update_record(job_dir, status="SUCCEEDED")
    assert (job_dir / "job.json").read_bytes() == before
    assert sorted(p.name for p in job_dir.iterdir()) == ["job.json"]


def test_record_writes_are_flushed_to_disk(tmp_path, monkeypatch) -> None:
    job_dir = _record(tmp_path / "j")
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(rec.os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    rec.update_record(job_dir, status="FAILED", exit_code=1)
    assert synced, "the record was renamed into place without an fsync"
    assert json.loads((job_dir / "job.json").read_text())["status"] == "FAILED"


def test_settling_a_record_damaged_meanwhile_keeps_the_damage_visible(tmp_path) -> None:
    job_dir = _record(tmp_path / "j", executor="slurm", status="RUNNING", exit_code=None, job_id="7")
    handle = JobHandle(job_dir)
    (job_dir / "job.json").write_text("{trunc")
    from nemo_runspec_nb.launch import SlurmQuery, refresh_statuses

    query = SlurmQuery(runner=lambda argv: "" if argv[0] == "squeue" else "7|COMPLETED|0:0\n")
    state = refresh_statuses([handle], query=query)[0]
    assert state.status is JobStatus.SUCCEEDED
    assert (job_dir / "job.json").read_text() == "{trunc"  # not overwritten by a guess


# -- job dirs -----------------------------------------------------------------------------------------
@pytest.fixture
def recipes(tmp_path: Path, monkeypatch) -> Path:
    target = tmp_path / "recipes"
    shutil.copytree(RECIPES, target, ignore=shutil.ignore_patterns(".nemotron", "__pycache__"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEMOTRON_ENV_FILE", raising=False)
    monkeypatch.delenv("NEMOTRON_ARTIFACTS_ROOT", raising=False)
    return target


def test_two_jobs_composed_in_the_same_second_are_saved_to_their_own_dirs(recipes: Path) -> None:
    recipe = nrs.Recipe(recipes / "prep" / "prep.py")
    first = recipe.compose("tiny", ["data.rows=111"])
    second = recipe.compose("tiny", ["data.rows=222"])
    second.job_dir = first.job_dir  # the same timestamp: what two launches in one second get
    first_yaml, _ = first.save()
    second_yaml, _ = second.save()
    assert first_yaml.parent != second_yaml.parent
    assert second_yaml.parent.name == f"{first_yaml.parent.name}-2"
    assert "rows: 111" in first_yaml.read_text()
    assert "rows: 222" in second_yaml.read_text()


def test_saving_again_keeps_the_dir_this_job_claimed(recipes: Path) -> None:
    job = nrs.Recipe(recipes / "prep" / "prep.py").compose("tiny")
    first, _ = job.save()
    again, _ = job.save()
    assert first == again


_CLAIM = """
import sys
from pathlib import Path
from nemo_runspec_nb.config._layout import claim_job_dir
sys.stdin.readline()  # start together
print(claim_job_dir(Path(sys.argv[1])))
"""


def test_concurrent_processes_claim_distinct_job_dirs(tmp_path: Path) -> None:
    wanted = tmp_path / ".nemotron" / "jobs" / "20261202-071554-tiny-prep"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _CLAIM, str(wanted)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(6)
    ]
    outs = [p.communicate("go\n", timeout=60)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert len(set(outs)) == 6
    assert sorted(Path(o).name for o in outs) == sorted(
        [wanted.name] + [f"{wanted.name}-{i}" for i in range(2, 7)]
    )


def test_submit_refuses_a_job_dir_that_already_holds_a_job(tmp_path: Path) -> None:
    from nemo_runspec_nb.launch import LaunchRequest, submit
    from nemo_runspec_nb.runspec import Runspec, RunspecResources, RunspecRun

    script = tmp_path / "recipe.py"
    script.write_text("print('hi')\n")
    runspec = Runspec(
        script_path=script, name="demo", run=RunspecRun(launch="direct"), resources=RunspecResources()
    )
    job_dir = _record(tmp_path / "jobs" / "20260101-000000-demo")
    before = (job_dir / "job.json").read_text()
    request = LaunchRequest(name="demo", job_dir=job_dir, script_path=script, runspec=runspec)
    with pytest.raises(LaunchError, match="already holds a job"):
        submit(request)
    assert (job_dir / "job.json").read_text() == before
    assert not (job_dir / "run.sh").exists()


# -- liveness ---------------------------------------------------------------------------------------
def test_a_local_job_whose_runner_died_is_failed_with_the_reason(tmp_path: Path) -> None:
    job_dir = _record(tmp_path / "l", status="RUNNING", exit_code=None, runner_pid=DEAD_PID, job_id=None)
    state = JobHandle(job_dir).status()
    assert state.status is JobStatus.FAILED
    assert state.exit_code is None
    assert "runner" in state.detail and str(DEAD_PID) in state.detail
    record = json.loads((job_dir / "job.json").read_text())
    assert (record["status"], record["error"]) == ("FAILED", state.detail)
    assert record["finished"]
    # and the reason comes back from the record, in listings and reprs
    again = JobHandle(job_dir)
    assert again.status().detail == state.detail
    assert jobs(job_dir.parent)["reason"].tolist() == [state.detail]
    assert html.escape(state.detail) in again._repr_html_()
    assert state.detail in str(again)


def test_wait_without_timeout_ends_when_the_runner_died(tmp_path: Path) -> None:
    job_dir = _record(tmp_path / "l", status="RUNNING", exit_code=None, runner_pid=DEAD_PID, job_id=None)
    state = _ends(lambda: JobHandle(job_dir).wait(poll=0.05))
    assert state.status is JobStatus.FAILED and state.done


def test_following_the_log_ends_when_the_runner_died(tmp_path: Path) -> None:
    job_dir = _record(tmp_path / "l", status="RUNNING", exit_code=None, runner_pid=DEAD_PID, job_id=None)
    seen: list[str] = []
    state = _ends(lambda: follow(JobHandle(job_dir), seen.append, poll=0.05))
    assert state.status is JobStatus.FAILED


@pytest.fixture
def impostor(tmp_path: Path):
    """A live process whose command line names the job dir: what a recycled runner PID can look like."""
    job_dir = tmp_path / "l"
    job_dir.mkdir()
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", str(job_dir)])
    try:
        yield job_dir, proc.pid
    finally:
        proc.kill()
        proc.wait()


def test_a_recycled_runner_pid_is_not_taken_for_the_runner(impostor) -> None:
    job_dir, pid = impostor
    start = rec.process_start(pid)
    assert start is not None
    _record(job_dir, status="RUNNING", exit_code=None, runner_pid=pid, runner_start=start + 1, job_id=None)
    assert JobHandle(job_dir).status().status is JobStatus.FAILED


def test_a_runner_pid_file_with_a_different_start_time_is_not_the_runner(impostor) -> None:
    job_dir, pid = impostor
    start = rec.process_start(pid)
    assert start is not None
    _record(job_dir, status="PENDING", exit_code=None, job_id=None)
    (job_dir / "runner.pid").write_text(f"{pid} {start + 1}\n")
    assert JobHandle(job_dir).status().status is JobStatus.FAILED
    (job_dir / "runner.pid").write_text(f"{pid} {start}\n")
    _record(job_dir, status="PENDING", exit_code=None, job_id=None)
    assert JobHandle(job_dir).status().status is JobStatus.PENDING  # the real one still runs


def test_a_job_whose_launcher_died_before_the_runner_started_is_failed(tmp_path: Path) -> None:
    launcher = {"pid": DEAD_PID, "start": 1, "host": os.uname().nodename}
    job_dir = _record(tmp_path / "l", status="PENDING", exit_code=None, job_id=None, launcher=launcher)
    state = _ends(lambda: JobHandle(job_dir).wait(poll=0.05))
    assert state.status is JobStatus.FAILED
    assert "launch" in state.detail


def test_a_job_being_launched_right_now_stays_pending(tmp_path: Path) -> None:
    me = {"pid": os.getpid(), "start": rec.process_start(os.getpid()), "host": os.uname().nodename}
    fields = {"status": "PENDING", "exit_code": None, "job_id": None, "launcher": me, "submitted": rec.now()}
    local = _record(tmp_path / "l", **fields)
    slurm = _record(tmp_path / "s", executor="slurm", **fields)
    assert JobHandle(local).status().status is JobStatus.PENDING
    assert JobHandle(slurm).status().status is JobStatus.PENDING


def test_a_local_job_whose_runner_never_started_fails_even_while_its_launcher_lives(tmp_path: Path) -> None:
    me = {"pid": os.getpid(), "start": rec.process_start(os.getpid()), "host": os.uname().nodename}
    long_ago = "2026-01-01T00:00:00+00:00"  # far more than the 60 s submit() gives the runner
    job_dir = _record(
        tmp_path / "l", status="PENDING", exit_code=None, job_id=None, launcher=me, submitted=long_ago
    )
    state = JobHandle(job_dir).status()
    assert state.status is JobStatus.FAILED
    assert "did not start" in state.detail


def test_a_job_launched_on_another_host_is_not_judged_by_pid(tmp_path: Path) -> None:
    other = {"pid": DEAD_PID, "start": 1, "host": "some-other-login-node"}
    job_dir = _record(
        tmp_path / "s", executor="slurm", status="PENDING", exit_code=None, job_id=None, launcher=other
    )
    assert JobHandle(job_dir).status().status is not JobStatus.FAILED


def test_a_slurm_job_whose_launcher_died_before_sbatch_answered_is_failed(tmp_path: Path) -> None:
    launcher = {"pid": DEAD_PID, "start": 1, "host": os.uname().nodename}
    job_dir = _record(
        tmp_path / "s", executor="slurm", status="PENDING", exit_code=None, job_id=None, launcher=launcher
    )
    state = _ends(lambda: JobHandle(job_dir).wait(poll=0.05))
    assert state.status is JobStatus.FAILED
    assert "squeue" in state.detail  # the job may have reached Slurm: say where to look


def test_submit_records_who_launched_the_job(tmp_path: Path, monkeypatch) -> None:
    from nemo_runspec_nb.launch import LaunchRequest, submit
    from nemo_runspec_nb.runspec import Runspec, RunspecResources, RunspecRun

    seen: dict[str, Any] = {}

    def fake_submit_local(self: object, sub: Any) -> rec.JobRecord:
        seen.update(rec.read_record(sub.job_dir))
        return rec.read_job_record(sub.job_dir)

    from nemo_runspec_nb.launch._jobs._local import LocalBackend

    monkeypatch.setattr(LocalBackend, "submit", fake_submit_local)
    script = tmp_path / "recipe.py"
    script.write_text("print('hi')\n")
    runspec = Runspec(
        script_path=script, name="demo", run=RunspecRun(launch="direct"), resources=RunspecResources()
    )
    request = LaunchRequest(name="demo", job_dir=tmp_path / "j", script_path=script, runspec=runspec)
    submit(request)
    assert seen["launcher"] == {
        "pid": os.getpid(),
        "start": rec.process_start(os.getpid()),
        "host": os.uname().nodename,
    }


# -- properties ---------------------------------------------------------------------------------------
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
_RECORD_KEYS = [
    "format",
    "name",
    "executor",
    "status",
    "exit_code",
    "job_id",
    "runner_pid",
    "submitted",
    "ssh",
]
_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _listing_survives(root: Path, bad: Path) -> None:
    for refresh in (False, True):
        frame = jobs(root, refresh=refresh)
        assert len(frame) == 2
        assert "good" in set(frame["name"])
        row = frame[frame["job_dir"] == str(bad)].iloc[0]
        assert row["status"] in {s.value for s in JobStatus}


@_SETTINGS
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes_as_a_record_never_break_the_listing(tmp_path_factory, data: bytes) -> None:
    root = tmp_path_factory.mktemp("jobs")
    _record(root / "good", name="good")
    bad = _record(root / "bad")
    (bad / "job.json").write_bytes(data)
    _listing_survives(root, bad)


@_SETTINGS
@given(value=_JSON)
def test_arbitrary_json_as_a_record_never_breaks_the_listing(tmp_path_factory, value: Any) -> None:
    root = tmp_path_factory.mktemp("jobs")
    _record(root / "good", name="good")
    bad = _record(root / "bad")
    (bad / "job.json").write_text(json.dumps(value))
    _listing_survives(root, bad)


@_SETTINGS
@given(changes=st.dictionaries(st.sampled_from(_RECORD_KEYS), _JSON, max_size=4))
def test_arbitrary_values_for_known_keys_never_break_the_listing(
    tmp_path_factory, changes: dict[str, Any]
) -> None:
    root = tmp_path_factory.mktemp("jobs")
    _record(root / "good", name="good")
    bad = _record(root / "bad", status="FAILED", exit_code=1)
    _fields(**changes)(bad / "job.json")
    _listing_survives(root, bad)


_WELL_FORMED = st.fixed_dictionaries(
    {
        "format": st.just(1),
        "name": st.text(max_size=30),
        "executor": st.sampled_from(["local", "slurm"]),
        "status": st.sampled_from(["PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED", "UNKNOWN"]),
        "exit_code": st.none() | st.integers(-255, 255),
        "job_id": st.none() | st.text(alphabet="0123456789", min_size=1, max_size=8),
        "submitted": st.none() | st.text(max_size=30),
        "error": st.none() | st.text(max_size=50),
    },
    optional={"resources": st.dictionaries(st.text(max_size=8), st.integers(0, 8), max_size=3)},
)


@_SETTINGS
@given(record=_WELL_FORMED)
def test_well_formed_records_round_trip(tmp_path_factory, record: dict[str, Any]) -> None:
    job_dir = tmp_path_factory.mktemp("job")
    rec.write_record(job_dir, record)
    assert rec.read_record(job_dir) == record
    assert JobHandle(job_dir).to_dict() == record


# -- jobs nobody can tell the state of --------------------------------------------------------------
class _Forgetful:
    """A Slurm that answers, but knows nothing of the job (e.g. a cluster reset since submit)."""

    def __init__(self, known_after: int | None = None) -> None:
        self.calls = 0
        self.known_after = known_after

    def __call__(self, argv: list[str]) -> str:
        self.calls += 1
        if self.known_after is not None and self.calls > self.known_after and argv[0] == "squeue":
            return "7|RUNNING|None\n"
        return ""


def _slurm_job(tmp_path: Path, runner: Callable[[list[str]], str]) -> JobHandle:
    from nemo_runspec_nb.launch import SlurmQuery

    job_dir = _record(tmp_path / "s", executor="slurm", status="PENDING", exit_code=None, job_id="7")
    return JobHandle(job_dir, query=SlurmQuery(runner=runner))


def test_wait_without_timeout_ends_when_slurm_never_knows_the_job(tmp_path: Path) -> None:
    handle = _slurm_job(tmp_path, _Forgetful())
    handle.unknown_limit = 0.3
    state = _ends(lambda: handle.wait(poll=0.05))
    assert state.status is JobStatus.UNKNOWN and not state.done
    assert "unknown for" in state.detail
    assert handle.unknown_for() >= 0.3


def test_following_the_log_ends_when_slurm_never_knows_the_job(tmp_path: Path) -> None:
    handle = _slurm_job(tmp_path, _Forgetful())
    handle.unknown_limit = 0.3
    state = _ends(lambda: follow(handle, lambda text: None, poll=0.05))
    assert state.status is JobStatus.UNKNOWN
    assert "unknown for" in state.detail


def test_a_known_state_resets_the_unknown_clock(tmp_path: Path) -> None:
    handle = _slurm_job(tmp_path, _Forgetful(known_after=2))  # one status() costs squeue + sacct
    assert handle.status().status is JobStatus.UNKNOWN
    assert handle.unknown_for() >= 0
    assert handle.status().status is JobStatus.RUNNING
    assert handle.unknown_for() == 0


def test_a_local_record_without_runner_or_launcher_is_unknown_and_wait_ends(tmp_path: Path) -> None:
    job_dir = _record(tmp_path / "l", status="PENDING", exit_code=None, job_id=None)
    handle = JobHandle(job_dir)
    handle.unknown_limit = 0.3
    state = _ends(lambda: handle.wait(poll=0.05))
    assert state.status is JobStatus.UNKNOWN
    assert "runner" in state.detail
