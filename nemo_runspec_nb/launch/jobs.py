"""Jobs that never block the kernel: submit, watch, reconnect, cancel.

:func:`submit` returns a :class:`JobHandle` at once, locally and on Slurm:

* **local** (no profile, or ``executor = "local"``): a detached runner process
  of ours (``python -m nemo_runspec_nb.launch._runner JOB_DIR``, in its own
  session) runs the job through nemo-run's ``LocalExecutor`` and records how
  it ended. The job outlives the kernel that launched it; status comes from
  files in the job dir and logs from nemo-run's ``stdout.log``/``stderr.log``.
* **slurm**: submitted through nemo-run's ``SlurmExecutor`` (detached); status
  comes from ``squeue``/``sacct``, batched over all jobs of a refresh
  (:func:`refresh_statuses`), logs from the srun output files.

Every job directory (``.nemotron/jobs/<timestamp>-<recipe>/``) holds
``job.yaml``, ``train.yaml`` (written by the caller), ``run.sh`` (exactly what
the job runs), ``sbatch.sh`` (Slurm) and ``job.json`` (the record
:func:`jobs` reads). Secret environment variables reach the job only through
an owner-only file that ``run.sh`` (Slurm: the batch script) sources; it stays
while the job may still run (a requeued Slurm job reads it again) and is
removed when the job has ended: by the runner (local) or by a cleanup job
that depends on the Slurm job (``afterany``), on the cluster for SSH jobs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from ..config._layout import ProjectLayout
from ..errors import JobRecordError, LaunchError
from . import _records as rec
from ._code import JobCode, is_our_packager, predict_code, prepare_code
from ._executors import build_executor, check_reachable, executor_kind, resolve_resources, setup_lines
from ._nemorun import NemoRun
from ._remote import SSHTarget, ssh_target
from ._request import LaunchRequest
from .commands import build_command, render_run_script
from .secrets import (
    SECRET_FILE_NAME,
    cleanup_job_argv,
    is_secret_name,
    remove_secret_file,
    secret_file_text,
    secret_preamble,
    split_secret_env,
    write_secret_file,
)
from .slurm_status import JobStatus, SlurmQuery

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "JobHandle",
    "JobState",
    "JobStatus",
    "jobs",
    "launch",
    "refresh_statuses",
    "render_command",
    "render_script",
    "submit",
]


@dataclass(frozen=True)
class JobState:
    """A job's status at one moment, with its exit code and scheduler job id."""

    status: JobStatus
    exit_code: int | None = None
    job_id: str | None = None
    detail: str = ""

    @property
    def done(self) -> bool:
        """True once the job succeeded, failed or was cancelled."""
        return self.status.done

    def __str__(self) -> str:
        code = f" (exit {self.exit_code})" if self.exit_code is not None and self.done else ""
        return f"{self.status.value}{code}"


# -- rendering ------------------------------------------------------------------------------------
def _split_env(request: LaunchRequest) -> tuple[dict[str, str], dict[str, str]]:
    env = {**dict(request.runspec.env), **dict(request.env_vars)}
    return split_secret_env(env, extra_secret_names=request.extra_secret_names)


def _remote_code(code: JobCode, job_dir: Path, remote_dir: PurePosixPath) -> JobCode:
    """``code`` with every path under the local ``job_dir`` moved to ``remote_dir``."""

    def move(path: Path, what: str) -> Path:
        try:
            rel = Path(path).absolute().relative_to(job_dir)
        except ValueError:
            raise LaunchError(
                f"the job's {what} is outside the job directory, so it is not shipped to the cluster",
                path=path,
                hint='Use a packager that copies the code (packager = "code", "git" or "pattern")',
            ) from None
        return Path(str(remote_dir / rel.as_posix()))

    return JobCode(
        script=move(code.script, "script"),
        config=move(code.config, "config"),
        workdir=move(code.workdir, "working directory"),
        pythonpath=move(code.pythonpath, "code root") if code.pythonpath is not None else None,
        kind=code.kind,
    )


def _ssh_request(request: LaunchRequest) -> LaunchRequest:
    """An SSH job must ship its code: without one of our copying packagers, use ``code``."""
    packager = request.packager
    if is_our_packager(packager) and packager.kind != "none":
        return request
    from ._packaging import make_packager

    return dataclasses.replace(request, packager=make_packager({"packager": "code"}))


def _run_sh(
    request: LaunchRequest,
    *,
    secrets_path: Path | None,
    code: JobCode,
    remote_dir: PurePosixPath | None = None,
) -> str:
    public, _ = _split_env(request)
    profile_env = {str(k): str(v) for k, v in (request.profile.get("env_vars") or {}).items()}
    public = {k: v for k, v in {**profile_env, **public}.items() if not is_secret_name(k)}
    kind = executor_kind(request.profile)
    res = resolve_resources(request.profile, request.runspec)
    command = build_command(
        request.runspec,
        script=code.script,
        config=code.config,
        nodes=res.nodes,
        gpus_per_node=res.gpus_per_node,
        nproc_per_node=res.nproc_per_node,
        args=request.script_args,
    )
    # Slurm runs the profile's setup lines in the sbatch script (executor.setup_lines).
    return render_run_script(
        command,
        workdir=code.workdir,
        pythonpath=code.pythonpath,
        name=request.name,
        setup=request.runspec.setup,
        setup_lines=setup_lines(request.profile) if kind == "local" else (),
        env_exports=public if kind == "local" else None,
        # Slurm reads the secrets once, in the batch script (see _slurm_executor).
        secret_preamble=secret_preamble(secrets_path) if secrets_path is not None and kind == "local" else "",
        # local jobs and SSH jobs record their exit code next to run.sh (on the remote for SSH)
        state_dir=request.job_dir if kind == "local" else Path(str(remote_dir)) if remote_dir else None,
    )


def render_command(request: LaunchRequest) -> str:
    """The job's ``run.sh`` exactly as :func:`submit` would write it (secret values never appear).

    For an SSH tunnel the paths are the ones the job sees on the cluster
    (``remote_job_dir/<job dir name>/...``).
    """
    _, secret = _split_env(request)
    target = ssh_target(request.profile)
    if target is None:
        secrets_path = request.job_dir / SECRET_FILE_NAME if secret else None
        return _run_sh(request, secrets_path=secrets_path, code=predict_code(request))
    request = _ssh_request(request)
    remote_dir = target.job_dir(request.job_dir)
    code = _remote_code(predict_code(request), request.job_dir, remote_dir)
    return _run_sh(request, secrets_path=None, code=code, remote_dir=remote_dir)


def render_script(request: LaunchRequest, *, nemorun: NemoRun | None = None) -> str:
    """Preview without submitting: the sbatch script (Slurm, a nemo-run dry run) or ``run.sh`` (local)."""
    kind = executor_kind(request.profile)
    if kind != "slurm":
        return render_command(request)
    nr = nemorun or NemoRun(request.resolved_nemorun_home)
    public, secret = _split_env(request)
    job_dir: Path | PurePosixPath = request.job_dir
    target = ssh_target(request.profile)
    if target is not None:
        request = _ssh_request(request)
        job_dir = target.job_dir(request.job_dir)
    executor = _slurm_executor(request, public, bool(secret), nr, job_dir=job_dir)
    return nr.render_sbatch(
        title=_title(request),
        executor=executor,
        script_path=job_dir / rec.RUN_SCRIPT,
        task=_task(request),
    )


def _slurm_executor(
    request: LaunchRequest,
    public: dict[str, str],
    has_secrets: bool,
    nemorun: NemoRun,
    *,
    job_dir: Path | PurePosixPath,
) -> Any:
    executor = build_executor(
        request.profile,
        request.runspec,
        nemorun=nemorun,
        mode=request.mode,
        env_vars=public,
        # our packagers are applied by prepare_code(); a nemo-run packager goes to the executor
        packager=None if is_our_packager(request.packager) else request.packager,
    )
    if has_secrets:
        # The batch script reads the secrets file once, before srun, with tracing off (nemo-run's
        # sbatch runs under `set -evx`); srun passes the environment to every task on every node.
        preamble = secret_preamble(job_dir / SECRET_FILE_NAME)
        lines = [executor.setup_lines or "", "{ set +vx; } 2>/dev/null", preamble.rstrip(), "set -vx"]
        executor.setup_lines = "\n".join(line for line in lines if line)
    return executor


def _title(request: LaunchRequest) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in request.job_dir.name) or "job"


def _task(request: LaunchRequest) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in request.name) or "job"


def _public_profile(profile: Mapping[str, Any]) -> dict[str, Any]:
    """The profile without any secret-looking key, at any depth (for ``job.json``)."""
    out: dict[str, Any] = {}
    for key, value in profile.items():
        if is_secret_name(str(key)):
            continue
        if isinstance(value, Mapping):
            value = _public_profile(value)
        elif isinstance(value, (list, tuple)):
            value = [v for v in value if not (isinstance(v, str) and is_secret_name(v.partition("=")[0]))]
        out[str(key)] = value
    return out


# -- submit ---------------------------------------------------------------------------------------
def submit(request: LaunchRequest, *, nemorun: NemoRun | None = None) -> JobHandle:
    """Start the job and return at once (local: a detached runner; Slurm: sbatch through nemo-run).

    Raises:
        LaunchError: bad profile, unreachable service, or nemo-run refused the job.

    """
    kind = executor_kind(request.profile)
    if kind not in ("local", "slurm"):
        raise LaunchError(
            f"submitting to the {kind!r} executor is not supported yet",
            key="executor",
            hint="Use local or slurm; build_executor() gives the executor for your own nemo-run Experiment",
        )
    target = ssh_target(request.profile) if kind == "slurm" else None
    if target is None:
        check_reachable(request.profile)
    else:
        target.check()
        request = _ssh_request(request)
    job_dir = request.job_dir
    job_dir.mkdir(parents=True, exist_ok=True)
    _check_unused(job_dir)
    public, secret = _split_env(request)
    # An SSH job's secrets go straight to the cluster (see _ship); nothing is written here.
    secrets_path = write_secret_file(job_dir, secret) if secret and target is None else None
    try:
        return _submit_prepared(request, public, secret, secrets_path, target, nemorun)
    except BaseException:
        if secrets_path is not None:  # no job will read it
            remove_secret_file(job_dir)
        raise


def _submit_prepared(
    request: LaunchRequest,
    public: dict[str, str],
    secret: dict[str, str],
    secrets_path: Path | None,
    target: SSHTarget | None,
    nemorun: NemoRun | None,
) -> JobHandle:
    kind = executor_kind(request.profile)
    job_dir = request.job_dir
    secret_text = secret_file_text(secret) if secret and target is not None else ""  # checks names
    run_sh = job_dir / rec.RUN_SCRIPT
    remote_dir = target.job_dir(job_dir) if target is not None else None
    code = prepare_code(request)
    run_code = _remote_code(code, job_dir, remote_dir) if remote_dir is not None else code
    run_sh.write_text(_run_sh(request, secrets_path=secrets_path, code=run_code, remote_dir=remote_dir))
    run_sh.chmod(0o755)
    res = resolve_resources(request.profile, request.runspec)
    home = request.resolved_nemorun_home
    record: dict[str, Any] = {
        "format": rec.RECORD_FORMAT,
        "name": request.name,
        "recipe": str(request.script_path),
        "job_dir": str(job_dir),
        "code": {
            "kind": run_code.kind,
            "script": str(run_code.script),
            "root": str(run_code.pythonpath or ""),
        },
        "executor": kind,
        "mode": request.mode,
        "status": JobStatus.PENDING.value,
        "exit_code": None,
        "job_id": None,
        "created": rec.now(),
        "submitted": rec.now(),
        "started": None,
        "finished": None,
        "nemorun_home": str(home),
        "experiment_title": _title(request),
        "experiment_id": None,
        "experiment_dir": None,
        "resources": {"nodes": res.nodes, "gpus_per_node": res.gpus_per_node},
        "profile": _public_profile(request.profile),
        "env_names": sorted([*public, *secret]),
        "error": None,
        "launcher": rec.this_process(),  # until the job starts, its liveness is the launcher's
    }
    if target is not None and remote_dir is not None:
        record["ssh"] = target.to_record()
        record["remote_dir"] = str(remote_dir)
    rec.write_record(job_dir, record)
    if kind == "local":
        return _submit_local(job_dir, home)
    if target is not None and remote_dir is not None:
        _ship(target, job_dir, remote_dir, secret_text)
    return _submit_slurm(
        request,
        public,
        bool(secret),
        nemorun or NemoRun(home),
        job_dir=remote_dir or job_dir,
        target=target,
    )


def _check_unused(job_dir: Path) -> None:
    if os.path.lexists(rec.record_path(job_dir)):
        raise LaunchError(
            "this job dir already holds a job; a second launch would overwrite its record and logs",
            path=job_dir,
            hint="Launch into a fresh job dir (ComposedJob.launch() makes one)",
        )


# `python -m nemo_runspec_nb.launch._runner`, but importing this very copy of the package (the
# kernel may have it from its working directory, which the runner does not share). The path is
# put on the runner's sys.path only, not into the environment the job inherits.
_RUNNER_BOOT = (
    "import sys; sys.path.insert(0, sys.argv.pop(1)); "
    "from nemo_runspec_nb.launch._runner import main; sys.exit(main())"
)


def _package_root() -> str:
    return str(Path(__file__).resolve().parents[2])


def _submit_local(job_dir: Path, home: Path) -> JobHandle:
    env = dict(os.environ)
    env["NEMORUN_HOME"] = str(home)
    # --daemonize: the runner forks and its parent exits at once, so we reap it here and the
    # runner (re-parented away from this process) never becomes our zombie.
    proc = subprocess.run(
        [sys.executable, "-c", _RUNNER_BOOT, _package_root(), "--daemonize", str(job_dir)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        start_new_session=True,
        env=env,
        cwd=str(job_dir),
        check=False,
        timeout=60,
    )
    try:
        runner_pid = int(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        detail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        rec.update_record(
            job_dir, status=JobStatus.FAILED.value, error="runner did not start", finished=rec.now()
        )
        raise LaunchError(
            "the local job runner did not start", path=job_dir, hint=" | ".join(detail)
        ) from None
    # The runner records its own PID (and owns job.json from now on); don't write it here.
    record = rec.read_record(job_dir)
    record.update(runner_pid=runner_pid, job_id=str(runner_pid))
    return JobHandle(job_dir, record)


_NOT_SHIPPED = (
    f"/{rec.RECORD_NAME}",
    "/.job.*",
    f"/{SECRET_FILE_NAME}",
    f"/{rec.SBATCH_SCRIPT}",
    f"/{rec.CANCEL_MARKER}",
    "/package/*.tar.gz",  # unpacked into code/ already
)


def _ship(target: SSHTarget, job_dir: Path, remote_dir: PurePosixPath, secret_text: str) -> None:
    """Copy the job dir (run.sh, configs, unpacked code) to the cluster; secrets go owner-only."""
    try:
        target.upload(job_dir, remote_dir, exclude=_NOT_SHIPPED)
        if secret_text:
            target.write_private(remote_dir / SECRET_FILE_NAME, secret_text, what="write the secrets file")
    except LaunchError as exc:
        rec.update_record(job_dir, status=JobStatus.FAILED.value, error=str(exc), finished=rec.now())
        raise


def _submit_slurm(
    request: LaunchRequest,
    public: dict[str, str],
    has_secrets: bool,
    nemorun: NemoRun,
    *,
    job_dir: Path | PurePosixPath,
    target: SSHTarget | None = None,
) -> JobHandle:
    local_dir = request.job_dir
    try:
        executor = _slurm_executor(request, public, has_secrets, nemorun, job_dir=job_dir)
        sub = nemorun.submit_slurm(
            title=_title(request),
            executor=executor,
            script_path=job_dir / rec.RUN_SCRIPT,
            task=_task(request),
        )
    except LaunchError as exc:
        if target is not None and has_secrets:  # no job will read it
            with contextlib.suppress(LaunchError):
                target.run(
                    f"rm -f {shlex.quote(str(job_dir / SECRET_FILE_NAME))}", what="remove the secrets file"
                )
        rec.update_record(local_dir, status=JobStatus.FAILED.value, error=str(exc), finished=rec.now())
        raise
    (local_dir / rec.SBATCH_SCRIPT).write_text(sub.sbatch_script)
    changes: dict[str, Any] = {
        "job_id": sub.job_id,
        "experiment_id": sub.experiment_id,
        "experiment_dir": str(sub.experiment_dir),
    }
    if has_secrets:
        changes.update(_submit_cleanup(executor, sub.job_id, job_dir / SECRET_FILE_NAME, target))
    if target is not None:
        # nemo-run rsyncs its experiment dir to remote_job_dir/<title>/<experiment id>
        changes["remote_experiment_dir"] = str(
            PurePosixPath(target.remote_job_dir) / sub.experiment_dir.parent.name / sub.experiment_dir.name
        )
    record = rec.update_record(local_dir, **changes)
    return JobHandle(local_dir, record)


def _submit_cleanup(
    executor: Any, job_id: str, secrets_path: Path | PurePosixPath, target: SSHTarget | None
) -> dict[str, Any]:
    """Submit the job that removes the secrets file once the job has ended (see :mod:`.secrets`).

    Returns the record entries: ``secrets_cleanup_job``, or ``secrets_cleanup_error`` when
    Slurm refused it (the job runs anyway; the file then stays until removed by hand).
    """
    argv = cleanup_job_argv(
        secrets_path,
        job_id,
        name=f"{getattr(executor, 'job_name_prefix', '') or ''}cleanup-{job_id}",
        partition=getattr(executor, "partition", None),
        account=getattr(executor, "account", None),
        qos=getattr(executor, "qos", None),
    )
    try:
        if target is not None:
            out = target.run(shlex.join(argv), what="submit the secrets cleanup job").stdout.decode()
        else:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
            if proc.returncode != 0:
                detail = (proc.stderr or proc.stdout).strip().splitlines()
                raise LaunchError(f"sbatch failed: {detail[-1] if detail else proc.returncode}")
            out = proc.stdout
    except (LaunchError, OSError, subprocess.TimeoutExpired) as exc:
        return {"secrets_cleanup_error": f"the secrets file stays at {secrets_path}: {exc}"}
    return {"secrets_cleanup_job": out.strip().split(";")[0]}


def launch(
    request: LaunchRequest,
    *,
    on_output: Callable[[str], None] | None = None,
    poll: float = 1.0,
    timeout: float | None = None,
    nemorun: NemoRun | None = None,
) -> JobHandle:
    """Submit ``request``; attached (``mode="run"``) also waits, passing new log text to ``on_output``."""
    handle = submit(request, nemorun=nemorun)
    if request.mode == "run":
        handle.wait(timeout=timeout, poll=poll, on_output=on_output)
    return handle


# -- handles --------------------------------------------------------------------------------------
# submit() gives the runner 60 s to report its PID, so a local job still without one after this
# long was interrupted during its launch.
_RUNNER_START_LIMIT = 120.0


def _older_than(timestamp: object, seconds: float) -> bool:
    """True when the ISO 8601 ``timestamp`` lies more than ``seconds`` in the past (False if unreadable)."""
    from datetime import datetime, timezone

    try:
        when = datetime.fromisoformat(str(timestamp))
    except ValueError:
        return False
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return (datetime.now(timezone.utc) - when).total_seconds() > seconds


class JobHandle:
    """A launched job, live or finished, in this process or reconnected from its job dir.

    ``unknown_limit``: seconds :meth:`wait` (and ``runspec logs --follow``) keep waiting while
    the job reads UNKNOWN (Slurm forgot it, or nothing tells what became of it) before they
    return that UNKNOWN state instead of waiting forever.
    """

    unknown_limit: float = 300.0

    def __init__(
        self, job_dir: str | Path, record: dict[str, Any] | None = None, *, query: SlurmQuery | None = None
    ):
        self.job_dir = Path(job_dir).absolute()
        self._record = record if record is not None else rec.read_record(self.job_dir)
        self._query = query
        self._unknown_since: float | None = None

    @classmethod
    def from_job_dir(cls, path: str | Path) -> JobHandle:
        """Reconnect to a job from its directory (any process, after a kernel restart)."""
        return cls(Path(path))

    # -- properties
    @property
    def name(self) -> str:
        """The job's name."""
        return str(self._record.get("name", ""))

    @property
    def executor(self) -> str:
        """``"local"`` or ``"slurm"``."""
        return str(self._record.get("executor", "local"))

    @property
    def job_id(self) -> str | None:
        """Slurm job id, or the runner's PID for a local job."""
        value = self._record.get("job_id")
        if value is None and self.executor == "local":
            value = self._runner_pid()
        return str(value) if value is not None else None

    def _runner_pid(self) -> int | None:
        return self._runner()[0]

    def _runner(self) -> tuple[int | None, int | None]:
        """The runner's ``(pid, start time)``: from ``runner.pid`` (written at its start), else the record."""
        pid, start = rec.read_pid_file(self.job_dir / rec.RUNNER_PID_FILE)
        if pid is None:
            pid, start = self._record.get("runner_pid"), self._record.get("runner_start")
        return pid, start

    def _runner_alive(self) -> bool:
        pid, start = self._runner()
        return rec.pid_alive(pid, str(self.job_dir), start=start)

    @property
    def remote(self) -> SSHTarget | None:
        """The SSH login node of a Slurm job submitted through an SSH tunnel, else None."""
        data = self._record.get("ssh")
        return SSHTarget.from_record(data) if isinstance(data, Mapping) else None

    @property
    def host_key(self) -> str:
        """Which Slurm this job's state comes from: ``""`` (this machine) or ``user@host:port``."""
        target = self.remote
        return target.key if target is not None else ""

    @property
    def query(self) -> SlurmQuery:
        """The Slurm query object this handle uses (counts CLI calls; over SSH for SSH jobs)."""
        if self._query is None:
            target = self.remote
            self._query = SlurmQuery(runner=target.runner) if target is not None else SlurmQuery()
        return self._query

    def to_dict(self) -> dict[str, Any]:
        """The job record (as in ``job.json``), refreshed from disk."""
        self._reload()
        return dict(self._record)

    def _reload(self) -> None:
        with contextlib.suppress(LaunchError):
            self._record = rec.read_record(self.job_dir)

    def _cached(self) -> JobState | None:
        status = JobStatus(self._record.get("status", "UNKNOWN"))
        if status.done:
            return JobState(
                status, self._record.get("exit_code"), self.job_id, self._record.get("error") or ""
            )
        return None

    # -- status
    def status(self) -> JobState:
        """The job's current state (one ``squeue``/``sacct`` for Slurm; only files for local jobs)."""
        state = refresh_statuses([self], query=self._query)[0]
        if state.status is not JobStatus.UNKNOWN:
            self._unknown_since = None
        elif self._unknown_since is None:
            self._unknown_since = time.monotonic()
        return state

    def unknown_for(self) -> float:
        """Seconds the job has read UNKNOWN in a row, through this handle's :meth:`status` (0 if not)."""
        return 0.0 if self._unknown_since is None else time.monotonic() - self._unknown_since

    def given_up(self, state: JobState) -> JobState | None:
        """``state`` with the reason, once it has been UNKNOWN for ``unknown_limit`` s; else None."""
        if state.status is not JobStatus.UNKNOWN or self.unknown_for() < self.unknown_limit:
            return None
        why = f": {state.detail}" if state.detail else ""
        detail = f"state unknown for {self.unknown_for():.0f} s{why}; stopped waiting (the job may still run)"
        return dataclasses.replace(state, detail=detail)

    def _local_state(self) -> JobState:
        self._reload()
        cached = self._cached()
        if cached is not None:
            return cached
        job_dir, record = self.job_dir, self._record
        code = rec.read_int(job_dir / rec.EXIT_CODE_FILE)
        cancelled = (job_dir / rec.CANCEL_MARKER).exists()
        job_alive = rec.pid_alive(rec.read_int(job_dir / rec.JOB_PID_FILE), str(job_dir))
        runner_alive = self._runner_alive()
        if code is not None and not job_alive:
            status = (
                JobStatus.SUCCEEDED if code == 0 else JobStatus.CANCELLED if cancelled else JobStatus.FAILED
            )
            state = JobState(status, code, self.job_id)
            # The runner owns the record while it lives; it writes the same result itself.
            return state if runner_alive else self._settle(state)
        if job_alive:
            return JobState(JobStatus.RUNNING, None, self.job_id)
        if runner_alive:
            if cancelled and (job_dir / rec.JOB_PID_FILE).exists():
                return JobState(JobStatus.CANCELLED, None, self.job_id)  # the runner is winding down
            return JobState(JobStatus(record.get("status", "PENDING")), None, self.job_id)
        self._reload()  # the runner may have finished between our reads
        cached = self._cached()
        if cached is not None:
            return cached
        if cancelled:
            return self._settle(JobState(JobStatus.CANCELLED, None, self.job_id))
        pid, _ = self._runner()
        if pid is None:
            launcher = rec.process_alive(record.get("launcher"))
            if launcher is None:
                return JobState(JobStatus.UNKNOWN, None, self.job_id, "no runner was recorded for this job")
            if launcher and not _older_than(record.get("submitted"), _RUNNER_START_LIMIT):
                return JobState(JobStatus(record["status"]), None, self.job_id, "starting")
            reason = (
                "the launching process ended before the job's runner started"
                if not launcher
                else f"the job's runner did not start in {_RUNNER_START_LIMIT:.0f} s (launch interrupted?)"
            )
        else:
            reason = (
                f"the job's runner (pid {pid}) died before the job recorded an exit code (see runner.log)"
            )
        return self._settle(JobState(JobStatus.FAILED, None, self.job_id, reason))

    def _unsubmitted_state(self) -> JobState:
        """A Slurm job without a job id: being submitted, or its launcher died before sbatch answered."""
        alive = rec.process_alive(self._record.get("launcher"))
        if alive is None:
            return JobState(JobStatus.UNKNOWN, None, None, "not submitted")
        if alive:
            return JobState(JobStatus.PENDING, None, None, "being submitted")
        reason = (
            "the launching process ended before Slurm gave a job id; if sbatch ran, the job may "
            "still be in Slurm (look with squeue --me)"
        )
        return self._settle(JobState(JobStatus.FAILED, None, None, reason))

    def _settle(self, state: JobState) -> JobState:
        """Store a final state (and its reason) in the record, so later reads cost nothing.

        A record damaged meanwhile is left as it is: the listing shows it as damaged.
        """
        if state.done:
            changes: dict[str, Any] = {
                "status": state.status.value,
                "exit_code": state.exit_code,
                "finished": self._record.get("finished") or rec.now(),
            }
            if state.detail:
                changes["error"] = state.detail
            with contextlib.suppress(JobRecordError):
                self._record = rec.update_record(self.job_dir, **changes)
        return state

    def wait(
        self,
        timeout: float | None = None,
        *,
        poll: float = 1.0,
        on_output: Callable[[str], None] | None = None,
    ) -> JobState:
        """Block until the job is done or ``timeout`` seconds passed; return the last state seen.

        ``on_output`` receives log text as it appears (attached mode). Check ``.done`` on the result
        when a timeout is given.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        follower = LogFollower(self)
        while True:
            state = self.status()
            if on_output is not None:
                text = follower.new_text()
                if text:
                    on_output(text)
            if state.done:
                self._let_runner_finish()
                if on_output is not None:
                    text = follower.rest()
                    if text:
                        on_output(text)
                return state
            lost = self.given_up(state)
            if lost is not None:
                return lost
            if deadline is not None and time.monotonic() >= deadline:
                return state
            time.sleep(poll if deadline is None else max(0.0, min(poll, deadline - time.monotonic())))

    def _let_runner_finish(self, seconds: float = 10.0) -> None:
        # A local job's runner records the result just after the job exits; give it that moment
        # so the record (to_dict, jobs()) agrees with the state wait() returns.
        if self.executor != "local":
            return
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._reload()
            if self._cached() is not None or not self._runner_alive():
                return
            time.sleep(0.05)

    # -- logs
    def _slurm_log_patterns(self) -> list[list[str]]:
        job_id = str(self._record.get("job_id") or "")
        if not job_id.isdigit():
            return []
        return [[f"*/log-*_{job_id}_*.out"], [f"*/sbatch_*_{job_id}.out"]]

    def log_files(self) -> list[Path]:
        """The files :meth:`logs` reads (they may not exist yet); for SSH jobs: on the cluster."""
        self._reload()
        record = self._record
        if record.get("executor") == "slurm":
            if self.remote is not None:
                exp = record.get("remote_experiment_dir")
                return [Path(str(exp), name) for name, _ in self.read_logs({})] if exp else []
            exp = record.get("experiment_dir")
            if not exp:
                return []
            for group in self._slurm_log_patterns():
                found = sorted(p for pattern in group for p in Path(exp).glob(pattern))
                if found:
                    return found
            return []
        home = Path(record.get("nemorun_home", ""))
        title = record.get("experiment_title", "")
        base = home / "experiments" / title
        out: list[Path] = []
        for name in ("stdout.log", "stderr.log"):
            out += sorted(base.glob(f"*/*/nemo_run/*/*/*/{name}"))
        return out

    def read_logs(self, offsets: Mapping[str, int]) -> list[tuple[str, bytes]]:
        """New bytes of each log file, read from its offset in ``offsets`` (key: the path).

        For an SSH job all files come in one SSH call; their keys are relative to the remote
        experiment dir.
        """
        target = self.remote
        if target is not None:
            exp = self._record.get("remote_experiment_dir")
            if not exp:
                return []
            return target.read_chunks(str(exp), self._slurm_log_patterns(), offsets)
        return read_files_from(self.log_files(), offsets)

    def logs(self, tail: int | None = None) -> str:
        """The job's output so far (stdout, then stderr); ``tail`` keeps the last N lines.

        For an SSH job the files are read on the cluster (one SSH call).
        """
        self._reload()
        chunks = []
        for _, data in self.read_logs({}):
            text = data.decode(errors="replace")
            if text:
                chunks.append(text if text.endswith("\n") else text + "\n")
        text = "".join(chunks)
        if tail is not None:
            lines = text.splitlines(keepends=True)
            text = "".join(lines[-tail:]) if tail > 0 else ""
        return text

    # -- control
    def cancel(self) -> JobState:
        """Cancel the job (scancel / SIGTERM to the job's process group); returns the state after."""
        state = self.status()
        if state.done:
            return state
        (self.job_dir / rec.CANCEL_MARKER).write_text(rec.now() + "\n")
        if self.executor == "slurm":
            if self.job_id:
                self.query.cancel(self.job_id)
            return self._wait_done(10.0)
        self._signal_local(signal.SIGTERM)
        state = self._wait_done(5.0)
        if not state.done:
            self._signal_local(signal.SIGKILL)
            state = self._wait_done(5.0)
        return state

    def _signal_local(self, sig: signal.Signals) -> None:
        # A running job is signalled (its runner then records CANCELLED and exits); the runner
        # itself only when the job has not started yet. Both lead their own process group.
        job_pid = rec.read_int(self.job_dir / rec.JOB_PID_FILE)
        runner_pid = self._runner_pid()
        for pid in (job_pid, runner_pid):
            if pid is not None and rec.pid_alive(pid, str(self.job_dir)):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, sig)
                return

    def _wait_done(self, seconds: float) -> JobState:
        deadline = time.monotonic() + seconds
        while True:
            state = self.status()
            if state.done or time.monotonic() >= deadline:
                return state
            time.sleep(0.2)

    def __repr__(self) -> str:
        return (
            f"JobHandle({self.name!r}, executor={self.executor!r}, job_id={self.job_id!r}, "
            f"job_dir='{self.job_dir}')"
        )

    def __str__(self) -> str:
        """One readable line: name, state (and why), where, job dir."""
        state = self.status()
        why = f": {state.detail}" if state.detail else ""
        return f"{self.name} [{state}{why}] {self.executor} job {self.job_id or '-'}: {self.job_dir}"

    def _repr_html_(self) -> str:
        import html

        state = self.status()
        rows = [
            ("job", self.name),
            ("status", str(state) + (f": {state.detail}" if state.detail else "")),
            ("executor", f"{self.executor} (job id {self.job_id or '-'})"),
            ("job dir", str(self.job_dir)),
        ]
        cells = "".join(
            f"<tr><th style='text-align:left'>{k}</th><td>{html.escape(v)}</td></tr>" for k, v in rows
        )
        return f"<table class='nrs-job-handle nrs-status-{state.status.value.lower()}'>{cells}</table>"


# -- many jobs ------------------------------------------------------------------------------------
def read_files_from(paths: Iterable[Path], offsets: Mapping[str, int]) -> list[tuple[str, bytes]]:
    """``(path, bytes from its offset)`` for each readable local file (key: ``str(path)``)."""
    out: list[tuple[str, bytes]] = []
    for path in paths:
        key = str(path)
        try:
            with open(path, "rb") as handle:
                handle.seek(offsets.get(key, 0))
                data = handle.read()
        except OSError:
            continue
        out.append((key, data))
    return out


class LogFollower:
    """New log text of a job since the last call, file by file.

    Each log file is followed from its own offset, so a job whose log moves
    (a Slurm job's batch output, then its task log) loses and repeats nothing.
    """

    def __init__(self, handle: JobHandle) -> None:
        self.handle = handle
        self._offsets: dict[str, int] = {}

    def new_text(self) -> str:
        """What was appended to any of the job's log files since the last call (whole lines)."""
        chunks = []
        for key, data in self.handle.read_logs(self._offsets):
            # Emit whole lines only; a partial last line waits for its newline.
            cut = data.rfind(b"\n") + 1
            if cut:
                self._offsets[key] = self._offsets.get(key, 0) + cut
                chunks.append(data[:cut].decode(errors="replace"))
        return "".join(chunks)

    def rest(self) -> str:
        """Everything not yet returned, including a last line without its newline."""
        text = self.new_text()
        for key, data in self.handle.read_logs(self._offsets):
            if data:
                self._offsets[key] = self._offsets.get(key, 0) + len(data)
                text += data.decode(errors="replace") + "\n"
        return text


def refresh_statuses(
    handles: Iterable[JobHandle],
    *,
    query: SlurmQuery | None = None,
    queries: Mapping[str, SlurmQuery] | None = None,
    strict: bool = True,
) -> list[JobState]:
    """States of many jobs, in order: one ``squeue`` (+ one ``sacct``) per Slurm host.

    Jobs on this machine's Slurm share one query (``query``, else the first handle's); jobs
    submitted over SSH are grouped by login node (``user@host:port``) and each group costs
    one ``squeue`` (+ one ``sacct``) over SSH, with ``queries[key]`` when given. Finished jobs
    are answered from their records without any call. ``query.calls`` counts the calls made.

    Raises:
        LaunchError: an SSH login node does not answer (with ``strict=False`` its unfinished
            jobs read as UNKNOWN with the error as detail instead).

    """
    handles = list(handles)
    states: list[JobState | None] = [None] * len(handles)
    slurm: list[int] = []
    for i, handle in enumerate(handles):
        if handle.executor != "slurm":
            states[i] = handle._local_state()
            continue
        handle._reload()
        cached = handle._cached()
        if cached is not None:
            states[i] = cached
        elif not handle.job_id:
            states[i] = handle._unsubmitted_state()
        else:
            slurm.append(i)
    groups: dict[str, list[int]] = {}
    for i in slurm:
        groups.setdefault(handles[i].host_key, []).append(i)
    for host, members in groups.items():
        q = (queries or {}).get(host) or (query if not host and query is not None else None)
        q = q or handles[members[0]].query
        try:
            found = q.states(handles[i].job_id or "" for i in members)
        except LaunchError as exc:
            if strict:
                raise
            for i in members:
                states[i] = JobState(JobStatus.UNKNOWN, None, handles[i].job_id, str(exc))
            continue
        for i in members:
            handle = handles[i]
            s = found.get(handle.job_id or "")
            if s is None:
                states[i] = JobState(JobStatus.UNKNOWN, None, handle.job_id)
                continue
            status = s.status
            if status.done and (handle.job_dir / rec.CANCEL_MARKER).exists() and status is JobStatus.FAILED:
                status = JobStatus.CANCELLED
            state = JobState(status, s.exit_code, handle.job_id, s.reason)
            states[i] = handle._settle(state) if state.done else state
    return [s if s is not None else JobState(JobStatus.UNKNOWN) for s in states]


def jobs(
    root: str | Path | None = None, *, refresh: bool = True, query: SlurmQuery | None = None
) -> pd.DataFrame:
    """A DataFrame of every job under ``root`` (default ``./.nemotron/jobs``), newest first.

    Read from each job dir's ``job.json``; with ``refresh`` the unfinished ones get their current
    state (one batched Slurm query for all Slurm jobs). ``reason`` says why a job failed or what it
    waits for, when known. A job dir whose record cannot be read is listed last with status
    ``DAMAGED`` and the problem as its reason; the other jobs are listed as usual.
    """
    import pandas as pd

    base = Path(root) if root is not None else ProjectLayout(Path.cwd()).jobs_dir
    handles: list[JobHandle] = []
    damaged: list[dict[str, Any]] = []
    for path in sorted(base.glob(f"*/{rec.RECORD_NAME}")) if base.is_dir() else []:
        try:
            handles.append(JobHandle(path.parent))
        except JobRecordError as exc:
            damaged.append(
                {
                    "status": JobStatus.DAMAGED.value,
                    "job_dir": str(path.parent),
                    "reason": f"{exc.location}: {exc.reason}",
                }
            )
        except LaunchError:
            continue
    states = refresh_statuses(handles, query=query, strict=False) if refresh else [None] * len(handles)
    rows = []
    for handle, state in zip(handles, states, strict=True):
        r = handle._record
        rows.append(
            {
                "name": r.get("name"),
                "status": (state.status.value if state is not None else r.get("status")),
                "exit_code": (state.exit_code if state is not None else r.get("exit_code")),
                "executor": r.get("executor"),
                "mode": r.get("mode"),
                "job_id": r.get("job_id"),
                "submitted": r.get("submitted") or r.get("created"),
                "finished": r.get("finished"),
                "recipe": r.get("recipe"),
                "job_dir": str(handle.job_dir),
                "reason": (state.detail if state is not None else "") or r.get("error") or "",
            }
        )
    columns = [
        "name",
        "status",
        "exit_code",
        "executor",
        "mode",
        "job_id",
        "submitted",
        "finished",
        "recipe",
        "job_dir",
        "reason",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    if not frame.empty:
        frame = frame.sort_values(["submitted", "job_dir"], ascending=False, kind="stable").reset_index(
            drop=True
        )
    if damaged:
        frame = pd.concat([frame, pd.DataFrame(damaged, columns=columns)], ignore_index=True)
    return frame
