"""The fast TOML reader agrees with tomllib wherever it answers, and answers for plain blocks."""

from __future__ import annotations

import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nemo_runspec_nb.runspec._toml_subset import loads_subset

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

KEYS = st.text("abcxyz_-019", min_size=1, max_size=6)
STRINGS = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\"\\'\x7f"), max_size=12)
SCALARS = st.one_of(
    STRINGS.map(lambda s: '"' + "".join(c for c in s if ord(c) >= 0x20 or c == "\t") + '"'),
    STRINGS.map(lambda s: "'" + "".join(c for c in s if ord(c) >= 0x20 or c == "\t") + "'"),
    st.sampled_from(["true", "false"]),
    st.integers(-(10**12), 10**12).map(str),
)
SPACE = st.sampled_from(["", " ", "\t", "  "])
COMMENT = st.sampled_from(["", " # note", "\t# a = 1 [x]", "#"])


@st.composite
def values(draw):
    if draw(st.booleans()):
        return draw(SCALARS)
    items = draw(st.lists(SCALARS, max_size=4))
    if draw(st.booleans()):  # several lines, comments and a trailing comma
        inner = "".join(f"\n  {item},{draw(COMMENT)}" for item in items)
        return f"[{inner}\n]"
    return "[" + ", ".join(items) + "]"


@st.composite
def documents(draw):
    lines = []
    # table names start with t, keys with k: a generated document never redefines anything
    parts = KEYS.map(lambda k: "t" + k)
    headers = draw(st.lists(st.lists(parts, min_size=1, max_size=3).map(".".join), max_size=4, unique=True))
    for header in [None, *headers]:
        if header is not None:
            lines.append(f"{draw(SPACE)}[{header}]{draw(COMMENT)}")
        for key in draw(st.lists(KEYS.map(lambda k: "k" + k), max_size=4, unique=True)):
            lines.append(f"{draw(SPACE)}{key}{draw(SPACE)}={draw(SPACE)}{draw(values())}{draw(COMMENT)}")
        if draw(st.booleans()):
            lines.append(draw(st.sampled_from(["", "# comment", "   "])))
    return "\n".join(lines) + draw(st.sampled_from(["", "\n"]))


def _tomllib(text: str):
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return "error"


@settings(max_examples=400, deadline=None)
@given(documents())
def test_reads_every_generated_plain_document_as_tomllib_does(text: str):
    assert loads_subset(text) == tomllib.loads(text)


@settings(max_examples=400, deadline=None)
@given(documents(), st.integers(0, 400), st.sampled_from(list("[]{}=\"'#.,\n\r\\ 1.5e+x\t\x00")))
def test_a_damaged_document_is_read_as_tomllib_reads_it_or_not_at_all(text: str, where: int, char: str):
    where = min(where, len(text))
    damaged = text[:where] + char + text[where:]
    fast = loads_subset(damaged)
    if fast is not None:
        assert fast == _tomllib(damaged)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_text_is_never_misread(text: str):
    fast = loads_subset(text)
    if fast is not None:
        assert fast == _tomllib(text)


PLAIN_BLOCK = """\
requires-python = ">=3.10"
dependencies = [
  "numpy",  # arrays
  'omegaconf',
]

[tool.runspec]
schema = "1"
name = "family/stage"
image = "nvcr.io/nvidia/nemo:25.11"

[tool.runspec.run]
launch = "torchrun"
cmd = "python {script} --config {config}"

[tool.runspec.resources]
nodes = 2
gpus_per_node = 8
exclusive = true

[tool.runspec.env]
NCCL_DEBUG = "WARN"
"""


def test_a_plain_recipe_block_takes_the_fast_path():
    assert loads_subset(PLAIN_BLOCK) == tomllib.loads(PLAIN_BLOCK)


@pytest.mark.parametrize(
    "text",
    [
        "a = 1.5\n",
        'a = "tab\\tescaped"\n',
        'a = """multi\nline"""\n',
        "a = {b = 1}\n",
        "[[steps]]\nname = 'x'\n",
        'tool.runspec.name = "x"\n',
        '"quoted" = 1\n',
        "a = [[1], [2]]\n",
        "a = 1_000\n",
        "a = 1\na = 2\n",
        "[t]\n[t]\n",
        "a = 1\r\n",
    ],
)
def test_everything_else_is_left_to_tomllib(text: str):
    assert loads_subset(text) is None
