"""``art://`` URLs: read the files of a registered artifact through fsspec.

``art://NAME[:VERSION]/sub/path`` maps to ``{manifest.path}/sub/path`` of the version
the reference names (no version means latest), on whatever file system holds the
data. The protocol is registered through the package's ``fsspec.specs`` entry point,
so once nemo_runspec_nb is installed::

    fsspec.open("art://tiny-data:v1/x.npz")
    pd.read_csv("art://tiny-data/table.csv")
    fsspec.filesystem("art", root="/lustre/artifacts").ls("tiny-data:best")

The registry comes from ``storage_options`` (``root=``, ``registry_options=``, or a
ready ``registry=``) and otherwise from :func:`~nemo_runspec_nb.artifacts.registry`
(env.toml ``[artifacts]``, ``NEMOTRON_ARTIFACTS_ROOT``, the local default).

The file system is read-only and never leaves an artifact: ``..`` segments, absolute
sub paths and (for local data) symlinks resolving outside the artifact's directory
raise :class:`~nemo_runspec_nb.errors.ArtifactError`.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Mapping
from typing import Any

from fsspec.spec import AbstractFileSystem

from ..errors import ArtifactError, ArtifactNotFoundError
from ._refs import parse_art_url
from ._registry import ArtifactRegistry

__all__ = ["ArtifactFileSystem"]


class ArtifactFileSystem(AbstractFileSystem):  # type: ignore[misc]
    """Read-only fsspec file system for ``art://NAME[:VERSION]/path`` URLs."""

    protocol = "art"
    root_marker = ""
    cachable = False  # the registry (and what "latest" means) may change between calls

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        *,
        registry: ArtifactRegistry | None = None,
        registry_options: Mapping[str, Any] | None = None,
        target_options: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if registry is None:
            if root is not None:
                registry = ArtifactRegistry(root, storage_options=registry_options)
            else:
                from ._default_registry import registry as default_registry

                registry = default_registry()
        self.registry = registry
        self.target_options = dict(target_options or {})

    @classmethod
    def _strip_protocol(cls, path: Any) -> str:
        text = str(path)
        if text.startswith("art://"):
            text = text[len("art://") :]
        elif text.startswith("art:"):
            text = text[len("art:") :]
        return text.rstrip("/")

    def unstrip_protocol(self, name: str) -> str:
        """``art://`` + ``name``."""
        return "art://" + self._strip_protocol(name)

    # -- mapping art paths to the data ------------------------------------------------
    def _target(self, path: str) -> tuple[Any, str, str]:
        """(data file system, data path, normalized art path) for an ``art://`` path."""
        stripped = self._strip_protocol(path)
        ref, sub = parse_art_url(stripped)
        head = stripped.split("/", 1)[0]
        art_path = f"{head}/{sub}" if sub else head
        manifest = self.registry.get(ref)
        import fsspec.core

        fs, base = fsspec.core.url_to_fs(manifest.path, **self.target_options)
        base = base.rstrip("/") or base
        target = f"{base}/{sub}" if sub else base
        # A chained data path (simplecache::file:///data) reads the last link of the chain:
        # check containment there, where the symlinks are.
        inner_fs, inner_base = (fs, base) if "::" not in manifest.path else _innermost(manifest.path)
        if _is_local(inner_fs):
            inner_target = f"{inner_base.rstrip('/')}/{sub}" if sub else inner_base
            _check_inside(inner_base, inner_target, art_path, manifest.ref)
        return fs, target, art_path

    # -- fsspec API -------------------------------------------------------------------
    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Any]:
        """List an artifact directory (``""`` lists the artifact names)."""
        stripped = self._strip_protocol(path)
        if not stripped:
            names = self.registry.list()
            entries: list[dict[str, Any]] = [{"name": n, "type": "directory", "size": 0} for n in names]
            return entries if detail else names
        fs, target, art_path = self._target(stripped)
        out = [_renamed(e, target, art_path) for e in fs.ls(target, detail=True)]
        return out if detail else [e["name"] for e in out]

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        """Size and type of the file or directory an ``art://`` path names."""
        stripped = self._strip_protocol(path)
        if not stripped:
            return {"name": "", "type": "directory", "size": 0}
        fs, target, art_path = self._target(stripped)
        return _renamed(fs.info(target), target, art_path)

    def exists(self, path: str, **kwargs: Any) -> bool:
        """Whether the path exists; malformed or escaping paths still raise ``ArtifactError``."""
        try:
            self.info(path)
        except (FileNotFoundError, ArtifactNotFoundError):
            return False
        return True

    def _open(self, path: str, mode: str = "rb", **kwargs: Any) -> Any:
        if any(flag in mode for flag in "wax+"):
            raise ArtifactError(
                f"art:// is read-only (mode {mode!r} for {path})",
                key=str(path),
                hint="Write the data to its own location, then publish it with ArtifactRegistry.publish",
            )
        fs, target, _ = self._target(path)
        kwargs.pop("autocommit", None)
        kwargs.pop("cache_options", None)
        return fs.open(target, mode, **kwargs)

    def cat_file(self, path: str, start: int | None = None, end: int | None = None, **kwargs: Any) -> bytes:
        """Bytes of one file inside an artifact."""
        fs, target, _ = self._target(path)
        return bytes(fs.cat_file(target, start=start, end=end))

    def get_file(
        self, rpath: str, lpath: str, callback: Any = None, outfile: Any = None, **kwargs: Any
    ) -> None:
        """Copy one file out of an artifact to the local path ``lpath``."""
        fs, target, _ = self._target(rpath)
        if fs.isdir(target):
            os.makedirs(lpath, exist_ok=True)
            return
        fs.get_file(target, lpath, **kwargs)

    def _rm(self, path: str) -> None:
        raise ArtifactError(f"art:// is read-only: cannot remove {path}", key=str(path))


def _innermost(url: str) -> tuple[Any, str]:
    """File system and path of the last URL of an fsspec chain (``a::b::file:///x`` -> ``/x``)."""
    import fsspec.core

    fs, path = fsspec.core.url_to_fs(url.rsplit("::", 1)[-1])
    return fs, path.rstrip("/") or path


def _check_inside(base: str, target: str, art_path: str, ref: str) -> None:
    """Refuse a ``target`` whose real path (all symlinks followed) is outside ``base``."""
    key = f"art://{art_path}"
    try:
        real_base = os.path.realpath(base, strict=True)
        real = os.path.realpath(target, strict=True)
    except FileNotFoundError:
        return  # nothing there to read: the data file system raises FileNotFoundError itself
    except OSError as exc:
        reason = "is a symlink loop" if exc.errno == errno.ELOOP else (exc.strerror or str(exc))
        raise ArtifactError(
            f"Path {key} of artifact {ref} cannot be followed: {exc.filename or target} {reason}",
            path=str(exc.filename or target),
            key=key,
            hint="Fix or remove that symlink in the artifact's data directory",
        ) from exc
    if real != real_base and not real.startswith(real_base.rstrip(os.sep) + os.sep):
        raise ArtifactError(
            f"Path {key} resolves to {real}, outside artifact {ref} ({real_base})",
            key=key,
            hint="Symlinks inside an artifact must point into the artifact's directory",
        )


def _is_local(fs: Any) -> bool:
    protocols = (fs.protocol,) if isinstance(fs.protocol, str) else tuple(fs.protocol)
    return "file" in protocols or "local" in protocols


def _renamed(entry: Mapping[str, Any], target: str, art_path: str) -> dict[str, Any]:
    """``entry`` from the data file system, renamed into the ``art://`` namespace."""
    info = dict(entry)
    name = str(entry["name"]).rstrip("/")
    base = target.rstrip("/")
    if name == base:
        info["name"] = art_path
    elif name.startswith(base + "/"):
        info["name"] = f"{art_path}/{name[len(base) + 1 :]}"
    else:
        info["name"] = f"{art_path}/{name.rsplit('/', 1)[-1]}"
    return info
