"""discover(): which files are recipes, what is skipped, how errors are collected."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nemo_runspec_nb.errors import DiscoveryError, SpecError
from nemo_runspec_nb.runspec import catalog_records, config_names, discover


@pytest.fixture
def tree(tmp_path: Path, make_script):
    def put(rel: str, text: str) -> Path:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    put("recipes/b/train.py", make_script('[tool.runspec]\nname = "b/train"'))
    put(
        "recipes/a/prep.py",
        make_script('[tool.runspec]\nname = "a/prep"\n[tool.runspec.config]\ndir = "cfg"'),
    )
    put("recipes/a/cfg/default.yaml", "x: 1\n")
    put("recipes/a/cfg/tiny.yml", "x: 2\n")
    put("recipes/a/cfg/notes.txt", "not a config\n")
    put("recipes/z/eval.py", make_script('[tool.runspec]\nname = "a/prep"'))  # same name, later path
    put("tools/uv_script.py", make_script('dependencies = ["rich"]'))  # PEP 723 but not a recipe
    put("lib/helper.py", "def f():\n    return 1\n")
    put("README.md", make_script('[tool.runspec]\nname = "not-python"'))
    for skipped in (
        ".git/hooks",
        ".venv/lib",
        "node_modules/pkg",
        "src/__pycache__",
        ".nemotron/jobs/x",
        "env1",
    ):
        put(f"{skipped}/recipe.py", make_script('[tool.runspec]\nname = "skipped"'))
    put("env1/pyvenv.cfg", "home = /usr\n")
    return tmp_path, put


def test_finds_recipes_sorted_by_name_then_path(tree):
    root, _ = tree
    found = discover(root)
    assert [(s.name, s.script_path.relative_to(root).as_posix()) for s in found] == [
        ("a/prep", "recipes/a/prep.py"),
        ("a/prep", "recipes/z/eval.py"),
        ("b/train", "recipes/b/train.py"),
    ]
    assert found.errors == []


def test_skips_vcs_virtualenvs_caches_and_job_dirs(tree):
    root, _ = tree
    assert all(s.name != "skipped" for s in discover(root))


def test_broken_recipe_is_collected_not_fatal(tree, make_script):
    root, put = tree
    bad = put("recipes/broken/train.py", make_script("[tool.runspec.resources]\nnodes = 0"))
    found = discover(root)
    assert len(found) == 3
    assert len(found.errors) == 1
    assert isinstance(found.errors[0], SpecError)
    assert found.errors[0].path == bad and found.errors[0].line == 3


def test_errors_raised_on_request(tree, make_script):
    root, put = tree
    put("recipes/broken/train.py", make_script("[tool.runspec.resources]\nnodes = 0"))
    with pytest.raises(SpecError, match="must be >= 1"):
        discover(root, raise_errors=True)
    put("recipes/broken2/train.py", make_script('[tool.runspec]\nnmae = "x"'))
    with pytest.raises(DiscoveryError) as info:
        discover(root, raise_errors=True)
    assert len(info.value.errors) == 2
    assert "2 recipe(s) failed to parse" in str(info.value)


def test_single_file_root(tree):
    root, _ = tree
    found = discover(root / "recipes/b/train.py")
    assert [s.name for s in found] == ["b/train"]


def test_missing_root(tmp_path: Path):
    with pytest.raises(FileNotFoundError):
        discover(tmp_path / "nowhere")


def test_config_names_and_catalog_records(tree):
    root, _ = tree
    found = discover(root)
    prep = found[0]
    assert config_names(prep) == ["default", "tiny"]
    assert config_names(found[2]) == []  # no config dir at all
    rows = catalog_records(found)
    assert rows[0] == {
        "name": "a/prep",
        "path": str(prep.script_path),
        "launch": "torchrun",
        "image": None,
        "nodes": 1,
        "gpus_per_node": 8,
        "config_dir": str(prep.config_dir),
        "configs": ["default", "tiny"],
    }


def _age(path: Path, seconds: float = 60) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns - int(seconds * 1e9)))


def test_index_reuses_unchanged_files_and_sees_changes(tmp_path: Path, make_script, monkeypatch):
    root = tmp_path / "tree"
    cache = tmp_path / "cache"
    recipe = root / "r.py"
    broken = root / "broken.py"
    plain = root / "plain.py"
    root.mkdir()
    recipe.write_text(make_script('[tool.runspec]\nname = "one"'))
    broken.write_text(make_script("[tool.runspec.resources]\nnodes = 0"))
    plain.write_text("print(1)\n")
    for p in (recipe, broken, plain):
        _age(p)
    first = discover(root, cache=cache)
    assert [s.name for s in first] == ["one"] and len(first.errors) == 1
    assert len(list(cache.iterdir())) == 1

    # Nothing is read again when nothing changed: make reading fail loudly.
    import nemo_runspec_nb.runspec._discovery as discovery

    real_open = open

    def no_reads(path, *args, **kwargs):
        if str(path).endswith(".py"):
            raise AssertionError(f"{path} was read although unchanged")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(discovery, "open", no_reads, raising=False)
    second = discover(root, cache=cache)
    assert second == first
    assert [(e.path, e.line, str(e)) for e in second.errors] == [
        (e.path, e.line, str(e)) for e in first.errors
    ]
    monkeypatch.undo()

    # A changed file is parsed again.
    recipe.write_text(make_script('[tool.runspec]\nname = "two"'))
    assert [s.name for s in discover(root, cache=cache)] == ["two"]


def test_recently_modified_files_are_never_trusted(tmp_path: Path, make_script):
    root = tmp_path / "tree"
    root.mkdir()
    recipe = root / "r.py"
    recipe.write_text(make_script('[tool.runspec]\nname = "one"'))
    discover(root, cache=tmp_path / "c")
    stat = recipe.stat()
    recipe.write_text(make_script('[tool.runspec]\nname = "six"'))  # same size, maybe same mtime tick
    os.utime(recipe, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert [s.name for s in discover(root, cache=tmp_path / "c")] == ["six"]


def test_corrupt_or_unwritable_index_is_ignored(tmp_path: Path, make_script):
    root = tmp_path / "tree"
    root.mkdir()
    (root / "r.py").write_text(make_script('[tool.runspec]\nname = "one"'))
    cache = tmp_path / "cache"
    discover(root, cache=cache)
    for index in cache.iterdir():
        index.write_text("{not json")
    assert [s.name for s in discover(root, cache=cache)] == ["one"]
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    assert [s.name for s in discover(root, cache=blocker / "sub")] == ["one"]
    assert [s.name for s in discover(root, cache=False)] == ["one"]


def test_catalog_records_keys_are_the_catalog_columns(tree):
    from nemo_runspec_nb.runspec import CATALOG_COLUMNS

    root, _ = tree
    assert all(tuple(row) == CATALOG_COLUMNS for row in catalog_records(discover(root)))
