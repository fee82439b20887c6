"""``FsspecStore``: a registry root on any fsspec file system (``memory://``, ``s3://``, ``gs://`` ...).

A version is claimed with ``open(manifest, "xb")`` where the store supports exclusive
creation (else check-then-write, documented as racy), each file is one ``pipe_file``
(one PUT), and ``latest`` is raised by read, compare, write (a hint readers verify).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from ._store import Damage, damage_reason, read_pointer, uncommitted, version_entries, version_of_dirname

__all__ = ["FsspecStore"]


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
        numbers, damaged = version_entries(self.list_dir(name_dir), lambda entry: f"{name_dir}/{entry}")
        paths = [f"{name_dir}/v{n}/manifest.json" for n in numbers]
        contents = self.fs.cat(paths, on_error="return") if paths else {}
        by_path = {self.fs._strip_protocol(k): v for k, v in contents.items()}
        found = []
        for number, path in zip(numbers, paths, strict=True):
            data = by_path.get(self.fs._strip_protocol(path))
            if isinstance(data, FileNotFoundError) or data is None:
                damaged.append(uncommitted(f"{name_dir}/v{number}", number))
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
