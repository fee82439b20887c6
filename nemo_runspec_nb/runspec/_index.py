"""The discovery index: what parsing each file gave, keyed by size and mtime.

One JSON file per discovery root, written atomically. An entry is reused only
when the file's size, mtime (ns) and inode are unchanged and the mtime is
older than the index itself by a safety margin (a file rewritten within the
same clock tick would otherwise look unchanged). Anything unreadable in the
index is ignored: the index can only save work, never change a result.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

from ..errors import SpecError
from ._models import Runspec, RunspecConfig, RunspecResources, RunspecRun

INDEX_VERSION = 1
#: Files modified this recently (seconds) are never trusted from the index.
_RACY_SECONDS = 2.0

Outcome = Runspec | SpecError | None


def default_cache_dir() -> Path:
    """``$NEMOTRON_CACHE_DIR`` or ``$XDG_CACHE_HOME``/``~/.cache`` + ``nemo_runspec_nb``."""
    explicit = os.environ.get("NEMOTRON_CACHE_DIR")
    if explicit:
        return Path(explicit) / "discover"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "nemo_runspec_nb" / "discover"


def _encode(outcome: Outcome) -> Any:
    if outcome is None:
        return None
    if isinstance(outcome, SpecError):
        return {"error": [outcome.message, outcome.line, outcome.key, outcome.hint]}
    return {
        "spec": [
            outcome.schema,
            outcome.docs,
            outcome.name,
            outcome.image,
            outcome.setup,
            [outcome.run.launch, outcome.run.cmd, outcome.run.workdir],
            [outcome.config.dir, outcome.config.default, outcome.config.format],
            [outcome.resources.nodes, outcome.resources.gpus_per_node],
            dict(outcome.env),
        ]
    }


def _frozen(cls: type[Any], **fields: Any) -> Any:
    # The index rebuilds thousands of values it validated when it wrote them;
    # filling __dict__ directly skips the frozen dataclass __setattr__ dance.
    obj = object.__new__(cls)
    obj.__dict__.update(fields)
    return obj


def _decode(path: str, data: Any) -> Outcome:
    if "error" in data:
        message, line, key, hint = data["error"]
        return SpecError(message, path=path, line=line, key=key, hint=hint)
    schema, docs, name, image, setup, run, config, resources, env = data["spec"]
    launch, cmd, workdir = run
    cdir, default, fmt = config
    nodes, gpus = resources
    return cast(
        Runspec,
        _frozen(
            Runspec,
            script_path=Path(path),
            schema=schema,
            docs=docs,
            name=name,
            image=image,
            setup=setup,
            run=_frozen(RunspecRun, launch=launch, cmd=cmd, workdir=workdir),
            config=_frozen(RunspecConfig, dir=cdir, default=default, format=fmt),
            resources=_frozen(RunspecResources, nodes=nodes, gpus_per_node=gpus),
            env=MappingProxyType(env),
        ),
    )


class DiscoveryIndex:
    """Per-root memory of parse outcomes; see the module docstring."""

    def __init__(self, root: Path, file: Path | None, entries: dict[str, Any]) -> None:
        self.root = root
        self.file = file
        self._old = entries
        self._new: dict[str, Any] = {}
        self._changed = False
        #: Files modified at or after this time (ns) are always read again.
        self.trust_before_ns = time.time_ns() - int(_RACY_SECONDS * 1e9)

    @classmethod
    def open(cls, root: Path, cache: bool | str | Path) -> DiscoveryIndex:
        """The index for ``root`` in the cache dir chosen by ``cache``."""
        folder = Path(cache) if isinstance(cache, (str, Path)) else default_cache_dir()
        digest = hashlib.sha256(str(root).encode()).hexdigest()[:24]
        file = folder / f"{digest}.json"
        entries: dict[str, Any] = {}
        try:
            with open(file, encoding="utf-8") as handle:
                data = json.load(handle)
            if data.get("version") == INDEX_VERSION and data.get("root") == str(root):
                entries = data["entries"]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            entries = {}
        return cls(root, file, entries)

    @property
    def entries(self) -> dict[str, Any]:
        """What the index remembered, by path: ``[size, mtime_ns, inode, payload]``.

        Discovery checks an entry against the file's stat itself (this is its
        hot loop): an entry is valid when size, mtime and inode match and the
        mtime is before :attr:`trust_before_ns`; it then moves it to :attr:`kept`.
        """
        return self._old

    @property
    def kept(self) -> dict[str, Any]:
        """Entries carried over unchanged into the index being written."""
        return self._new

    def decode(self, path: str, payload: Any) -> Runspec | SpecError | None:
        """Rebuild a remembered outcome; None when the payload is unreadable."""
        try:
            return _decode(path, payload)
        except (ValueError, TypeError, KeyError):
            return None

    def record(self, path: str, stat: os.stat_result, outcome: Outcome) -> None:
        """Remember what reading ``path`` gave."""
        self._new[path] = [stat.st_size, stat.st_mtime_ns, stat.st_ino, _encode(outcome)]
        self._changed = True

    def save(self) -> None:
        """Write the index if anything changed; failures are ignored (it is only a cache)."""
        if self.file is None or not (self._changed or len(self._new) != len(self._old)):
            return
        data = {"version": INDEX_VERSION, "root": str(self.root), "entries": self._new}
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".index-", dir=self.file.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, separators=(",", ":"))
            os.replace(tmp, self.file)
        except OSError:
            return
