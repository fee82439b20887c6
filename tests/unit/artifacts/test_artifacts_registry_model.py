"""Property test: any sequence of publishes and alias moves behaves like a simple in-memory model."""

from __future__ import annotations

import uuid

import fsspec
from hypothesis import given, settings
from hypothesis import strategies as st

from nemo_runspec_nb.artifacts import ArtifactRegistry, table, versions

NAMES = ("a", "b", "c")
ALIASES = ("best", "prod")

operation = st.one_of(
    st.tuples(st.just("publish"), st.sampled_from(NAMES), st.integers(0, 9)),
    st.tuples(st.just("alias"), st.sampled_from(NAMES), st.sampled_from(ALIASES), st.integers(1, 6)),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(operation, max_size=25))
def test_registry_matches_the_model(ops: list[tuple]) -> None:
    root = f"memory://model-{uuid.uuid4().hex[:12]}"
    reg = ArtifactRegistry(root)
    published: dict[str, list[int]] = {}  # name -> the "rows" metadata of each version
    aliases: dict[tuple[str, str], int] = {}
    try:
        for op in ops:
            if op[0] == "publish":
                _, name, rows = op
                version = reg.publish(name, f"memory://data/{name}/{rows}", metadata={"rows": rows})
                published.setdefault(name, []).append(rows)
                assert version == len(published[name])
            else:
                _, name, alias, version = op
                if version <= len(published.get(name, [])):
                    assert reg.alias(name, alias, version) == version
                    aliases[(name, alias)] = version

        assert reg.list() == sorted(published)
        for name, rows in published.items():
            assert reg.versions(name) == list(range(1, len(rows) + 1))
            assert reg.get(name).version == len(rows)
            assert reg.get(name).metadata["rows"] == rows[-1]
            assert versions(name, reg)["rows"].tolist() == rows
        for (name, alias), version in aliases.items():
            assert reg.get(f"{name}:{alias}").metadata["rows"] == published[name][version - 1]
        frame = table(reg)
        assert dict(zip(frame["name"], frame["latest"], strict=True)) == {
            n: len(r) for n, r in published.items()
        }
    finally:
        fs = fsspec.filesystem("memory")
        if fs.exists(root[len("memory://") :]):
            fs.rm(root[len("memory://") :], recursive=True)
