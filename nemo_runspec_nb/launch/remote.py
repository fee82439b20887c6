"""A Slurm login node reached over SSH: run commands, ship files, read logs.

The plain OpenSSH client (``ssh``, ``rsync -e ssh``) does the work, always with
``BatchMode=yes`` so it never prompts: a missing key, a refused login or an
unknown host is a one-line :class:`~nemo_runspec_nb.errors.LaunchError` with a
hint, never a password prompt. A new host key is accepted and recorded
(``StrictHostKeyChecking=accept-new``); a *changed* one is refused.

nemo-run's ``SSHTunnel`` still submits the job (it rsyncs its experiment dir
and runs ``sbatch``); this module ships what *our* job needs next to it
(``run.sh``, ``train.yaml``, the unpacked code, the secrets file) and serves
status, logs and cancel for jobs reconnected from their record.
"""

from __future__ import annotations

import getpass
import shlex
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import LaunchError

__all__ = ["SSHTarget", "parse_log_chunks", "ssh_target"]

_SSH_FAILED = 255  # ssh's own exit status for connection / authentication failures
_CHUNK_MARK = b"@@nrs-chunk "


@dataclass(frozen=True)
class SSHTarget:
    """Where an SSH-tunnel Slurm job lives: login node, user, port, key, nemo-run's remote dir."""

    host: str
    user: str
    remote_job_dir: str
    port: int | None = None
    identity: str | None = None
    connect_timeout: int = 10

    # -- construction -----------------------------------------------------------------------------
    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> SSHTarget:
        """The target a ``job.json`` ``ssh`` entry describes."""
        return cls(
            host=str(data["host"]),
            user=str(data["user"]),
            remote_job_dir=str(data["remote_job_dir"]),
            port=int(data["port"]) if data.get("port") else None,
            identity=str(data["identity"]) if data.get("identity") else None,
        )

    def to_record(self) -> dict[str, Any]:
        """What ``job.json`` keeps to reconnect (no secret: the key file's path only)."""
        return {
            "host": self.host,
            "user": self.user,
            "port": self.port,
            "identity": self.identity,
            "remote_job_dir": self.remote_job_dir,
        }

    @property
    def key(self) -> str:
        """``user@host:port``: jobs with the same key share one Slurm query per refresh."""
        return f"{self.user}@{self.host}:{self.port or 22}"

    def job_dir(self, local_job_dir: Path) -> PurePosixPath:
        """The job's folder on the remote: ``remote_job_dir/<job dir name>``."""
        return PurePosixPath(self.remote_job_dir) / Path(local_job_dir).name

    # -- commands ---------------------------------------------------------------------------------
    def ssh_options(self) -> list[str]:
        """Options shared by ``ssh`` and rsync's ``-e ssh``."""
        opts = [
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=accept-new",
            "-o",
            f"ConnectTimeout={self.connect_timeout}",
            "-o",
            "LogLevel=ERROR",
        ]
        if self.port:
            opts += ["-p", str(self.port)]
        if self.identity:
            opts += ["-i", self.identity, "-o", "IdentitiesOnly=yes"]
        return opts

    def ssh_argv(self, command: str) -> list[str]:
        """``ssh ... user@host -- command`` (``command`` is run by the remote shell)."""
        return ["ssh", *self.ssh_options(), f"{self.user}@{self.host}", "--", command]

    def _fail(self, what: str, detail: str) -> LaunchError:
        line = " ".join(detail.strip().splitlines()[-1:]) if detail.strip() else "no error output"
        hint = (
            f"Check that `ssh{' -p ' + str(self.port) if self.port else ''}"
            f"{' -i ' + self.identity if self.identity else ''} {self.user}@{self.host} true` works "
            "without a prompt (profile keys host, user, port, identity; key-based login only)"
        )
        return LaunchError(f"SSH to {self.key} failed while trying to {what}: {line}", hint=hint)

    def run(
        self,
        command: str,
        *,
        what: str,
        input: bytes | None = None,
        check: bool = True,
        timeout: float = 120.0,
    ) -> subprocess.CompletedProcess[bytes]:
        """Run ``command`` on the remote; LaunchError when SSH fails (or, with ``check``, the command)."""
        if shutil.which("ssh") is None:
            raise LaunchError(
                "the SSH client is not installed ('ssh' is not on PATH)",
                hint="Install openssh-client",
            )
        try:
            proc = subprocess.run(
                self.ssh_argv(command),
                input=input,
                stdin=None if input is not None else subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise self._fail(what, f"no answer after {timeout:g} s") from None
        if proc.returncode == _SSH_FAILED:
            raise self._fail(what, proc.stderr.decode(errors="replace"))
        if check and proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).decode(errors="replace").strip().splitlines()
            raise LaunchError(
                f"on {self.key}, the command to {what} failed (exit {proc.returncode}): "
                f"{detail[-1] if detail else 'no error output'}",
                hint=f"The command was: {command}",
            )
        return proc

    def runner(self, argv: Sequence[str]) -> str:
        """A :class:`~._slurm_status.SlurmQuery` runner: ``argv`` on the remote, its stdout.

        Like the local runner, a failing Slurm command yields "" (its jobs read as UNKNOWN),
        except that squeue's "Invalid job id" still returns its output; a failing SSH
        connection is a LaunchError.
        """
        proc = self.run(shlex.join(argv), what=f"run {argv[0]}", check=False, timeout=60)
        stderr = proc.stderr.decode(errors="replace")
        if proc.returncode == 0 or "Invalid job id" in stderr:
            return proc.stdout.decode(errors="replace")
        return ""

    def check(self) -> None:
        """LaunchError unless we can log in and ``sbatch`` is on the remote PATH."""
        proc = self.run("command -v sbatch", what="check for sbatch", check=False, timeout=30)
        if proc.returncode != 0:
            raise LaunchError(
                f"'sbatch' is not on the PATH of {self.key}",
                hint="Point 'host' at a Slurm login node (a non-login shell's PATH must find sbatch)",
            )

    # -- files ------------------------------------------------------------------------------------
    def upload(self, local_dir: Path, remote_dir: PurePosixPath, *, exclude: Iterable[str] = ()) -> None:
        """Copy the contents of ``local_dir`` into ``remote_dir`` (made if missing) with rsync."""
        if shutil.which("rsync") is None:
            raise LaunchError("rsync is not installed here", hint="Install rsync (apt-get install rsync)")
        self.run(f"mkdir -p {shlex.quote(str(remote_dir))}", what="create the remote job dir")
        argv = [
            "rsync",
            "-rlptz",
            "--chmod=Du+rwx,Fu+rw",
            *(f"--exclude={pattern}" for pattern in exclude),
            "-e",
            shlex.join(["ssh", *self.ssh_options()]),
            f"{Path(local_dir)}/",
            f"{self.user}@{self.host}:{shlex.quote(str(remote_dir))}/",
        ]
        try:
            proc = subprocess.run(
                argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600, check=False
            )
        except subprocess.TimeoutExpired:
            raise self._fail("upload the job files", "rsync took more than 600 s") from None
        if proc.returncode != 0:
            raise self._fail("upload the job files", proc.stderr or proc.stdout)

    def write_private(self, remote_path: PurePosixPath, text: str, *, what: str) -> None:
        """Create ``remote_path`` readable by its owner only, from stdin (never a command line).

        The text goes to a temporary file (``umask 077``) that gets the name only when it is
        complete, without replacing anything (``ln``: the file must not exist yet); a failed
        write (a full disk) removes the temporary file, leaving no half file behind.
        """
        quoted = shlex.quote(str(remote_path))
        tmp = shlex.quote(f"{remote_path}.tmp")
        script = (
            f"umask 077 && trap 'rm -f {tmp}' EXIT && rm -f {tmp} && cat > {tmp} && sync {tmp} "
            f"&& ln {tmp} {quoted}"
        )
        self.run(script, what=what, input=text.encode())

    def read_chunks(
        self, remote_dir: str, patterns: Sequence[Sequence[str]], offsets: Mapping[str, int]
    ) -> list[tuple[str, bytes]]:
        """New bytes of log files on the remote, in one SSH call.

        ``patterns`` are glob groups relative to ``remote_dir``; the first group that matches
        a file is used (e.g. the task logs, else the batch log). Each file is read from its
        offset in ``offsets`` (key: the path relative to ``remote_dir``).
        """
        cases = "".join(
            f"    {shlex.quote(path)}) off={int(off)} ;;\n" for path, off in offsets.items() if off > 0
        )
        groups = "".join(
            f'  [ -n "$files" ] || files=$(ls -1d {" ".join(p for p in group)} 2>/dev/null)\n'
            for group in patterns
        )
        script = (
            f"cd {shlex.quote(remote_dir)} 2>/dev/null || exit 0\n"
            'files=""\n'
            f"{groups}"
            'printf "%s\\n" "$files" | while IFS= read -r f; do\n'
            '  [ -f "$f" ] || continue\n'
            '  off=0\n  case "$f" in\n'
            f"{cases}"
            "  esac\n"
            '  size=$(wc -c < "$f")\n'
            '  [ "$size" -gt "$off" ] || continue\n'
            f'  printf "{_CHUNK_MARK.decode()}%s %s\\n" "$((size - off))" "$f"\n'
            '  tail -c +"$((off + 1))" "$f" | head -c "$((size - off))"\n'
            "done\n"
        )
        proc = self.run(script, what="read the job's logs", check=False, timeout=60)
        return parse_log_chunks(proc.stdout)


def parse_log_chunks(data: bytes) -> list[tuple[str, bytes]]:
    """Parse :meth:`SSHTarget.read_chunks` output: a ``@@nrs-chunk N path`` line + N bytes, repeated."""
    out: list[tuple[str, bytes]] = []
    pos = 0
    while True:
        start = data.find(_CHUNK_MARK, pos)
        if start < 0:
            return out
        end = data.find(b"\n", start)
        if end < 0:
            return out
        size_text, _, path = data[start + len(_CHUNK_MARK) : end].decode(errors="replace").partition(" ")
        try:
            size = int(size_text)
        except ValueError:
            return out
        body = data[end + 1 : end + 1 + size]
        out.append((path, body))
        pos = end + 1 + len(body)


def ssh_target(profile: Mapping[str, Any] | None) -> SSHTarget | None:
    """The SSH target of a Slurm profile with an SSH tunnel (``host`` set), else None."""
    profile = profile or {}
    kind = str(profile.get("tunnel") or ("ssh" if profile.get("host") else "local")).lower()
    if str(profile.get("executor") or "local").lower() != "slurm" or kind != "ssh":
        return None
    if not profile.get("host"):
        raise LaunchError(
            "the ssh tunnel needs 'host' in the profile",
            key="host",
            hint="Set host (the login node), user, identity and remote_job_dir",
        )
    remote = str(profile.get("remote_job_dir") or "")
    if not remote:
        raise LaunchError(
            "the slurm (ssh tunnel) executor needs 'remote_job_dir' in the profile",
            key="remote_job_dir",
            hint="An absolute directory on the cluster, e.g. /lustre/me/nemo-run",
        )
    if not remote.startswith("/"):
        raise LaunchError(
            f"remote_job_dir must be an absolute path on the cluster, not {remote!r}",
            key="remote_job_dir",
        )
    identity = profile.get("identity")
    port = profile.get("port")
    try:
        port_number = int(port) if port else None
    except (TypeError, ValueError):
        raise LaunchError(f"profile key 'port' must be an integer, not {port!r}", key="port") from None
    return SSHTarget(
        host=str(profile["host"]),
        user=str(profile.get("user") or getpass.getuser()),
        remote_job_dir=remote.rstrip("/") or "/",
        port=port_number,
        identity=str(Path(str(identity)).expanduser()) if identity else None,
    )
