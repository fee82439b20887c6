"""The one place that imports nemo_run.

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
  into :class:`~nemo_runspec_nb.errors.LaunchError`; so do its other errors.
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

from ..errors import LaunchError

__all__ = [
    "SUPPORTED_SERIES",
    "NemoRun",
    "SlurmSubmission",
    "check_version",
    "patch_main_source_copy",
    "patch_ray_templates",
    "patch_rsync_host_keys",
]

SUPPORTED_SERIES = "0.11"
"""The nemo-run release series this adapter is written and tested against."""

_DIST = "nemo-run"


def check_version(installed: str | None = None) -> str:
    """Return the installed nemo-run version; raise :class:`LaunchError` unless it is 0.11.x."""
    if installed is None:
        import importlib.metadata

        try:
            installed = importlib.metadata.version(_DIST)
        except importlib.metadata.PackageNotFoundError:
            raise LaunchError(
                "nemo-run is not installed",
                hint=f"Install it with: pip install 'nemo-run=={SUPPORTED_SERIES}.*' 'leptonai<0.47'",
            ) from None
    parts = installed.split(".")
    if ".".join(parts[:2]) != SUPPORTED_SERIES:
        raise LaunchError(
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
    raise LaunchError(
        "nemo-run asked for a password interactively",
        hint="Use key-based SSH: set 'identity' (a private key file) in the profile, or load the key "
        "into ssh-agent",
    )


class NemoRun:
    """Session adapter around nemo_run.

    Args:
        home: ``NEMORUN_HOME`` for this session (nemo-run's experiment dirs and job maps).
            ``None`` keeps the environment's ``NEMORUN_HOME`` (or nemo-run's ``~/.nemo_run``).
        patch: Apply :func:`patch_rsync_host_keys` and :func:`patch_ray_templates` on import
            (idempotent, 0.11.x only).

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
            raise LaunchError(
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
            patch_rsync_host_keys(run.__version__)
            patch_ray_templates(run.__version__)
            patch_main_source_copy(run.__version__)
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
    def guarded(self, what: str, *, collect: bool = False) -> Iterator[None]:
        """Run nemo-run code: capture its console, keep logging, exits/prompts/errors -> LaunchError."""
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
            raise LaunchError(
                f"nemo-run gave up while trying to {what} (exit status {exc.code})",
                hint=_last_lines(out.getvalue()) or "Check the profile's host, user and identity",
            ) from None
        except EOFError as exc:
            raise LaunchError(f"nemo-run asked for input while trying to {what}", hint=str(exc)) from exc
        except Exception as exc:
            raise _as_launch_error(exc, what) from exc
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
        with self.guarded(f"build {class_name}"):
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

    # -- operations ---------------------------------------------------------------------------
    def run_local(
        self, *, title: str, executor: Any, script_path: PurePath, task: str = "job"
    ) -> LocalOutcome:
        """Run ``bash script_path`` through an Experiment with ``executor``; blocks until it ends.

        Only the detached runner process (:mod:`._runner`) calls this.
        """
        with self.guarded("run the local job", collect=True):
            exp = self._experiment(title, executor)
            with exp:
                exp.add(self.script(script_path), name=task)
                exp.run(detach=False)
            _forget_main(exp)
            statuses = exp.status(return_dict=True) or {}
            state = str(getattr(statuses.get(task, {}).get("status"), "name", "UNKNOWN"))
            return LocalOutcome(exp._id, Path(exp._exp_dir), state)

    def submit_slurm(
        self, *, title: str, executor: Any, script_path: PurePath, task: str = "job"
    ) -> SlurmSubmission:
        """Submit ``bash script_path`` with a SlurmExecutor and detach; returns at once."""
        with self.guarded("submit the Slurm job", collect=True):
            exp = self._experiment(title, executor)
            with exp:
                exp.add(self.script(script_path), name=task)
                exp.run(detach=True)
            _forget_main(exp)
            _close_tunnels(exp)
            job = exp.jobs[0]
            handle = str(job.handle or "")
        job_id = handle.rstrip("/").rsplit("/", 1)[-1]
        if not job_id.isdigit():
            raise LaunchError(
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


_RSYNC_USERS = ("nemo_run.core.tunnel.rsync", "nemo_run.run.experiment", "nemo_run.run.ray.slurm")
_PATCH_MARK = "__nemo_runspec_nb_patch__"


def patch_rsync_host_keys(version: str) -> bool:
    """Make nemo-run's rsync accept a new SSH host key instead of failing on it.

    nemo-run 0.11 rsyncs experiment dirs to an SSH tunnel's host with strict host-key
    checking, so the first launch to a host that is not yet in ``known_hosts`` fails
    non-interactively ("Host key verification failed"). The wrapper adds
    ``-o StrictHostKeyChecking=accept-new``: new hosts are recorded, a *changed* key is still
    refused. Only for 0.11.x (the signature it wraps); idempotent. Returns True when the
    patch is in place.
    """
    if ".".join(version.split(".")[:2]) != SUPPORTED_SERIES:
        return False
    rsync_module = importlib.import_module("nemo_run.core.tunnel.rsync")
    original = rsync_module.rsync
    if getattr(original, _PATCH_MARK, False):
        return True

    def rsync(*args: Any, **kwargs: Any) -> Any:
        opts = str(kwargs.get("ssh_opts", ""))
        if kwargs.get("strict_host_keys", True) and "StrictHostKeyChecking" not in opts:
            kwargs["ssh_opts"] = f"{opts} -o StrictHostKeyChecking=accept-new".strip()
        return original(*args, **kwargs)

    setattr(rsync, _PATCH_MARK, True)
    rsync.__wrapped__ = original  # type: ignore[attr-defined]
    rsync.__doc__ = original.__doc__
    for name in _RSYNC_USERS:
        module = sys.modules.get(name) or importlib.import_module(name)
        if getattr(module, "rsync", None) is original:
            module.rsync = rsync  # type: ignore[attr-defined]
    return True


TEMPLATE_DIR = Path(__file__).with_name("templates")
"""Our Slurm templates (``ray_cpu.sub.j2``: Ray on CPU-only nodes)."""


def patch_ray_templates(version: str) -> bool:
    """Let nemo-run's Slurm Ray requests use our templates by name.

    nemo-run 0.11 looks Ray sbatch templates up only in its own folder, so
    ``SlurmExecutor(ray_template="ray_cpu.sub.j2")`` would fail. The wrapper falls back to
    :data:`TEMPLATE_DIR` for a template nemo-run does not have; nemo-run's own templates are
    untouched. Only for 0.11.x; idempotent. Returns True when the patch is in place.
    """
    if ".".join(version.split(".")[:2]) != SUPPORTED_SERIES:
        return False
    ray_slurm = importlib.import_module("nemo_run.run.ray.slurm")
    original = ray_slurm.fill_template
    if getattr(original, _PATCH_MARK, False):
        return True

    def fill_template(template_name: str, variables: dict[str, Any], template_dir: str | None = None) -> Any:
        # fill_template's own default folder
        default_dir = Path(sys.modules[original.__module__].__file__ or "").with_name("templates")
        if (
            not (Path(template_dir or default_dir) / template_name).exists()
            and (TEMPLATE_DIR / template_name).exists()
        ):
            template_dir = str(TEMPLATE_DIR)
        return original(template_name, variables, template_dir=template_dir)

    setattr(fill_template, _PATCH_MARK, True)
    fill_template.__wrapped__ = original  # type: ignore[attr-defined]
    ray_slurm.fill_template = fill_template  # type: ignore[attr-defined]
    return True


def patch_main_source_copy(version: str) -> bool:
    """Let an experiment start from a ``__main__`` that has no source file.

    nemo-run 0.11 saves the launching ``__main__``'s source next to each experiment and
    catches only ``TypeError`` from ``inspect.getsource``; from ``python -``, ``python -c``
    or a kernel whose ``__main__`` names no readable file it gets ``OSError`` and the whole
    submission fails. The wrapper lets that one error pass (the task file is written before
    it; we delete the copy anyway). Only for 0.11.x; idempotent. Returns True when in place.
    """
    if ".".join(version.split(".")[:2]) != SUPPORTED_SERIES:
        return False
    experiment = importlib.import_module("nemo_run.run.experiment").Experiment
    original = experiment._save_jobs
    if getattr(original, _PATCH_MARK, False):
        return True

    def _save_jobs(self: Any) -> Any:
        try:
            return original(self)
        except OSError as exc:
            if "could not get source code" not in str(exc):
                raise
            return None

    setattr(_save_jobs, _PATCH_MARK, True)
    _save_jobs.__wrapped__ = original  # type: ignore[attr-defined]
    experiment._save_jobs = _save_jobs
    return True


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


def _as_launch_error(exc: Exception, what: str) -> LaunchError:
    """One actionable line for an error from inside nemo-run."""
    result = getattr(exc, "result", None)  # invoke's UnexpectedExit: a shell command failed
    command = getattr(result, "command", None)
    if result is not None and command:
        stderr = _last_lines(str(getattr(result, "stderr", "") or getattr(result, "stdout", "")), 1)
        tool = str(command).split()[0]
        return LaunchError(
            f"{tool} failed (exit {getattr(result, 'exited', '?')}) while trying to {what}: "
            f"{stderr or 'no error output'}",
            hint=f"The command was: {command}",
        )
    text = " ".join(str(exc).split())
    return LaunchError(f"nemo-run failed to {what}: {type(exc).__name__}: {text}")


def _last_lines(text: str, n: int = 5) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines() if line.strip()]
    return " | ".join(lines[-n:])
