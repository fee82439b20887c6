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

This module holds what both stores share (the :class:`Store` protocol, :class:`Damage`,
pointer files, sorting an artifact directory's entries) and :func:`open_store`;
the stores themselves are :mod:`._local_store` and :mod:`._fsspec_store`.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["Damage", "Store", "open_store", "uncommitted", "version_entries"]


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


def version_entries(entries: Iterable[str], path_of: Callable[[str], str]) -> tuple[list[int], list[Damage]]:
    """The version numbers among an artifact directory's ``entries`` (ascending), and the strays.

    ``latest``, ``aliases`` and dot names (temp and lock files) are neither; any other
    entry that is not ``v{N}`` is a :class:`Damage` at ``path_of(entry)``.
    """
    numbers: list[int] = []
    damaged: list[Damage] = []
    for entry in entries:
        number = version_of_dirname(entry)
        if number is not None:
            numbers.append(number)
        elif entry not in KNOWN_ENTRIES and entry[:1] != ".":
            damaged.append(Damage(path_of(entry), STRAY_REASON))
    numbers.sort()
    return numbers, damaged


def uncommitted(version_dir: str, number: int) -> Damage:
    """The damage of a version directory that has no ``manifest.json``."""
    return Damage(version_dir, UNCOMMITTED_REASON, number)


def open_store(root: str | os.PathLike[str], storage_options: dict[str, Any] | None = None) -> Store:
    """A :class:`LocalStore` for local paths and ``file://`` URLs, else a :class:`FsspecStore`."""
    text = os.fspath(root)
    from ._local_store import LocalStore

    if "://" not in text and "::" not in text:
        return LocalStore(text)
    import fsspec.core

    from ._fsspec_store import FsspecStore

    fs, path = fsspec.core.url_to_fs(text, **(storage_options or {}))
    protocols = (fs.protocol,) if isinstance(fs.protocol, str) else tuple(fs.protocol)
    if "file" in protocols or "local" in protocols:
        return LocalStore(path)
    return FsspecStore(fs, path)
