"""Hostile or broken recipe headers end as a SpecError, quickly, naming the file and line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nemo_runspec_nb.errors import SpecError
from nemo_runspec_nb.runspec import discover, find_blocks, parse, parse_text

PATH = Path("/tmp/fault/recipe.py")

#: The reference regular expression of PEP 723; find_blocks must find exactly what it finds.
PEP723_RE = re.compile(r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$")

GOOD = '# /// script\n# [tool.runspec]\n# name = "demo/train"\n# ///\nprint("hi")\n'


def _reference_blocks(text: str) -> list[tuple[str, str, int]]:
    found = []
    for match in PEP723_RE.finditer(text):
        lines = match.group("content").split("\n")[:-1]
        toml = "".join((line[2:] if line.startswith("# ") else line[1:]) + "\n" for line in lines)
        found.append((match.group("type"), toml, text.count("\n", 0, match.start()) + 1))
    return found


# --------------------------------------------------------------------------- many openers


@pytest.mark.timeout(60)  # a safety net only: the quadratic scan took minutes on this input
def test_a_megabyte_of_block_openers_is_rejected() -> None:
    text = "# /// script\n" * 80_000  # ~1 MB, no closing line
    with pytest.raises(SpecError, match="no PEP 723 '# /// script' block found") as info:
        parse_text(text, PATH)
    assert info.value.path == PATH


@pytest.mark.timeout(60)
def test_a_good_block_followed_by_a_megabyte_of_openers_parses(tmp_path: Path) -> None:
    path = tmp_path / "train.py"
    path.write_text(GOOD + "# /// script\n" * 80_000)
    assert parse(path).name == "demo/train"


def test_an_opener_run_closed_at_its_end_is_a_second_block() -> None:
    with pytest.raises(SpecError, match="two '# /// script' blocks") as info:
        parse_text(GOOD + "# /// script\n" * 50 + "# x\n# ///\n", PATH)
    assert info.value.line == 6


@pytest.mark.timeout(60)
def test_discovery_skips_a_file_of_openers_and_keeps_the_others(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text(GOOD)
    (tmp_path / "openers.py").write_text("# /// script\n" * 80_000)
    found = discover(tmp_path, cache=False)
    assert [spec.name for spec in found] == ["demo/train"]


@pytest.mark.timeout(60)  # a safety net only: locating the key backtracked quadratically on this line
def test_a_long_bracket_line_in_a_string_does_not_slow_the_error() -> None:
    text = (
        '# /// script\n# [tool.runspec]\n# name = "a"\n# setup = """\n'
        f"# [a{' ' * 300_000}x\n"
        '# """\n# bogus = 1\n# ///\n'
    )
    with pytest.raises(SpecError, match="unknown key 'bogus'") as info:
        parse_text(text, PATH)
    assert info.value.line == 7


# --------------------------------------------------------------------------- other bad headers


def test_unclosed_block_is_no_block() -> None:
    with pytest.raises(SpecError, match="no PEP 723"):
        parse_text('# /// script\n# [tool.runspec]\n# name = "a"\nprint(1)\n', PATH)


def test_nul_byte_in_the_block_names_the_line() -> None:
    with pytest.raises(SpecError) as info:
        parse_text('# /// script\n# [tool.runspec]\n# name = "a\x00"\n# ///\n', PATH)
    assert info.value.line == 3


def test_non_utf8_script_names_byte_and_line(tmp_path: Path) -> None:
    path = tmp_path / "train.py"
    path.write_bytes(GOOD.encode() + b"# caf\xe9\n")
    with pytest.raises(SpecError) as info:
        parse(path)
    assert info.value.line == 6
    assert f"byte {len(GOOD.encode()) + 5}" in str(info.value)
    assert "UTF-8" in info.value.hint


def test_bom_prefixed_script_parses(tmp_path: Path) -> None:
    path = tmp_path / "train.py"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert parse(path).name == "demo/train"


@pytest.mark.parametrize("value", ["[" * 5000 + "]" * 5000, "{a=" * 5000 + "1" + "}" * 5000])
def test_deeply_nested_toml_is_a_spec_error(value: str) -> None:
    with pytest.raises(SpecError, match="too deeply") as info:
        parse_text(f'# /// script\n# [tool.runspec]\n# name = "a"\n# x = {value}\n# ///\n', PATH)
    assert info.value.line == 1


# --------------------------------------------------------------------------- properties

_LINES = st.sampled_from(
    ["# /// script", "# /// a-b", "# ///", "# /// script ", "# ///  ", "#", "# x", "#x", "", "x", "\u2028"]
)
_TEXT = st.tuples(st.lists(_LINES, max_size=14), st.sampled_from(["", "\n"])).map(
    lambda parts: "\n".join(parts[0]) + parts[1]
)


@settings(max_examples=1500, deadline=None)
@given(text=_TEXT)
def test_block_scan_matches_the_pep723_reference_regex(text: str) -> None:
    assert [(b.type, b.toml, b.start_line) for b in find_blocks(text)] == _reference_blocks(text)


@settings(max_examples=400, deadline=None)
@given(text=st.text(max_size=200))
def test_any_text_as_a_header_raises_only_spec_error(text: str) -> None:
    try:
        parse_text(text, PATH)
    except SpecError as exc:
        assert exc.path == PATH


_TOML_LINES = st.one_of(
    st.sampled_from(
        [
            "[tool.runspec]",
            "[tool.runspec.resources]",
            "[tool.runspec.run]",
            "[tool.runspec.env]",
            'name = "x"',
            "nodes = -1",
            "gpus_per_node = 99999999999999999999",
            'launch = "torchrun"',
            "x = [[[[",
            "env = {a = 1}",
            "# ///",
        ]
    ),
    st.text(max_size=20),
)


@settings(max_examples=400, deadline=None)
@given(lines=st.lists(_TOML_LINES, max_size=10))
def test_any_block_content_raises_only_spec_error(lines: list[str]) -> None:
    text = "# /// script\n" + "".join(f"# {line}\n" for line in lines) + "# ///\n"
    try:
        parse_text(text, PATH)
    except SpecError as exc:
        assert exc.path == PATH


@settings(max_examples=200, deadline=None)
@given(raw=st.binary(max_size=200))
def test_any_bytes_as_a_script_raise_only_spec_error(
    tmp_path_factory: pytest.TempPathFactory, raw: bytes
) -> None:
    path = tmp_path_factory.getbasetemp() / "bytes.py"
    path.write_bytes(b"# /// script\n" + raw)
    try:
        parse(path)
    except SpecError as exc:
        assert exc.path == path
