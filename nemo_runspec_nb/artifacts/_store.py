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
import os
import uuid
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

__all__ = ["FsspecStore", "LocalStore", "Store", "open_store"]


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

    def read_versions(self, name_dir: str) -> list[tuple[int, bytes]]:
        """``(N, manifest bytes)`` of every committed version under ``name_dir``, ascending."""
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
        """
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
    if text.startswith("v") and text[1:].isdigit():
        return int(text[1:])
    return None


def version_of_dirname(entry: str) -> int | None:
    """``12`` for a version directory named ``v12``, else ``None``."""
    if len(entry) > 1 and entry[0] == "v" and entry[1:].isdigit() and entry[1] != "0":
        return int(entry[1:])
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
                return [e.name for e in entries if e.is_dir()]
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

    def read_versions(self, name_dir: str) -> list[tuple[int, bytes]]:
        # The hot path of the tables: one listdir, then one open per version, in order.
        numbers = sorted(n for n in map(version_of_dirname, self.list_dir(name_dir)) if n is not None)
        prefix = name_dir + os.sep + "v"
        found = []
        for number in numbers:
            try:
                found.append((number, _read_file(f"{prefix}{number}{os.sep}manifest.json")))
            except FileNotFoundError:
                continue  # claimed, not committed yet
        return found

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
        for name, data in files:
            self.write_atomic(os.path.join(version_dir, name), data)
        return True

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

    def read_versions(self, name_dir: str) -> list[tuple[int, bytes]]:
        numbers = self.committed_versions(name_dir)
        paths = [f"{name_dir}/v{n}/manifest.json" for n in numbers]
        contents = self.fs.cat(paths, on_error="omit") if paths else {}
        by_path = {self.fs._strip_protocol(k): v for k, v in contents.items()}
        found = []
        for number, path in zip(numbers, paths, strict=True):
            data = by_path.get(self.fs._strip_protocol(path))
            if data is not None:
                found.append((number, bytes(data)))
        return found

    def count_versions(self, name_dir: str, up_to: int) -> int:
        return sum(1 for n in self.committed_versions(name_dir) if n <= up_to)

    def exists(self, path: str) -> bool:
        return bool(self.fs.exists(path))

    def write_atomic(self, path: str, data: bytes) -> None:
        self.fs.pipe_file(path, data)

    def create_version(self, version_dir: str, files: Sequence[tuple[str, bytes]]) -> bool:
        *rest, (commit_name, commit_data) = files
        commit_path = f"{version_dir}/{commit_name}"
        try:
            with self.fs.open(commit_path, "xb") as f:
                f.write(commit_data)
        except FileExistsError:
            return False
        except (ValueError, NotImplementedError, TypeError):
            # No exclusive create on this store: check, then write (documented as racy).
            if self.fs.exists(commit_path):
                return False
            self.fs.pipe_file(commit_path, commit_data)
        for name, data in rest:
            self.fs.pipe_file(f"{version_dir}/{name}", data)
        return True

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
