"""Reading text a user wrote (a recipe, a config, env.toml): UTF-8 or a typed error naming the line.

It sits beside :mod:`~nemo_runspec_nb.errors`, below every layer, so ``runspec/`` and ``config/``
decode their files the same way.
"""

from __future__ import annotations

from pathlib import Path

from .errors import RunspecError

__all__ = ["decode_utf8"]


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
