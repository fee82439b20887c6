"""Fault injection on the artifact store: damage stays local, publishing leaves nothing half-done.

Each corruption below damages one file or directory of artifact ``a`` (which has
v1 and v2) in a registry that also holds ``b``. The listings must go on and show
the bad entry as ``DAMAGED`` with its path and the reason; only asking for that
exact entry raises, and then a typed :class:`ArtifactError` naming the file.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nemo_runspec_nb.artifacts import ArtifactManifest, ArtifactRegistry, table, versions
from nemo_runspec_nb.artifacts import _local_store as store_module
from nemo_runspec_nb.errors import ArtifactError

# -- a registry to damage ----------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> ArtifactRegistry:
    """``a`` (v1, v2) and ``b`` (v1) over a small data directory."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "f.txt").write_text("inside")
    reg = ArtifactRegistry(tmp_path / "registry")
    reg.publish("a", data, metadata={"rows": 1})
    reg.publish("a", data, metadata={"rows": 2})
    reg.publish("b", data)
    return reg


def _write(path: Path, data: bytes) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
    path.write_bytes(data)


def _manifest(root: Path) -> Path:
    return root / "a" / "v2" / "manifest.json"


def _good_v2(root: Path) -> dict[str, object]:
    return json.loads(_manifest(root).read_text())


def _replace_with_dir(path: Path) -> None:
    path.unlink()
    path.mkdir()


def _symlink_loop(path: Path) -> None:
    path.unlink()
    path.symlink_to(path.name)  # a link to itself


# name -> (how to damage the store, the path the damage is reported at, relative to the root)
Corruption = Callable[[Path], None]
CORRUPTIONS: dict[str, tuple[Corruption, str]] = {
    "empty manifest": (lambda r: _write(_manifest(r), b""), "a/v2/manifest.json"),
    "truncated manifest": (lambda r: _write(_manifest(r), b'{"name": "a", "vers'), "a/v2/manifest.json"),
    "manifest is a JSON array": (lambda r: _write(_manifest(r), b"[1, 2]"), "a/v2/manifest.json"),
    "manifest is a JSON string": (lambda r: _write(_manifest(r), b'"a"'), "a/v2/manifest.json"),
    "manifest is binary garbage": (
        lambda r: _write(_manifest(r), b"\xff\xfe\x00\x81garbage"),
        "a/v2/manifest.json",
    ),
    "manifest lacks fields": (lambda r: _write(_manifest(r), b'{"name": "a"}'), "a/v2/manifest.json"),
    "manifest version is a string": (
        lambda r: _write(_manifest(r), json.dumps({**_good_v2(r), "version": "2"}).encode()),
        "a/v2/manifest.json",
    ),
    "manifest path is a number": (
        lambda r: _write(_manifest(r), json.dumps({**_good_v2(r), "path": 7}).encode()),
        "a/v2/manifest.json",
    ),
    "manifest metadata is a list": (
        lambda r: _write(_manifest(r), json.dumps({**_good_v2(r), "metadata": [1]}).encode()),
        "a/v2/manifest.json",
    ),
    "manifest inputs is a string": (
        lambda r: _write(_manifest(r), json.dumps({**_good_v2(r), "inputs": "raw:v1"}).encode()),
        "a/v2/manifest.json",
    ),
    "manifest of another version": (
        lambda r: _write(_manifest(r), json.dumps({**_good_v2(r), "version": 1}).encode()),
        "a/v2/manifest.json",
    ),
    "manifest of another name": (
        lambda r: _write(_manifest(r), json.dumps({**_good_v2(r), "name": "b"}).encode()),
        "a/v2/manifest.json",
    ),
    "manifest is deeply nested": (lambda r: _write(_manifest(r), b"[" * 100_000), "a/v2/manifest.json"),
    "manifest missing": (lambda r: _manifest(r).unlink(), "a/v2"),
    "manifest is a directory": (lambda r: _replace_with_dir(_manifest(r)), "a/v2/manifest.json"),
    "manifest is a symlink loop": (lambda r: _symlink_loop(_manifest(r)), "a/v2/manifest.json"),
    "latest holds v²": (lambda r: _write(r / "a" / "latest", "v²".encode()), "a/latest"),
    "latest holds garbage": (lambda r: _write(r / "a" / "latest", b"\x00\xff"), "a/latest"),
    "latest is a directory": (lambda r: _replace_with_dir(r / "a" / "latest"), "a/latest"),
    "latest is a symlink loop": (lambda r: _symlink_loop(r / "a" / "latest"), "a/latest"),
    "latest names a missing version": (lambda r: _write(r / "a" / "latest", b"v9"), "a/latest"),
    "stray v² directory": (lambda r: (r / "a" / "v²").mkdir(), "a/v²"),
    "plain file named v3": (lambda r: (r / "a" / "v3").write_text("x"), "a/v3"),
    "alias holds garbage": (lambda r: _write(r / "a" / "aliases" / "best", b"\xff"), "a/aliases/best"),
}


def _damage(reg: ArtifactRegistry, case: str) -> Path:
    corrupt, where = CORRUPTIONS[case]
    if case == "alias holds garbage":
        reg.alias("a", "best", 1)
    corrupt(Path(reg.root))
    return Path(reg.root) / where


@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_table_shows_the_damaged_artifact_and_keeps_the_others(store: ArtifactRegistry, case: str) -> None:
    where = _damage(store, case)
    frame = table(store)
    assert frame["name"].tolist() == ["a", "b"]
    rows = frame.set_index("name")
    assert rows.loc["b", "status"] == "OK" and rows.loc["b", "problem"] is None
    assert rows.loc["a", "status"] == "DAMAGED"
    assert str(where) in rows.loc["a", "problem"], rows.loc["a", "problem"]


@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_versions_lists_every_entry_and_marks_the_bad_one(store: ArtifactRegistry, case: str) -> None:
    where = _damage(store, case)
    frame = versions("a", store)
    good = frame[frame["version"] == 1]
    assert good["status"].tolist() == ["OK"] and good["rows"].tolist() == [1]
    damaged = frame[frame["status"] == "DAMAGED"]
    assert len(damaged) >= 1
    assert any(str(where) in p for p in damaged["problem"]), damaged["problem"].tolist()
    assert versions("b", store)["status"].tolist() == ["OK"]


def test_damaged_version_keeps_its_number_and_readable_fields(store: ArtifactRegistry) -> None:
    _damage(store, "truncated manifest")
    frame = versions("a", store)
    assert frame["version"].tolist() == [1, 2]
    assert frame["status"].tolist() == ["OK", "DAMAGED"]
    reason = frame.loc[1, "problem"]
    assert "not valid JSON" in reason
    row = table(store).set_index("name").loc["a"]
    assert (row["latest"], row["versions"]) == (2, 2)


@pytest.mark.parametrize("ref", ["a:v2", "a"])
def test_loading_the_damaged_version_raises_a_typed_error_naming_the_file(
    store: ArtifactRegistry, ref: str
) -> None:
    _damage(store, "manifest is a symlink loop")
    with pytest.raises(ArtifactError) as info:
        store.get(ref)
    assert str(_manifest(Path(store.root))) in str(info.value)
    assert info.value.hint
    assert store.get("a:v1").version == 1


@pytest.mark.parametrize(
    "case",
    [
        "empty manifest",
        "manifest is a JSON array",
        "manifest lacks fields",
        "manifest version is a string",
        "manifest path is a number",
        "manifest inputs is a string",
        "manifest is deeply nested",
        "manifest is a directory",
        "manifest is binary garbage",
    ],
)
def test_get_of_a_damaged_manifest_is_an_artifact_error(store: ArtifactRegistry, case: str) -> None:
    where = _damage(store, case)
    with pytest.raises(ArtifactError) as info:
        store.get("a:v2")
    assert str(where) in str(info.value) and info.value.hint


@pytest.mark.parametrize(
    "case",
    [
        "latest holds v²",
        "latest holds garbage",
        "latest is a directory",
        "latest is a symlink loop",
        "latest names a missing version",
    ],
)
def test_a_bad_latest_pointer_falls_back_to_the_versions(store: ArtifactRegistry, case: str) -> None:
    _damage(store, case)
    assert store.get("a").version == 2
    assert store.versions("a") == [1, 2]


def test_bad_alias_raises_only_when_asked_for(store: ArtifactRegistry) -> None:
    where = _damage(store, "alias holds garbage")
    with pytest.raises(ArtifactError, match="aliases/best") as info:
        store.get("a:best")
    assert str(where) in str(info.value) and info.value.hint
    assert store.get("a").version == 2


def test_stray_entries_do_not_break_versions(store: ArtifactRegistry) -> None:
    _damage(store, "stray v² directory")
    (Path(store.root) / "a" / "v3").write_text("x")
    assert store.versions("a") == [1, 2]
    assert store.get("a").version == 2


def test_unreadable_version_directory(store: ArtifactRegistry, monkeypatch: pytest.MonkeyPatch) -> None:
    victim = str(Path(store.root) / "a" / "v2")
    os.chmod(victim, 0)
    real_read = store_module.read_whole

    def read(path: str, size: int | None = None) -> bytes:  # root ignores mode bits: deny like the kernel
        if path.startswith(victim + os.sep):
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_read(path, size)

    monkeypatch.setattr(store_module, "read_whole", read)
    try:
        rows = table(store).set_index("name")
        assert rows.loc["a", "status"] == "DAMAGED" and "ermission denied" in rows.loc["a", "problem"]
        frame = versions("a", store)
        assert frame["status"].tolist() == ["OK", "DAMAGED"]
        with pytest.raises(ArtifactError, match="ermission denied"):
            store.get("a:v2")
    finally:
        os.chmod(victim, 0o755)


def test_an_unreadable_artifact_directory_is_one_damaged_row(
    store: ArtifactRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = os.path.join(store.root, "a")
    real_listdir = os.listdir

    def listdir(path: str) -> list[str]:
        if path == victim:
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_listdir(path)

    monkeypatch.setattr(os, "listdir", listdir)
    rows = table(store).set_index("name")
    assert rows.loc["b", "status"] == "OK"
    assert rows.loc["a", "status"] == "DAMAGED" and victim in rows.loc["a", "problem"]
    with pytest.raises(ArtifactError, match="ermission denied"):
        versions("a", store)


def test_cli_and_magic_show_the_damage(
    store: ArtifactRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from nemo_runspec_nb.cli import app

    _damage(store, "truncated manifest")
    _damage(store, "stray v² directory")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEMOTRON_ARTIFACTS_ROOT", store.root)
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()
    listing = runner.invoke(app, ["artifacts"], catch_exceptions=False)
    assert listing.exit_code == 0, listing.output
    assert "DAMAGED" in listing.output and "not valid JSON" in listing.output
    one = runner.invoke(app, ["artifacts", "a"], catch_exceptions=False)
    assert one.exit_code == 0, one.output
    assert one.output.count("DAMAGED") == 2 and "v²" in one.output

    from IPython.core.interactiveshell import InteractiveShell

    InteractiveShell.clear_instance()
    shell = InteractiveShell.instance()
    try:
        shell.run_line_magic("load_ext", "nemo_runspec_nb")
        shell.run_line_magic("config", f'RunspecMagics.artifacts_root = "{store.root}"')
        frame = shell.run_line_magic("artifacts", "")
        assert frame.set_index("name").loc["a", "status"] == "DAMAGED"
        assert shell.run_line_magic("artifacts", "a")["status"].tolist().count("DAMAGED") == 2
    finally:
        InteractiveShell.clear_instance()


def test_artifact_browser_shows_damage_and_offers_only_readable_versions(store: ArtifactRegistry) -> None:
    from nemo_runspec_nb.notebook import ArtifactBrowser

    _damage(store, "truncated manifest")
    _damage(store, "stray v² directory")
    browser = ArtifactBrowser(store, name="a")
    assert browser.version.options == ("v1",)
    assert browser.versions_table.value.count("DAMAGED") == 2
    assert "not valid JSON" in browser.versions_table.value


def test_damage_on_a_generic_fsspec_store(memory_registry: ArtifactRegistry) -> None:
    import fsspec

    memory_registry.publish("a", "memory://d1")
    memory_registry.publish("a", "memory://d2")
    fs = fsspec.filesystem("memory")
    root = memory_registry.root[len("memory://") :]
    fs.pipe_file(f"{root}/a/v2/manifest.json", b"{trunc")
    fs.pipe_file(f"{root}/a/latest", "v²".encode())
    rows = table(memory_registry).set_index("name")
    assert rows.loc["a", "status"] == "DAMAGED" and "a/v2/manifest.json" in rows.loc["a", "problem"]
    frame = versions("a", memory_registry)
    assert frame["status"].tolist()[:2] == ["OK", "DAMAGED"]
    with pytest.raises(ArtifactError, match="not valid JSON"):
        memory_registry.get("a:v2")


# -- publishing that fails leaves nothing behind -----------------------------------------


def _no_space(*args: object, **kwargs: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def _listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize("fail_on", ["metadata.json", "manifest.json"])
def test_disk_full_while_publishing_leaves_no_version(
    store: ArtifactRegistry, monkeypatch: pytest.MonkeyPatch, fail_on: str
) -> None:
    root = Path(store.root)
    before = _listing(root)
    import builtins

    real_builtin_open = builtins.open

    def builtin_open(file: object, mode: str = "r", *args: object, **kwargs: object) -> object:
        name = os.path.basename(str(file))
        if "w" in mode and fail_on in name:  # the file itself or its temporary copy
            _no_space()
        return real_builtin_open(file, mode, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(builtins, "open", builtin_open)
    with pytest.raises(ArtifactError, match="No space left") as info:
        store.publish("a", root.parent / "data")
    monkeypatch.undo()
    assert info.value.hint
    assert _listing(root) == before
    assert (root / "a" / "latest").read_text() == "v2"
    assert store.publish("a", root.parent / "data") == 3


def test_failure_raising_latest_removes_the_version(
    store: ArtifactRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = Path(store.root)
    before = _listing(root)
    monkeypatch.setattr(type(store._store), "raise_pointer", _no_space)
    with pytest.raises(ArtifactError, match="No space left"):
        store.publish("a", root.parent / "data")
    monkeypatch.undo()
    assert _listing(root) == before
    assert store.versions("a") == [1, 2] and store.get("a").version == 2


def test_disk_full_on_a_generic_store_leaves_no_version(
    memory_registry: ArtifactRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory_registry.publish("a", "memory://d1")
    fs = memory_registry._store.fs  # type: ignore[attr-defined]
    monkeypatch.setattr(type(fs), "pipe_file", _no_space)
    with pytest.raises(ArtifactError, match="No space left"):
        memory_registry.publish("a", "memory://d2")
    monkeypatch.undo()
    assert memory_registry.versions("a") == [1]
    assert table(memory_registry)["status"].tolist() == ["OK"]
    assert memory_registry.publish("a", "memory://d2") == 2


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs (needs root and mount rights; skipped with the reason otherwise)."""
    mount_point = tmp_path / f"tiny-{uuid.uuid4().hex[:6]}"
    mount_point.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {result.stderr.strip() or result.returncode}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=False)


def test_real_disk_full_leaves_only_committed_versions(tiny_fs: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    reg = ArtifactRegistry(tiny_fs / "registry")
    big = {"blob": "x" * 6000}  # two copies (manifest + metadata) per version
    published: list[int] = []
    with pytest.raises(ArtifactError, match="No space left"):
        for _ in range(100):
            published.append(reg.publish("a", data, metadata=big))
    assert published, "the first versions fit"
    assert reg.versions("a") == published
    assert sorted(p.name for p in (tiny_fs / "registry" / "a").iterdir()) == sorted(
        ["latest", ".latest.lock", *(f"v{n}" for n in published)]
    )
    frame = versions("a", reg)
    assert frame["status"].tolist() == ["OK"] * len(published)
    assert reg.get("a").version == published[-1]


# -- hypothesis: no file content breaks the listings -------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
_manifest_like = st.fixed_dictionaries(
    {},
    optional={
        "name": st.sampled_from(["a", "b"]) | _json,
        "version": st.sampled_from([1, 2, 3]) | _json,
        "type": _json,
        "path": st.text(max_size=8) | _json,
        "created_at": st.sampled_from(["2026-01-01T00:00:00+00:00", "+00:00", "x"]) | _json,
        "producer": _json,
        "metadata": _json,
        "inputs": _json,
        "used_artifacts": _json,
    },
)
_HYPOTHESIS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _listings_survive(reg: ArtifactRegistry) -> None:
    frame = table(reg)
    assert frame["name"].tolist() == ["a", "b"]
    assert set(frame["status"]) <= {"OK", "DAMAGED"}
    assert frame.set_index("name").loc["b", "status"] == "OK"
    assert versions("a", reg)["status"].iloc[0] == "OK"
    assert reg.versions("b") == [1]


@_HYPOTHESIS
@given(content=st.binary(max_size=200))
def test_any_bytes_as_manifest_or_latest(store: ArtifactRegistry, content: bytes) -> None:
    root = Path(store.root)
    _write(_manifest(root), content)
    _write(root / "a" / "latest", content)
    _listings_survive(store)


@_HYPOTHESIS
@given(record=_json | _manifest_like)
def test_any_json_as_manifest_or_latest(store: ArtifactRegistry, record: object) -> None:
    root = Path(store.root)
    text = json.dumps(record).encode()
    _write(_manifest(root), text)
    _write(root / "a" / "latest", text)
    _listings_survive(store)
    try:
        manifest = store.get("a:v2")
    except ArtifactError:
        return
    assert manifest.version == 2 and manifest.name == "a"


_metadata = st.dictionaries(st.text(min_size=1, max_size=8), _json, max_size=4)
_refs = st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,6}:v[1-9][0-9]{0,2}", fullmatch=True), max_size=3)
_text = st.text(max_size=12)


@_HYPOTHESIS
@given(
    version=st.integers(min_value=1, max_value=10**9),
    path=_text,
    created_at=_text,
    kind=st.none() | _text,
    producer=st.none() | _text,
    metadata=_metadata,
    inputs=_refs,
    used=_refs,
)
def test_well_formed_manifests_round_trip(
    version: int,
    path: str,
    created_at: str,
    kind: str | None,
    producer: str | None,
    metadata: dict[str, object],
    inputs: list[str],
    used: list[str],
) -> None:
    manifest = ArtifactManifest(
        name="a",
        version=version,
        path=path,
        created_at=created_at,
        type=kind,
        producer=producer,
        metadata=metadata,
        inputs=inputs,
        used_artifacts=used,
    )
    again = ArtifactManifest.from_dict(json.loads(manifest.to_json()))
    assert again == manifest
    assert again.to_dict() == manifest.to_dict()


@_HYPOTHESIS
@given(metadata=_metadata)
def test_published_metadata_round_trips_through_the_tables(
    store: ArtifactRegistry, metadata: dict[str, object]
) -> None:
    number = store.publish("b", Path(store.root).parent / "data", metadata=metadata)
    assert store.get(f"b:v{number}").to_dict()["metadata"] == metadata
    frame = versions("b", store)
    assert frame["status"].tolist() == ["OK"] * number
    assert isinstance(frame, pd.DataFrame)


# -- art:// never leaves the artifact; a symlink loop is a typed error --------------------


@pytest.fixture
def escapes(tmp_path: Path) -> ArtifactRegistry:
    """``a`` over a data directory holding a loop and links out; ``secret.txt`` sits beside it."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "f.txt").write_text("inside")
    (tmp_path / "secret.txt").write_text("SECRET")
    (data / "out").symlink_to(tmp_path / "secret.txt")
    (data / "updir").symlink_to(tmp_path)
    (data / "loop").symlink_to("loop")
    reg = ArtifactRegistry(tmp_path / "registry")
    reg.publish("a", data)
    reg.publish("chained", f"simplecache::file://{data}")
    reg.publish("dirfs", f"dir::file://{data}")
    return reg


@pytest.mark.parametrize(
    "url",
    [
        "art://a/../secret.txt",
        "art://a/%2e%2e/secret.txt",
        "art://a/%2E%2E/secret.txt",
        "art://a/sub/..%2fsecret.txt",
        "art://a/sub/..%5csecret.txt",
        "art://a/%2fetc/passwd",
        "art://a//etc/passwd",
        "art://a/out",
        "art://a/updir/secret.txt",
        "art://chained/out",
        "art://chained/updir/secret.txt",
        "art://dirfs/out",
        "simplecache::art://a/out",
        "filecache::art://a/updir/secret.txt",
        "simplecache::art://chained/out",
        "simplecache::art://a/%2e%2e/secret.txt",
    ],
)
def test_no_art_url_reads_outside_the_artifact(escapes: ArtifactRegistry, tmp_path: Path, url: str) -> None:
    import fsspec

    options: dict[str, object] = {"art": {"registry": escapes}}
    if "::" in url:
        options[url.split("::")[0]] = {"cache_storage": str(tmp_path / "cache")}
    with pytest.raises(ArtifactError) as info, fsspec.open(url, "rb", **options) as f:
        f.read()
    assert info.value.key and "art://" in str(info.value)


def test_chained_data_path_still_reads_inside(escapes: ArtifactRegistry) -> None:
    import fsspec

    fs = fsspec.filesystem("art", registry=escapes)
    assert fs.cat_file("chained/f.txt") == b"inside"
    assert fs.cat_file("a/f.txt") == b"inside"


@pytest.mark.parametrize("call", ["info", "cat_file", "open", "du"])
def test_symlink_loop_inside_an_artifact_is_a_typed_error(escapes: ArtifactRegistry, call: str) -> None:
    import fsspec

    fs = fsspec.filesystem("art", registry=escapes)
    path = "a" if call == "du" else "a/loop"
    with pytest.raises(ArtifactError, match="symlink loop") as info:
        if call == "open":
            fs.open(path, "rb").read()
        else:
            getattr(fs, call)(path)
    assert info.value.hint and "loop" in str(info.value.path)
    assert fs.exists("a/f.txt")
