# Plain str paths and os calls on purpose: the local store is the hot path of the
# tables (10,000 manifests), where pathlib objects cost more than the reads.
"""``LocalStore``: a registry root on a local or network-mounted POSIX file system.

A version is claimed with ``os.mkdir`` (atomic), files are published by writing a temp
file and ``os.replace``, and ``latest`` is raised with a compare-and-set under ``flock``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator, Sequence

from .._text import read_whole
from ._store import Damage, damage_reason, read_pointer, uncommitted, version_entries, version_of_dirname

__all__ = ["LocalStore"]


class LocalStore:
    """A registry root on a local or network-mounted POSIX file system."""

    is_local = True

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(os.path.expanduser(root))

    def join(self, *parts: str) -> str:
        return os.path.join(self.root, *parts)

    def read_bytes(self, path: str) -> bytes:
        return read_whole(path)

    def list_dir(self, path: str) -> list[str]:
        try:
            return os.listdir(path)
        except (FileNotFoundError, NotADirectoryError):
            return []

    def list_subdirs(self, path: str) -> list[str]:
        try:
            with os.scandir(path) as entries:
                return [e.name for e in entries if _is_dir(e)]
        except (FileNotFoundError, NotADirectoryError):
            return []

    def committed_versions(self, name_dir: str) -> list[int]:
        found = []
        for entry in self.list_dir(name_dir):
            number = version_of_dirname(entry)
            if number is not None and os.path.exists(os.path.join(name_dir, entry, "manifest.json")):
                found.append(number)
        found.sort()
        return found

    def read_versions(self, name_dir: str) -> tuple[list[tuple[int, bytes]], list[Damage]]:
        # The hot path of the tables: one listdir, then one open per version, in order.
        numbers, damaged = version_entries(os.listdir(name_dir), lambda entry: os.path.join(name_dir, entry))
        prefix = name_dir + os.sep + "v"
        found = []
        for number in numbers:
            path = f"{prefix}{number}{os.sep}manifest.json"
            try:
                found.append((number, read_whole(path)))
            except FileNotFoundError:
                damaged.append(uncommitted(f"{prefix}{number}", number))
            except OSError as exc:
                where = f"{prefix}{number}" if isinstance(exc, NotADirectoryError) else path
                damaged.append(Damage(where, damage_reason(exc), number))
        return found, damaged

    def count_versions(self, name_dir: str, up_to: int) -> int:
        return sum(
            1 for n in map(version_of_dirname, self.list_dir(name_dir)) if n is not None and n <= up_to
        )

    def exists(self, path: str) -> bool:
        return os.path.exists(path)

    def write_atomic(self, path: str, data: bytes) -> None:
        parent = os.path.dirname(path)
        os.makedirs(parent, exist_ok=True)
        tmp = os.path.join(parent, f".{os.path.basename(path)}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def create_version(self, version_dir: str, files: Sequence[tuple[str, bytes]]) -> bool:
        os.makedirs(os.path.dirname(version_dir), exist_ok=True)
        try:
            os.mkdir(version_dir)
        except FileExistsError:
            return False
        try:
            for name, data in files:
                self.write_atomic(os.path.join(version_dir, name), data)
        except BaseException:
            self.remove_version(version_dir)
            raise
        return True

    def remove_version(self, version_dir: str) -> None:
        shutil.rmtree(version_dir, ignore_errors=True)

    def raise_pointer(self, path: str, version: int) -> None:
        lock = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.lock")
        with _flocked(lock):
            try:
                current = read_pointer(self.read_bytes(path))
            except FileNotFoundError:
                current = None
            if current is None or current < version:
                self.write_atomic(path, f"v{version}".encode())

    def local_path(self, path: str) -> str | None:
        return path


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a symlink loop, a vanished entry: not a directory we can use
        return False


@contextlib.contextmanager
def _flocked(lock_path: str) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``lock_path``; the kernel drops it if the process dies."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no flock; last writer wins
        yield
        return
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
