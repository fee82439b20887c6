"""The session adapter around nemo_run (the package ``_nemorun`` is the one place that imports it).

``import nemo_run`` costs about 1.4 s and has side effects that a notebook
cannot afford, so every use goes through a :class:`NemoRun` adapter object
(one per session; nothing is kept at module level):

* nemo_run is imported lazily, on first use, after ``NEMORUN_HOME`` has been
  set for this session (nemo-run computes its job-dir maps at import time);
  experiment dirs are also placed explicitly through ``base_dir``.
* The installed version is checked (0.11.x) with a message that says what to
  install.
* nemo-run may not take over logging: ``Experiment()`` calls
  ``logging.basicConfig(force=True)``; the root logger is restored after every
  call. Its console output is captured, never printed.
* Its ``SystemExit``s (failed SSH auth, ``logs()``) and prompts (getpass) turn
  into :class:`~nemo_runspec_nb.errors.SubmissionError` (an
  :class:`~nemo_runspec_nb.errors.ExecutorError` while building an executor or a
  tunnel); so do its other errors.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import io
import logging
import os
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePath
from types import ModuleType
from typing import Any

from ...errors import ExecutorError, LaunchError, SubmissionError
from ._patches import PATCHES, SUPPORTED_SERIES, install, supported

_DIST = "nemo-run"


def check_version(installed: str | None = None) -> str:
    """Return the installed nemo-run version; raise :class:`SubmissionError` unless it is 0.11.x."""
    if installed is None:
        import importlib.metadata

        try:
            installed = importlib.metadata.version(_DIST)
        except importlib.metadata.PackageNotFoundError:
            raise SubmissionError(
                "nemo-run is not installed",
                hint=f"Install it with: pip install 'nemo-run=={SUPPORTED_SERIES}.*' 'leptonai<0.47'",
            ) from None
    if not supported(installed):
        raise SubmissionError(
            f"nemo-run {installed} is installed, but nemo_runspec_nb supports {SUPPORTED_SERIES}.x only",
            hint=f"Install a supported version: pip install 'nemo-run=={SUPPORTED_SERIES}.*' 'leptonai<0.47'",
        )
    return installed


@dataclass(frozen=True)
class SlurmSubmission:
    """What a Slurm submission through nemo-run produced."""

    job_id: str
    experiment_id: str
    experiment_dir: Path
    sbatch_script: str


@dataclass(frozen=True)
class LocalOutcome:
    """How a local nemo-run experiment ended (as nemo-run saw it)."""

    experiment_id: str
    experiment_dir: Path
    state: str


def _refuse_prompt(*_args: Any, **_kwargs: Any) -> str:
    raise ExecutorError(
        "nemo-run asked for a password interactively",
        hint="Use key-based SSH: set 'identity' (a private key file) in the profile, or load the key "
        "into ssh-agent",
    )


class NemoRun:
    """Session adapter around nemo_run.

    Args:
        home: ``NEMORUN_HOME`` for this session (nemo-run's experiment dirs and job maps).
            ``None`` keeps the environment's ``NEMORUN_HOME`` (or nemo-run's ``~/.nemo_run``).
        patch: Put nemo-run's corrections in place on import (:mod:`._patches`: rsync host keys,
            our Ray templates, a sourceless ``__main__``; idempotent, 0.11.x only).

    """

    def __init__(self, home: str | Path | None = None, *, patch: bool = True) -> None:
        self.home = Path(home).absolute() if home is not None else None
        self.patch = patch
        self.last_output = ""
        """Console output nemo-run produced during the last guarded call."""

    # -- import -------------------------------------------------------------------------------
    def module(self) -> ModuleType:
        """Import (once per process) and return ``nemo_run``, with this session's home set."""
        already = "nemo_run" in sys.modules
        previous = os.environ.get("NEMORUN_HOME")
        if not already:
            check_version()
            if self.home is not None:
                self.home.mkdir(parents=True, exist_ok=True)
                os.environ["NEMORUN_HOME"] = str(self.home)
        try:
            with self._restore_logging(), contextlib.redirect_stdout(io.StringIO()):
                run = importlib.import_module("nemo_run")
        except ImportError as exc:
            raise SubmissionError(
                f"nemo-run cannot be imported: {exc}",
                hint="nemo-run 0.11.1 needs leptonai<0.47 and urllib3<1.27 (check with `pip check`)",
            ) from exc
        finally:
            # nemo-run has read it; keep the process environment as it was for everything else.
            if not already and self.home is not None:
                if previous is None:
                    os.environ.pop("NEMORUN_HOME", None)
                else:
                    os.environ["NEMORUN_HOME"] = previous
        _ensure_job_map_dirs()
        if self.patch:
            for patch in PATCHES:
                install(patch, run.__version__)
        if already and self.home is not None:
            self.home.mkdir(parents=True, exist_ok=True)
            config = importlib.import_module("nemo_run.config")
            config.set_nemorun_home(str(self.home))
        return run

    @property
    def base_dir(self) -> str | None:
        """``base_dir`` for ``Experiment`` (experiments land in ``<base_dir>/experiments``)."""
        return str(self.home) if self.home is not None else None

    # -- guards -------------------------------------------------------------------------------
    @staticmethod
    @contextlib.contextmanager
    def _restore_logging() -> Iterator[None]:
        root = logging.getLogger()
        handlers, level = list(root.handlers), root.level
        try:
            yield
        finally:
            for handler in list(root.handlers):
                if handler not in handlers:
                    root.removeHandler(handler)
            for handler in handlers:
                if handler not in root.handlers:
                    root.addHandler(handler)
            root.setLevel(level)

    @contextlib.contextmanager
    def guarded(
        self, what: str, *, collect: bool = False, error: type[LaunchError] = SubmissionError
    ) -> Iterator[None]:
        """Run nemo-run code: capture its console, keep logging, exits/prompts/errors -> ``error``.

        A LaunchError raised inside passes unchanged; anything else nemo-run raises, exits
        with or asks for becomes ``error`` (SubmissionError unless told otherwise).
        """
        out = io.StringIO()
        stdin = sys.stdin
        try:
            # invoke (LocalTunnel/SSHTunnel.run) reads stdin in a thread: give it an empty one,
            # never the kernel's or a terminal's.
            sys.stdin = io.StringIO("")
            with (
                self._restore_logging(),
                contextlib.redirect_stdout(out),
                contextlib.redirect_stderr(out),
            ):
                yield
        except LaunchError:
            raise
        except SystemExit as exc:
            raise error(
                f"nemo-run gave up while trying to {what} (exit status {exc.code})",
                hint=_last_lines(out.getvalue()) or "Check the profile's host, user and identity",
            ) from None
        except EOFError as exc:
            raise error(f"nemo-run asked for input while trying to {what}", hint=str(exc)) from exc
        except Exception as exc:
            raise _as_launch_error(exc, what, error) from exc
        finally:
            sys.stdin = stdin
            self.last_output = out.getvalue()
            if collect:
                _collect_leaked_pipes()

    # -- objects ------------------------------------------------------------------------------
    def make(self, class_name: str, **kwargs: Any) -> Any:
        """Build ``nemo_run.<class_name>(**kwargs)`` (an executor, tunnel or packager)."""
        run = self.module()
        cls = getattr(run, class_name)
        with self.guarded(f"build {class_name}", error=ExecutorError):
            obj = cls(**kwargs)
        if class_name == "SSHTunnel":
            obj.fallback_auth_handler = _refuse_prompt
            obj.auth_handler = _refuse_prompt
        return obj

    def script(self, path: PurePath, env: dict[str, str] | None = None) -> Any:
        """``run.Script`` that runs ``bash <path>``."""
        run = self.module()
        return run.Script(path=str(path), entrypoint="bash", env=dict(env or {}))

    def _experiment(self, title: str, executor: Any) -> Any:
        run = self.module()
        return run.Experiment(
            title,
            executor=executor,
            log_level="WARNING",
            base_dir=self.base_dir,
            clean_mode=True,
            enable_goodbye_message=False,
            skip_status_at_exit=True,
        )

    @contextlib.contextmanager
    def _ran(
        self, what: str, title: str, executor: Any, script_path: PurePath, task: str, *, detach: bool
    ) -> Iterator[Any]:
        """Guarded: an Experiment that ran ``bash script_path`` as ``task``; the body reads it."""
        with self.guarded(what, collect=True):
            exp = self._experiment(title, executor)
            with exp:
                exp.add(self.script(script_path), name=task)
                exp.run(detach=detach)
            _forget_main(exp)
            yield exp

    # -- operations ---------------------------------------------------------------------------
    def run_local(
        self, *, title: str, executor: Any, script_path: PurePath, task: str = "job"
    ) -> LocalOutcome:
        """Run ``bash script_path`` through an Experiment with ``executor``; blocks until it ends.

        Only the detached runner process (:mod:`.._runner`) calls this.
        """
        with self._ran("run the local job", title, executor, script_path, task, detach=False) as exp:
            statuses = exp.status(return_dict=True) or {}
            state = str(getattr(statuses.get(task, {}).get("status"), "name", "UNKNOWN"))
            return LocalOutcome(exp._id, Path(exp._exp_dir), state)

    def submit_slurm(
        self, *, title: str, executor: Any, script_path: PurePath, task: str = "job"
    ) -> SlurmSubmission:
        """Submit ``bash script_path`` with a SlurmExecutor and detach; returns at once."""
        with self._ran("submit the Slurm job", title, executor, script_path, task, detach=True) as exp:
            _close_tunnels(exp)
            job = exp.jobs[0]
            handle = str(job.handle or "")
        job_id = handle.rstrip("/").rsplit("/", 1)[-1]
        if not job_id.isdigit():
            raise SubmissionError(
                f"nemo-run did not return a Slurm job id (handle {handle!r})",
                hint=_last_lines(self.last_output),
            )
        exp_dir = Path(exp._exp_dir)
        sbatch_path = exp_dir / f"{task}_sbatch.sh"
        sbatch = sbatch_path.read_text() if sbatch_path.exists() else ""
        return SlurmSubmission(job_id, exp._id, exp_dir, sbatch)

    def render_sbatch(self, *, title: str, executor: Any, script_path: PurePath, task: str = "job") -> str:
        """The sbatch script nemo-run would submit, without submitting (a dry run)."""
        import shutil
        import tempfile

        tmp = Path(tempfile.mkdtemp(prefix="nrs-dryrun-"))
        try:
            run = self.module()
            with self.guarded("render the sbatch script", collect=True):
                exp = run.Experiment(
                    title, executor=executor, log_level="WARNING", base_dir=str(tmp), clean_mode=True
                )
                with exp:
                    exp.add(self.script(script_path), name=task)
                    exp.dryrun(log=False, delete_exp_dir=False)
                    return str(exp.jobs[0]._dryrun_info.request.materialize())
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def _ensure_job_map_dirs() -> None:
    # nemo-run fixes the paths of its job-id maps (.local_jobs.json, .slurm_jobs) at import time;
    # their folder may be gone since (an earlier session's temporary home): recreate it.
    for name, attr in (
        ("nemo_run.run.torchx_backend.schedulers.local", "LOCAL_JOB_DIRS"),
        ("nemo_run.run.torchx_backend.schedulers.slurm", "SLURM_JOB_DIRS"),
    ):
        path = getattr(sys.modules.get(name), attr, None)
        if isinstance(path, str):
            Path(path).parent.mkdir(parents=True, exist_ok=True)


def _collect_leaked_pipes() -> None:
    # invoke (under nemo-run's tunnels) leaves Popen pipes in reference cycles; free them now,
    # quietly, instead of letting their ResourceWarnings surface later in the user's code.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


def _close_tunnels(exp: Any) -> None:
    # An SSHTunnel keeps its paramiko session open after a detached submit: close it now.
    for tunnel in list(getattr(exp, "tunnels", {}).values()):
        with contextlib.suppress(Exception):
            tunnel.cleanup()


def _forget_main(exp: Any) -> None:
    # nemo-run copies the source of the launching __main__ into the experiment dir (it needs it
    # only for run.Partial, which we do not use); a notebook or script may hold literal secrets.
    (Path(exp._exp_dir) / "__main__.py").unlink(missing_ok=True)


def _as_launch_error(exc: Exception, what: str, error: type[LaunchError]) -> LaunchError:
    """One actionable line for an error from inside nemo-run, as ``error``."""
    result = getattr(exc, "result", None)  # invoke's UnexpectedExit: a shell command failed
    command = getattr(result, "command", None)
    if result is not None and command:
        stderr = _last_lines(str(getattr(result, "stderr", "") or getattr(result, "stdout", "")), 1)
        tool = str(command).split()[0]
        return error(
            f"{tool} failed (exit {getattr(result, 'exited', '?')}) while trying to {what}: "
            f"{stderr or 'no error output'}",
            hint=f"The command was: {command}",
        )
    text = " ".join(str(exc).split())
    return error(f"nemo-run failed to {what}: {type(exc).__name__}: {text}")


def _last_lines(text: str, n: int = 5) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines() if line.strip()]
    return " | ".join(lines[-n:])
