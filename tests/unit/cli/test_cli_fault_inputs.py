"""Hostile or broken input (overrides, config files, env.toml, recipe headers) is one line and exit 2."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

Cli = Callable[..., Result]

LAUGHS = "a: &a [l,l,l,l,l,l,l,l,l,l]\n" + "".join(
    f"{b}: &{b} [{','.join([f'*{a}'] * 10)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True)
)


def _broken_files(root: Path) -> None:
    config = root / "train" / "config"
    (config / "latin1.yaml").write_bytes(b"model:\n  name: caf\xe9\n")
    (config / "bomb.yaml").write_text(LAUGHS)
    (config / "aset.yaml").write_text("model: !!set {a, b}\n")
    (root / "openers.py").write_text("# /// script\n" * 80_000)
    env = root / "env.toml"
    env.write_text(env.read_text() + '\n[minus]\nextends = "local-slurm"\nnodes = -1\n')
    (root / "bad-env.toml").write_bytes(b'[x]\nexecutor = "caf\xe9"\n')


CASES = {
    "superscript digit as a key": (["run", "train/train.py", "-d", "model.²=1"], "'model.²'", "+model.²=1"),
    "double minus as an index": (["run", "train/train.py", "-d", "model[--1]=1"], "not '--1'", "key[0]"),
    "huge index": (["run", "train/train.py", "-d", f"model[{'9' * 5000}]=1"], "too large", "digits"),
    "NUL in a key": (["run", "train/train.py", "-d", "mo\x00del.epochs=1"], "U+0000", "key=value"),
    "set value": (["run", "train/train.py", "-d", "++x=!!set {a}"], "!!set", "Write a list"),
    "null key value": (["run", "train/train.py", "-d", "++x={~: 1}"], "null key", "quote it"),
    "non-UTF-8 config": (["run", "train/train.py", "-d", "-c", "latin1"], "latin1.yaml:2", "byte 18 (0xe9)"),
    "billion laughs config": (
        ["run", "train/train.py", "-d", "-c", "bomb"],
        "bomb.yaml:",
        "fewer nested aliases",
    ),
    "set in a config": (["run", "train/train.py", "-d", "-c", "aset"], "aset.yaml:1", "Write a list"),
    "negative nodes": (["run", "train/train.py", "-d", "-b", "minus"], "env.toml:", "'minus': nodes = -1"),
    "non-UTF-8 env.toml": (
        ["--env-file", "bad-env.toml", "run", "train/train.py", "-d", "-r", "x"],
        "bad-env.toml:2",
        "Save env.toml as UTF-8",
    ),
    "file of block openers": (
        ["run", "openers.py", "-d"],
        "no PEP 723 '# /// script' block",
        "Start the file",
    ),
    "show a file of block openers": (["show", "openers.py"], "no PEP 723", "[tool.runspec]"),
}


@pytest.mark.timeout(60)  # a safety net only: the bomb and the openers used to run for minutes
@pytest.mark.parametrize(("args", "what", "fix"), list(CASES.values()), ids=list(CASES))
def test_hostile_input_is_one_line_and_exit_2(
    runspec: Cli, recipes: Path, args: list[str], what: str, fix: str
) -> None:
    _broken_files(recipes)
    result = runspec(*args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert what in lines[0]
    assert fix in lines[0]
    assert "Traceback" not in result.output
    assert "\x00" not in result.output


def test_a_listing_keeps_working_around_a_file_of_openers(runspec: Cli, recipes: Path) -> None:
    _broken_files(recipes)
    result = runspec("list", ".")
    assert result.exit_code == 0, result.output
    assert "tiny/train" in result.stdout
