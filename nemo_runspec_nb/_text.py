"""Reading files a user wrote (a recipe, a config, env.toml, a manifest): bytes, then UTF-8 text.

It sits beside :mod:`~nemo_runspec_nb.errors`, below every layer, so ``runspec/``, ``config/``
and ``artifacts/`` read and decode their files the same way.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import RunspecError

__all__ = ["decode_utf8", "read_whole"]

_FIRST_READ = 1 << 16


def read_whole(path: str, size: int | None = None) -> bytes:
    """The whole file through one descriptor: a third cheaper than ``open()`` for small files.

    ``size`` (from a stat the caller made anyway) lets one read do; without it, or when the
    file grew since, reads go on to the end (a short read of a regular file is its end).

    Raises:
        OSError: the file cannot be opened or read.

    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        want = size + 1 if size is not None else _FIRST_READ
        data = os.read(fd, want)
        if len(data) < want:
            return data
        chunks = [data]
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def decode_utf8(
    raw: bytes, *, path: Path | str | None, error: type[RunspecError], hint: str, what: str = ""
) -> str:
    """``raw`` as UTF-8 text (a BOM is dropped), else ``error`` naming the byte, its line and ``hint``.

    ``what`` starts the message (``"env file is "`` gives ``env file is not UTF-8 text: ...``).
    """
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(
            f"{what}not UTF-8 text: byte {exc.start} (0x{raw[exc.start]:02x}) {exc.reason}",
            path=path,
            line=raw.count(b"\n", 0, exc.start) + 1,
            hint=hint,
        ) from None
