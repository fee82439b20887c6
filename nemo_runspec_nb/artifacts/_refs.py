"""Parse artifact references (``name``, ``name:latest``, ``name:v3``, ``name:3``, ``name:ALIAS``).

A reference names an artifact and, optionally, which version of it::

    tiny-data            the latest version
    tiny-data:latest     the same, spelled out
    tiny-data:v3         version 3
    tiny-data:3          version 3
    tiny-data:best       whatever version the alias ``best`` points at

``art://`` URLs put a reference in front of a path inside the artifact:
``art://tiny-data:v1/shards/x.npz``. :func:`parse_art_url` splits those.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote

from ..errors import ArtifactError

__all__ = [
    "ACCEPTED_REF_FORMS",
    "ArtifactRef",
    "parse_art_url",
    "parse_ref",
    "validate_alias",
    "validate_name",
]

ACCEPTED_REF_FORMS = "NAME, NAME:latest, NAME:vN, NAME:N or NAME:ALIAS"

_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}"
_ALIAS = r"[A-Za-z][A-Za-z0-9._-]{0,63}"
_NAME_RE = re.compile(_NAME)
_ALIAS_RE = re.compile(_ALIAS)
_VERSION_RE = re.compile(r"v?([0-9]{1,9})")
_NAME_RULE = "NAME starts with a letter or digit, then letters, digits, '.', '_' or '-'"
_ALIAS_RULE = "ALIAS starts with a letter, then letters, digits, '.', '_' or '-'"

Selector = Literal["latest", "version", "alias"]


@dataclass(frozen=True)
class ArtifactRef:
    """A parsed reference: ``name`` plus ``latest``, a version number or an alias."""

    name: str
    kind: Selector = "latest"
    version: int | None = None
    alias: str | None = None

    def __str__(self) -> str:
        if self.kind == "version":
            return f"{self.name}:v{self.version}"
        if self.kind == "alias":
            return f"{self.name}:{self.alias}"
        return self.name

    @classmethod
    def pinned(cls, name: str, version: int) -> ArtifactRef:
        """The reference ``name:vN``."""
        return cls(name=name, kind="version", version=version)


def _malformed(ref: str, why: str) -> ArtifactError:
    return ArtifactError(
        f"Malformed artifact reference {ref!r}: {why}. Accepted forms: {ACCEPTED_REF_FORMS}",
        key=ref,
        hint=f"{_NAME_RULE}; {_ALIAS_RULE}",
    )


def validate_name(name: str) -> str:
    """Return ``name`` if it is a valid artifact name, else raise :class:`ArtifactError`."""
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise ArtifactError(
            f"Invalid artifact name {name!r}. {_NAME_RULE} (at most 128 characters)",
            key=str(name),
        )
    return name


def validate_alias(alias: str) -> str:
    """Return ``alias`` if it can name an alias, else raise :class:`ArtifactError`.

    ``latest`` is reserved (it always means the newest version) and ``vN`` / ``N``
    would shadow version numbers, so neither can be an alias.
    """
    if not isinstance(alias, str) or not _ALIAS_RE.fullmatch(alias):
        raise ArtifactError(f"Invalid alias {alias!r}. {_ALIAS_RULE} (at most 64 characters)", key=str(alias))
    if alias == "latest" or _VERSION_RE.fullmatch(alias):
        raise ArtifactError(
            f"Invalid alias {alias!r}: 'latest' and version-like names (vN) are reserved",
            key=alias,
            hint="Pick a name such as 'best' or 'candidate'",
        )
    return alias


def parse_ref(ref: str | ArtifactRef) -> ArtifactRef:
    """Parse ``ref`` into an :class:`ArtifactRef`; raise :class:`ArtifactError` if malformed."""
    if isinstance(ref, ArtifactRef):
        return ref
    if not isinstance(ref, str):
        raise _malformed(repr(ref), f"expected a string, got {type(ref).__name__}")
    name, sep, selector = ref.partition(":")
    if not _NAME_RE.fullmatch(name):
        raise _malformed(ref, f"{name!r} is not a valid NAME" if name else "the NAME is empty")
    if not sep or selector == "latest":
        return ArtifactRef(name=name)
    if not selector:
        raise _malformed(ref, "nothing after ':'")
    number = _VERSION_RE.fullmatch(selector)
    if number:
        return ArtifactRef(name=name, kind="version", version=int(number.group(1)))
    if _ALIAS_RE.fullmatch(selector):
        return ArtifactRef(name=name, kind="alias", alias=selector)
    raise _malformed(ref, f"{selector!r} is neither 'latest', a version nor an ALIAS")


def parse_art_url(url: str) -> tuple[ArtifactRef, str]:
    """Split ``art://NAME[:VERSION]/sub/path`` into the reference and the relative sub path.

    The sub path is returned without leading or trailing slashes ('' for the artifact
    itself). Segments ``..`` and absolute sub paths (``art://name//etc``) are refused
    with :class:`ArtifactError`: an ``art://`` URL never leaves its artifact.
    """
    text = url[len("art://") :] if url.startswith("art://") else url
    head, _, sub = text.partition("/")
    ref = parse_ref(head)
    if sub.startswith("/"):
        raise ArtifactError(
            f"Path {url!r} is absolute inside the artifact: art:// paths are relative to the artifact",
            key=url,
        )
    parts = [p for p in sub.split("/") if p not in ("", ".")]
    # Stores that decode %2e%2e or split on backslashes must not see a way out either.
    decoded = unquote(sub).replace("\\", "/")
    if ".." in parts or ".." in decoded.split("/"):
        raise ArtifactError(
            f"Path {url!r} leaves the artifact's directory ('..' is not allowed, nor encoded as %2e%2e)",
            key=url,
            hint="Name a file inside the artifact, e.g. art://NAME/sub/file",
        )
    if decoded.startswith("/") or "\x00" in decoded:
        raise ArtifactError(
            f"Path {url!r} is absolute inside the artifact: art:// paths are relative to the artifact",
            key=url,
        )
    return ref, "/".join(parts)
