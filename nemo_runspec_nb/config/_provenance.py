"""Which layer set each key of a composed job config.

While a job config is composed, a :class:`ProvenanceRecorder` is told the
dotted key of every leaf each layer writes, in order, so the last writer wins.
:meth:`ProvenanceRecorder.finish` matches those against the final config and
returns a :class:`Provenance`: one :class:`ProvenanceRecord` per leaf
(``key``, ``value``, ``source``), also available as a pandas DataFrame.

Source labels, lowest layer first:

==========================  ==============================================
``runspec``                 defaults from the recipe's ``[tool.runspec]``
``config:<file>``           each ``defaults:`` base, then the chosen file
``profile:<name>``          each env.toml profile of the ``extends`` chain
``env:wandb``               env.toml ``[wandb]`` (under ``run.wandb``)
``env:artifacts``           env.toml ``[artifacts]`` (top-level ``artifacts``)
``job``                     what the launcher records (``run.mode``, ``run.cli`` ...)
``override:<source>``       overrides: ``cli``, ``cell``, ``widget``
==========================  ==============================================

Lists are leaves (a list override is reported at the list's key).

A leaf that an override created (a key the YAML and the other layers do not
have: ``+key=...``, or ``key=...`` with open overrides) carries the note
:data:`NEW_KEY_NOTE`; every other leaf has an empty note.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, overload

from ._redact import redact_leaf
from ._tree import iter_leaves, record_tree

if TYPE_CHECKING:
    import pandas as pd

UNKNOWN_SOURCE = "unknown"
NEW_KEY_NOTE = "new key (not in the YAML)"
PROVENANCE_COLUMNS = ("key", "value", "source", "note")


@dataclass(frozen=True)
class ProvenanceRecord:
    """One leaf of a composed config: its dotted key, its (unresolved) value and the layer that set it.

    ``note`` is :data:`NEW_KEY_NOTE` for a key an override added, else ``""``.
    """

    key: str
    value: Any
    source: str
    note: str = ""


class Provenance(Sequence[ProvenanceRecord]):
    """The provenance of every leaf of a composed config, in config order."""

    def __init__(self, records: Sequence[ProvenanceRecord]) -> None:
        self._records = tuple(records)
        self._by_key = {r.key: r for r in self._records}

    @overload
    def __getitem__(self, index: int) -> ProvenanceRecord: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[ProvenanceRecord]: ...
    def __getitem__(self, index: int | slice) -> ProvenanceRecord | Sequence[ProvenanceRecord]:
        return self._records[index]

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[ProvenanceRecord]:
        return iter(self._records)

    def __repr__(self) -> str:
        return f"Provenance({len(self._records)} keys, sources={self.sources()})"

    def source_of(self, key: str) -> str:
        """The layer that set ``key`` (a dotted leaf key); ``KeyError`` if there is no such leaf."""
        return self._by_key[key].source

    def sources(self) -> list[str]:
        """The distinct source labels, in order of first appearance."""
        return list(dict.fromkeys(r.source for r in self._records))

    def by_source(self, source: str) -> list[ProvenanceRecord]:
        """The records one layer set (e.g. ``"override:cli"``)."""
        return [r for r in self._records if r.source == source]

    def new_keys(self) -> list[str]:
        """The leaf keys an override added (not in the YAML or any other layer), in config order."""
        return [r.key for r in self._records if r.note == NEW_KEY_NOTE]

    def to_records(self, *, redact: bool = True) -> list[dict[str, Any]]:
        """Plain dicts ``{"key", "value", "source", "note"}``; secret values masked unless ``redact``."""
        return [
            {
                "key": r.key,
                "value": redact_leaf(r.key, r.value) if redact else r.value,
                "source": r.source,
                "note": r.note,
            }
            for r in self._records
        ]

    def to_frame(self, *, redact: bool = True) -> pd.DataFrame:
        """A DataFrame with columns ``key``, ``value``, ``source``, ``note`` (imports pandas on first use)."""
        import pandas as pd

        rows = self.to_records(redact=redact)
        return pd.DataFrame(rows, columns=list(PROVENANCE_COLUMNS))


class ProvenanceRecorder:
    """Collects, layer by layer, which source last wrote each leaf key."""

    __slots__ = ("_new", "_sources")

    def __init__(self) -> None:
        self._sources: dict[str, str] = {}
        self._new: set[str] = set()

    def record(self, key: str, source: str) -> None:
        """``source`` wrote the leaf ``key``."""
        self._sources[key] = source

    def source_of(self, key: str) -> str | None:
        """The source recorded so far for the leaf ``key``, if any."""
        return self._sources.get(key)

    def recorder(self, source: str) -> Any:
        """A one-argument callable that records keys for ``source`` (used while merging)."""
        sources = self._sources

        def _record(key: str) -> None:
            sources[key] = source

        return _record

    def mark_new(self, key: str) -> None:
        """An override created ``key`` (and everything under it): it was in no lower layer."""
        self._new.add(key)

    def record_tree(self, value: Any, prefix: str, source: str) -> None:
        """``source`` wrote ``value`` (maybe a mapping) at ``prefix``: record each of its leaves."""
        record_tree(value, prefix, self.recorder(source))

    def finish(self, final: Mapping[str, Any]) -> Provenance:
        """Match the recorded sources against the leaves of the final (plain) config."""
        sources = self._sources
        records = []
        for key, value in iter_leaves(final):
            source = sources.get(key)
            if source is None:
                source = _nearest_source(key, sources)
            records.append(ProvenanceRecord(key, value, source, NEW_KEY_NOTE if self._is_new(key) else ""))
        return Provenance(records)

    def _is_new(self, key: str) -> bool:
        if not self._new:
            return False
        parts = key.split(".")
        return any(".".join(parts[:n]) in self._new for n in range(1, len(parts) + 1))


def _nearest_source(key: str, sources: Mapping[str, str]) -> str:
    """A leaf nobody recorded: use its closest recorded ancestor (a list item edit, say)."""
    parts = key.split(".")
    while len(parts) > 1:
        parts.pop()
        found = sources.get(".".join(parts))
        if found is not None:
            return found
    return UNKNOWN_SOURCE
