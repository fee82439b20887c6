"""Keep secret environment variables out of every file and preview we write.

A job's environment is split in two (:func:`split_secret_env`). Public
variables may appear in sbatch scripts, job.yaml and previews. Secret ones are
written only to a shell file that is created readable by its owner alone
(:func:`write_secret_file`) and that the job sources as its first step
(:func:`secret_preamble`). The preamble names the file, never a value.

The file lives as long as the job: a Slurm job that is requeued (node failure,
preemption, ``scontrol requeue``) runs its batch script again and needs it
again. It is removed once the job has ended for good: by the local runner when
the job exits, and for Slurm by a small cleanup job that waits for the job with
``--dependency=afterany`` (:func:`cleanup_job_argv`), which a requeue does not
satisfy.

What counts as secret (:func:`is_secret_name`)
-----------------------------------------------
The same rule that masks values in previews,
:func:`nemo_runspec_nb.config.is_secret_key`, so what a preview hides
is exactly what is kept out of files: a name is split into words at ``_``,
``-``, ``.`` and case changes (``hfToken`` -> ``hf``, ``Token``), and it is
secret when one word is KEY, TOKEN, SECRET(S), PASSWORD, PASSWD,
CREDENTIAL(S) or APIKEY, case-insensitively.

Whole words only, on purpose: ``WANDB_API_KEY``, ``HF_TOKEN`` and
``AWS_SECRET_ACCESS_KEY`` are secret, while ``KEYBOARD_LAYOUT``, ``MONKEY``
and ``TOKENIZERS_PARALLELISM`` (set by most Hugging Face jobs) are not. A
substring match would hide harmless settings from previews and push them
through the secrets file for no gain; a secret under an unusual name can be
forced through ``extra_secret_names`` of :func:`split_secret_env`.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePath

from ..config import is_secret_key
from ..errors import SubmissionError

__all__ = [
    "SECRET_FILE_NAME",
    "cleanup_job_argv",
    "is_secret_name",
    "remove_secret_file",
    "secret_file_text",
    "secret_preamble",
    "split_secret_env",
    "write_secret_file",
]

SECRET_FILE_NAME = ".runspec-secrets.sh"
"""File name :func:`write_secret_file` uses inside a job directory."""

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def is_secret_name(name: str) -> bool:
    """True when the environment variable ``name`` looks like it holds a secret.

    >>> is_secret_name("WANDB_API_KEY"), is_secret_name("hfToken"), is_secret_name("KEYBOARD_LAYOUT")
    (True, True, False)
    """
    return is_secret_key(name)


def split_secret_env(
    env: Mapping[str, str], *, extra_secret_names: Iterable[str] = ()
) -> tuple[dict[str, str], dict[str, str]]:
    """Split ``env`` into ``(public, secret)`` dicts, keeping the original order.

    ``extra_secret_names`` marks further names as secret whatever they look like.
    """
    forced = set(extra_secret_names)
    public: dict[str, str] = {}
    secret: dict[str, str] = {}
    for name, value in env.items():
        (secret if name in forced or is_secret_name(name) else public)[name] = value
    return public, secret


def secret_file_text(secrets: Mapping[str, str]) -> str:
    """The secrets file's text: one ``export NAME='value'`` line per variable.

    Raises:
        SubmissionError: a name that is not a shell variable name, or a value with a NUL byte.

    """
    lines = ["# Sourced by the job's first step, removed when the job has ended; written by nemo_runspec_nb."]
    for name, value in secrets.items():
        if not _ENV_NAME.match(name):
            raise SubmissionError(
                f"cannot pass secret {name!r} to the job: not a valid environment variable name",
                key=name,
                hint="Use letters, digits and '_' only, not starting with a digit",
            )
        if "\0" in value:
            raise SubmissionError(f"secret {name!r} contains a NUL byte", key=name)
        lines.append(f"export {name}={shlex.quote(value)}")
    return "\n".join(lines) + "\n"


def write_secret_file(job_dir: Path, secrets: Mapping[str, str]) -> Path:
    """Write ``secrets`` as ``export NAME='value'`` lines to a new owner-only file in ``job_dir``.

    The text goes to a temporary file created with mode 0600 (so no other user can ever open
    it), is flushed to disk, and only then gets its name, without replacing anything: a
    leftover file from an earlier launch is an error rather than something to overwrite. When
    the write fails (a full disk) the temporary file is removed, so no secret bytes and no
    half file are left and the launch can be retried. Returns the file's path.

    Raises:
        SubmissionError: the file exists already, or it could not be written.

    """
    text = secret_file_text(secrets).encode()
    job_dir = Path(job_dir)
    job_dir.mkdir(parents=True, exist_ok=True)
    path = job_dir / SECRET_FILE_NAME
    if path.exists():
        raise _exists(path)
    fd, tmp = tempfile.mkstemp(prefix=f"{SECRET_FILE_NAME}.", suffix=".tmp", dir=job_dir)  # mode 0600
    try:
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.link(tmp, path)  # fails when the name exists: never overwrite
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    except FileExistsError:
        raise _exists(path) from None
    except OSError as exc:
        raise SubmissionError(
            f"could not write the secrets file: {exc.strerror or exc}",
            path=path,
            hint="Free some space in the job directory's file system and launch again",
        ) from exc
    return path


def _exists(path: Path) -> SubmissionError:
    return SubmissionError(
        "a secrets file already exists in this job directory",
        path=path,
        hint="Launch into a fresh job directory, or delete the stale file",
    )


def remove_secret_file(job_dir: Path) -> None:
    """Remove the job's secrets file (and temporary files of a failed write) if present."""
    for path in Path(job_dir).glob(f"{SECRET_FILE_NAME}*"):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def secret_preamble(path: str | PurePath, *, remove: bool = False) -> str:
    """Shell lines that export the variables in ``path``.

    The file stays (a requeued job reads it again) unless ``remove``, which deletes it right
    after reading (for scripts that run once). The lines name the file only. When the file is
    missing they say so on stderr and go on.
    """
    quoted = shlex.quote(str(path))
    return (
        f"if [ -f {quoted} ]; then\n"
        f"  set -a; . {quoted}; set +a\n"
        + (f"  rm -f {quoted}\n" if remove else "")
        + "else\n"
        f"  echo 'runspec: secrets file not found, secret variables are not set:' {quoted} >&2\n"
        "fi\n"
    )


def cleanup_job_argv(
    path: str | PurePath,
    job_id: str,
    *,
    name: str,
    partition: str | None = None,
    account: str | None = None,
    qos: str | None = None,
) -> list[str]:
    """``sbatch`` argv of a tiny job that removes the secrets file ``path`` once job ``job_id`` ended.

    ``--dependency=afterany`` is satisfied only when the job has finished for good (completed,
    failed, cancelled, timed out), not when it is requeued. The cleanup job should use the
    job's partition, account and QOS; it writes no output and is never requeued itself.
    """
    argv = [
        "sbatch",
        "--parsable",
        f"--dependency=afterany:{job_id}",
        f"--job-name={name}",
        "--ntasks=1",
        "--time=00:05:00",
        "--no-requeue",
        "--output=/dev/null",
        "--error=/dev/null",
    ]
    for option, value in (("--partition", partition), ("--account", account), ("--qos", qos)):
        if value:
            argv.append(f"{option}={value}")
    argv.append(f"--wrap=rm -f {shlex.quote(str(path))}")
    return argv
