"""The typed errors of the registry, with hints that say what to do next.

Asking for a damaged entry, a name or version that does not exist (with the closest
names, the existing versions and aliases), a publish the store refused.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from ..errors import ArtifactError, ArtifactNotFoundError, ArtifactVersionNotFoundError, did_you_mean
from ._refs import ArtifactRef
from ._store import Damage

__all__ = ["damage_error", "not_found_error", "publish_failed"]


def damage_error(damage: Damage, key: str, hint: str = "") -> ArtifactError:
    """The typed error for asking for exactly the entry ``damage`` describes."""
    return ArtifactError(
        f"{key} is damaged: {damage.path.replace(os.sep, '/').rsplit('/', 1)[-1]} {damage.reason}",
        path=damage.path,
        key=key,
        hint=hint or "Restore it from a backup or remove that version directory; other versions still work",
    )


def _summarize_versions(numbers: Sequence[int]) -> str:
    """``v1-v5, v7`` for ``[1, 2, 3, 4, 5, 7]``."""
    spans: list[str] = []
    start = prev = None
    for n in [*numbers, None]:
        if n is not None and prev is not None and n == prev + 1:
            prev = n
            continue
        if start is not None:
            spans.append(f"v{start}" if start == prev else f"v{start}-v{prev}")
        start = prev = n
    return ", ".join(spans)


def publish_failed(name: str, version: int, exc: OSError, root: str, name_dir: str) -> ArtifactError:
    """The error for a publish of ``name:v{version}`` that the store refused (nothing was kept)."""
    where = exc.filename if isinstance(exc.filename, str) else name_dir
    return ArtifactError(
        f"Could not publish {name}:v{version} to {root}: {exc.strerror or exc}",
        path=where,
        key=f"{name}:v{version}",
        hint="Nothing was kept; fix the cause (free space, permissions) and publish again",
    )


def not_found_error(
    ref: ArtifactRef,
    root: str,
    names: Sequence[str],
    numbers: Sequence[int] = (),
    aliases: Mapping[str, int] | None = None,
) -> ArtifactNotFoundError:
    """The error for a ``ref`` that does not resolve in the registry at ``root``.

    ``names`` are the registry's artifacts; when ``ref.name`` is one of them, ``numbers``
    and ``aliases`` are its committed versions and aliases.
    """
    aliases = aliases or {}
    if ref.name not in names:
        shown = ", ".join(names[:10]) + (f" (and {len(names) - 10} more)" if len(names) > 10 else "")
        return ArtifactNotFoundError(
            f"Artifact {ref.name!r} not found in registry {root}",
            key=str(ref),
            hint=" ".join(
                part
                for part in (did_you_mean(ref.name, names), f"Available: {shown}" if names else "")
                if part
            )
            or "The registry is empty: publish it first",
        )
    wanted = f"version {ref.version}" if ref.kind == "version" else f"alias {ref.alias!r}"
    if ref.kind == "latest":
        wanted = "published version"
    existing = f"Existing versions: {_summarize_versions(numbers)}" if numbers else "No versions yet"
    if aliases:
        existing += "; aliases: " + ", ".join(f"{a} -> v{v}" for a, v in aliases.items())
    close = did_you_mean(ref.alias, aliases) if ref.alias else ""
    return ArtifactVersionNotFoundError(
        f"Artifact {ref.name!r} has no {wanted}",
        key=str(ref),
        hint=" ".join(part for part in (close, existing) if part),
    )
