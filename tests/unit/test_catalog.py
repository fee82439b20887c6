"""nrs.catalog(): the recipe table a notebook shows."""

from __future__ import annotations

from pathlib import Path

import nemo_runspec_nb as nrs

BLOCK = """# /// script
# [tool.runspec]
# name = "{name}"
# image = "img:1"
# [tool.runspec.run]
# launch = "direct"
# [tool.runspec.resources]
# nodes = {nodes}
# gpus_per_node = 0
# ///
"""


def test_catalog_has_one_row_per_recipe_with_configs(tmp_path: Path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "train.py").write_text(BLOCK.format(name="b/train", nodes=2))
    (tmp_path / "b" / "config").mkdir()
    (tmp_path / "b" / "config" / "default.yaml").write_text("a: 1\n")
    (tmp_path / "b" / "config" / "tiny.yaml").write_text("a: 2\n")
    (tmp_path / "a.py").write_text(BLOCK.format(name="a/prep", nodes=1))
    (tmp_path / "broken.py").write_text(BLOCK.format(name="x", nodes=0))
    frame = nrs.catalog(tmp_path)
    assert list(frame.columns) == [
        "name",
        "path",
        "launch",
        "image",
        "nodes",
        "gpus_per_node",
        "config_dir",
        "configs",
    ]
    assert frame["name"].tolist() == ["a/prep", "b/train"]
    assert frame["nodes"].tolist() == [1, 2]
    assert frame["configs"].tolist() == [[], ["default", "tiny"]]
    assert frame["launch"].tolist() == ["direct", "direct"]
    [error] = frame.attrs["errors"]
    assert error.path == tmp_path / "broken.py" and error.line == 8


def test_empty_tree_gives_empty_frame_with_columns(tmp_path: Path):
    frame = nrs.catalog(tmp_path)
    assert frame.empty and "configs" in frame.columns
