"""OverrideEditor on its own: lazy inputs, edits as dotlist overrides, value formatting."""

from __future__ import annotations

import ipywidgets as widgets
import pytest

from nemo_runspec_nb.notebook._editor import OverrideEditor, flatten, format_value

LEAVES = {
    "model.lr": 0.1,
    "model.layers": 2,
    "model.tied": True,
    "data.name": "x",
    "data.path": None,
    "tags": [1],
}


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "null"),
        (True, "true"),
        (3, "3"),
        (0.5, "0.5"),
        ("a", "a"),
        ("1", '"1"'),
        ("a b", '"a b"'),
        ("yes", '"yes"'),
        ([1], "[1]"),
    ],
)
def test_format_value(value: object, text: str) -> None:
    assert format_value(value) == text


def test_flatten_keeps_lists_and_empty_mappings_as_leaves() -> None:
    assert list(flatten({"a": {"b": 1, "c": [1, 2]}, "d": {}})) == [("a.b", 1), ("a.c", [1, 2]), ("d", {})]


def test_inputs_follow_the_value_types() -> None:
    editor = OverrideEditor()
    editor.load(LEAVES)
    assert editor.inputs == {}
    kinds = {key: type(editor.input(key)) for key in LEAVES}
    assert kinds == {
        "model.lr": widgets.FloatText,
        "model.layers": widgets.IntText,
        "model.tied": widgets.Checkbox,
        "data.name": widgets.Text,
        "data.path": widgets.Text,
        "tags": widgets.Text,
    }
    assert editor.input("data.path").placeholder == "null"


def test_edits_become_dotlist_overrides_and_call_back() -> None:
    calls = []
    editor = OverrideEditor(lambda: calls.append(1))
    editor.load(LEAVES)
    editor.set_override("model.tied", False)
    editor.set_override("tags", [1, 2])
    editor.input("data.path").value = "/data"
    assert editor.dotlist() == ["model.tied=false", "tags=[1, 2]", "data.path=/data"]
    editor.input("data.path").value = ""
    assert "data.path" not in editor.edits
    assert len(calls) == 4


def test_unknown_key_suggests_the_closest() -> None:
    editor = OverrideEditor()
    editor.load(LEAVES)
    with pytest.raises(KeyError, match=r"Did you mean 'model\.lr'"):
        editor.set_override("model.lrr", 1)


def test_reloading_drops_edits_of_keys_that_are_gone() -> None:
    editor = OverrideEditor()
    editor.load(LEAVES)
    editor.set_override("model.layers", 4)
    editor.set_override("data.name", "y")
    editor.load({"model.layers": 2})
    assert editor.edits == {"model.layers": 4}
    assert editor.input("model.layers").value == 4
