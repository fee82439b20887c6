# Plain str paths and os calls on purpose: the local store is the hot path of the
# tables (10,000 manifests), where pathlib objects cost more than the reads.
"""Byte-level storage under a registry root: local disk fast path, any fsspec store otherwise.

The registry needs only a handful of operations; each store implements them with
the strongest guarantee it can give (see docs/artifacts.md, "Concurrency"):

=================  ====================================  ===============================
operation          local disk (``LocalStore``)           other fsspec stores
=================  ====================================  ===============================
claim a version    ``os.mkdir(v{N})`` (atomic)           ``open(manifest, "xb")``
publish a file     write temp file, ``os.replace``       one ``pipe_file`` (one PUT)
raise ``latest``   compare-and-set under ``flock``       read, compare, write (a hint)
=================  ====================================  ===============================
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["Damage", "FsspecStore", "LocalStore", "Store", "open_store"]


@dataclass(frozen=True)
class Damage:
    """One entry under an artifact that cannot be read as what its place says it is.

    ``version`` is the number its directory name gives (``None`` for stray entries);
    ``path`` is the file or directory at fault and ``reason`` what is wrong with it.
    """

    path: str
    reason: str
    version: int | None = None

    def __str__(self) -> str:
        return f"{self.path} {self.reason}"


#: Entries of an artifact directory besides the versions (dot names are temp and lock files).
KNOWN_ENTRIES = frozenset({"latest", "aliases"})
STRAY_REASON = "is not a version directory (versions are named v1, v2, ...): move it out of the registry"
UNCOMMITTED_REASON = "has no manifest.json (a publish still running, or one that was interrupted)"


def damage_reason(exc: OSError) -> str:
    """Why reading failed, in words (``"is a symlink loop"``, ``"permission denied"`` ...)."""
    if isinstance(exc, IsADirectoryError):
        return "is a directory, expected a file"
    if isinstance(exc, NotADirectoryError):
        return "is a file, expected a version directory"
    if exc.errno == errno.ELOOP:
        return "is a symlink loop"
    if isinstance(exc, PermissionError):
        return "cannot be read: permission denied"
    return f"cannot be read: {exc.strerror or exc}"


class Store(Protocol):
    """What the registry asks of a storage backend. Paths are strings joined with ``/``."""

    root: str
    is_local: bool

    def join(self, *parts: str) -> str:
        """Join ``parts`` under the root."""
        ...

    def read_bytes(self, path: str) -> bytes:
        """Whole file contents; ``FileNotFoundError`` if absent."""
        ...

    def list_dir(self, path: str) -> list[str]:
        """Names of the entries directly under ``path``; ``[]`` if it does not exist."""
        ...

    def list_subdirs(self, path: str) -> list[str]:
        """Names of the directories directly under ``path``; ``[]`` if it does not exist."""
        ...

    def committed_versions(self, name_dir: str) -> list[int]:
        """Sorted numbers N of the ``v{N}/manifest.json`` files under ``name_dir``."""
        ...

    def read_versions(self, name_dir: str) -> tuple[list[tuple[int, bytes]], list[Damage]]:
        """``(N, manifest bytes)`` of every committed version under ``name_dir``, ascending.

        Also returns what could not be read: version directories without a readable
        ``manifest.json`` and entries that are not versions at all (``v²``, ``notes``).
        Raises ``OSError`` only if ``name_dir`` itself cannot be listed.
        """
        ...

    def count_versions(self, name_dir: str, up_to: int) -> int:
        """How many ``v{N}`` entries with ``N <= up_to`` exist, without opening them."""
        ...

    def exists(self, path: str) -> bool:
        """Whether a file or directory exists at ``path``."""
        ...

    def write_atomic(self, path: str, data: bytes) -> None:
        """Replace ``path`` with ``data`` so that readers see the old or the new bytes."""
        ...

    def create_version(self, version_dir: str, files: Sequence[tuple[str, bytes]]) -> bool:
        """Claim ``version_dir`` and write ``files`` into it, the last one being the commit.

        Returns ``False`` (writing nothing) if another publisher holds that version.
        On any error the claimed version is removed again before the error propagates.
        """
        ...

    def remove_version(self, version_dir: str) -> None:
        """Delete a version this process created (undoing a publish that failed later)."""
        ...

    def raise_pointer(self, path: str, version: int) -> None:
        """Make the text file ``path`` say ``v{version}`` unless it already names a newer one."""
        ...

    def local_path(self, path: str) -> str | None:
        """A path usable with ``os`` functions, or ``None`` for remote stores."""
        ...


def read_pointer(data: bytes) -> int | None:
    """Version number in a ``latest``/alias file (``b"v12"``), ``None`` if unreadable."""
    text = data.decode("utf-8", "replace").strip()
    return version_of_dirname(text)


def version_of_dirname(entry: str) -> int | None:
    """``12`` for a version directory named ``v12``, else ``None`` (also for ``v²``, ``v012``)."""
    digits = entry[1:]
    if entry[:1] == "v" and digits.isascii() and digits.isdigit() and digits[0] != "0":
        return int(digits)
    return None


class LocalStore:
    """A registry root on a local or network-mounted POSIX file system."""

    is_local = True

    def __init__(self, root: str) -> None:
        self.root = os.path.abspath(os.path.expanduser(root))

    def join(self, *parts: str) -> str:
        return os.path.join(self.root, *parts)

    def read_bytes(self, path: str) -> bytes:
        return _read_file(path)

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
        damaged: list[Damage] = []
        numbers = []
        for entry in os.listdir(name_dir):
            number = version_of_dirname(entry)
            if number is not None:
                numbers.append(number)
            elif entry not in KNOWN_ENTRIES and entry[:1] != ".":
                damaged.append(_stray(os.path.join(name_dir, entry)))
        numbers.sort()
        prefix = name_dir + os.sep + "v"
        found = []
        for number in numbers:
            path = f"{prefix}{number}{os.sep}manifest.json"
            try:
                found.append((number, _read_file(path)))
            except FileNotFoundError:
                damaged.append(_uncommitted(f"{prefix}{number}", number))
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


_FIRST_READ = 1 << 16


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a symlink loop, a vanished entry: not a directory we can use
        return False


def _stray(path: str) -> Damage:
    return Damage(path, STRAY_REASON)


def _uncommitted(version_dir: str, number: int) -> Damage:
    return Damage(version_dir, UNCOMMITTED_REASON, number)


def _read_file(path: str) -> bytes:
    """Whole file through ``os.open``/``os.read``: a third cheaper than ``open()`` for small files."""
    fd = os.open(path, os.O_RDONLY)
    try:
        data = os.read(fd, _FIRST_READ)
        if len(data) < _FIRST_READ:
            return data
        chunks = [data]
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


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


class FsspecStore:
    """A registry root on any fsspec file system (``memory://``, ``s3://``, ``gs://`` ...)."""

    is_local = False

    def __init__(self, fs: Any, root: str) -> None:
        self.fs = fs
        self.root = root.rstrip("/")

    def join(self, *parts: str) -> str:
        return "/".join([self.root, *parts])

    def read_bytes(self, path: str) -> bytes:
        data = self.fs.cat_file(path)
        return bytes(data)

    def list_dir(self, path: str) -> list[str]:
        try:
            entries = self.fs.ls(path, detail=False, refresh=True)
        except (FileNotFoundError, NotADirectoryError):
            return []
        prefix = path.rstrip("/") + "/"
        names = []
        for entry in entries:
            entry = str(entry).rstrip("/")
            name = entry[len(prefix) :] if entry.startswith(prefix) else entry.rsplit("/", 1)[-1]
            if name and "/" not in name:
                names.append(name)
        return names

    def list_subdirs(self, path: str) -> list[str]:
        try:
            entries = self.fs.ls(path, detail=True, refresh=True)
        except (FileNotFoundError, NotADirectoryError):
            return []
        return [
            str(e["name"]).rstrip("/").rsplit("/", 1)[-1] for e in entries if e.get("type") == "directory"
        ]

    def committed_versions(self, name_dir: str) -> list[int]:
        found = []
        for match in self.fs.glob(f"{name_dir}/v*/manifest.json"):
            number = version_of_dirname(str(match).rstrip("/").split("/")[-2])
            if number is not None:
                found.append(number)
        found.sort()
        return found

    def read_versions(self, name_dir: str) -> tuple[list[tuple[int, bytes]], list[Damage]]:
        damaged: list[Damage] = []
        numbers = []
        for entry in self.list_dir(name_dir):
            number = version_of_dirname(entry)
            if number is not None:
                numbers.append(number)
            elif entry not in KNOWN_ENTRIES and entry[:1] != ".":
                damaged.append(_stray(f"{name_dir}/{entry}"))
        numbers.sort()
        paths = [f"{name_dir}/v{n}/manifest.json" for n in numbers]
        contents = self.fs.cat(paths, on_error="return") if paths else {}
        by_path = {self.fs._strip_protocol(k): v for k, v in contents.items()}
        found = []
        for number, path in zip(numbers, paths, strict=True):
            data = by_path.get(self.fs._strip_protocol(path))
            if isinstance(data, FileNotFoundError) or data is None:
                damaged.append(_uncommitted(f"{name_dir}/v{number}", number))
            elif isinstance(data, OSError):
                damaged.append(Damage(path, damage_reason(data), number))
            elif isinstance(data, BaseException):
                damaged.append(Damage(path, f"cannot be read: {data}", number))
            else:
                found.append((number, bytes(data)))
        return found, damaged

    def count_versions(self, name_dir: str, up_to: int) -> int:
        return sum(1 for n in self.committed_versions(name_dir) if n <= up_to)

    def exists(self, path: str) -> bool:
        return bool(self.fs.exists(path))

    def write_atomic(self, path: str, data: bytes) -> None:
        self.fs.pipe_file(path, data)

    def create_version(self, version_dir: str, files: Sequence[tuple[str, bytes]]) -> bool:
        *rest, (commit_name, commit_data) = files
        commit_path = f"{version_dir}/{commit_name}"
        ours = False  # set once this process holds the version: only then undo on errors
        try:
            try:
                with self.fs.open(commit_path, "xb") as f:
                    ours = True
                    f.write(commit_data)
            except FileExistsError:
                if ours:
                    raise
                return False
            except (ValueError, NotImplementedError, TypeError):
                if ours:
                    raise
                # No exclusive create on this store: check, then write (documented as racy).
                if self.fs.exists(commit_path):
                    return False
                ours = True
                self.fs.pipe_file(commit_path, commit_data)
            for name, data in rest:
                self.fs.pipe_file(f"{version_dir}/{name}", data)
        except BaseException:
            if ours:
                self.remove_version(version_dir)
            raise
        return True

    def remove_version(self, version_dir: str) -> None:
        with contextlib.suppress(Exception):  # best effort: the store may be what failed
            if self.fs.exists(version_dir):
                self.fs.rm(version_dir, recursive=True)

    def raise_pointer(self, path: str, version: int) -> None:
        try:
            current = read_pointer(self.read_bytes(path))
        except FileNotFoundError:
            current = None
        if current is None or current < version:
            self.fs.pipe_file(path, f"v{version}".encode())

    def local_path(self, path: str) -> str | None:
        return None


def open_store(root: str | os.PathLike[str], storage_options: dict[str, Any] | None = None) -> Store:
    """A :class:`LocalStore` for local paths and ``file://`` URLs, else a :class:`FsspecStore`."""
    text = os.fspath(root)
    if "://" not in text and "::" not in text:
        return LocalStore(text)
    import fsspec.core

    fs, path = fsspec.core.url_to_fs(text, **(storage_options or {}))
    protocols = (fs.protocol,) if isinstance(fs.protocol, str) else tuple(fs.protocol)
    if "file" in protocols or "local" in protocols:
        return LocalStore(path)
    return FsspecStore(fs, path)
