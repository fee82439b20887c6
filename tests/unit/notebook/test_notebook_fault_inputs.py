"""Hostile or broken input in a notebook shows one message, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from IPython.core.error import UsageError

from nemo_runspec_nb import Recipe, Session
from nemo_runspec_nb.notebook import RecipeForm

LAUGHS = "a: &a [l,l,l,l,l,l,l,l,l,l]\n" + "".join(
    f"{b}: &{b} [{','.join([f'*{a}'] * 10)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True)
)


@pytest.fixture
def broken(project: Path) -> Path:
    config = project / "train" / "config"
    (config / "latin1.yaml").write_bytes(b"model:\n  name: caf\xe9\n")
    (config / "bomb.yaml").write_text(LAUGHS)
    (project / "openers.py").write_text("# /// script\n" * 80_000)
    env = project / "env.toml"
    env.write_text(env.read_text() + '\n[minus]\nextends = "local-slurm"\nnodes = -1\n')
    return project


@pytest.mark.timeout(60)  # a safety net only: the bombs used to run for minutes
@pytest.mark.parametrize(
    ("line", "body", "expected"),
    [
        ("train/train.py -c tiny -d", "model.²=1\n", "key 'model.²' is not in the config"),
        ("train/train.py -c tiny -d", "model[--1]=1\n", "not '--1'"),
        ("train/train.py -c tiny -d", "++x=!!set {a}\n", "!!set"),
        ("train/train.py -c tiny -d", "++x={null: 1}\n", "null key"),
        ("train/train.py -c tiny -d", "model:\n  epochs: !!set {a}\n", "override cell is not usable"),
        ("train/train.py -c tiny -d", LAUGHS, "extra nodes"),
        ("train/train.py -c latin1 -d", "# none", "latin1.yaml:2: not UTF-8 text: byte 18"),
        ("train/train.py -c bomb -d", "# none", "bomb.yaml:"),
        ("train/train.py -c tiny -b minus -d", "# none", "profile 'minus': nodes = -1"),
        ("openers.py -d", "# none", "no PEP 723 '# /// script' block found"),
    ],
)
def test_hostile_input_is_one_line_usage_error(
    shell, broken: Path, line: str, body: str, expected: str
) -> None:
    with pytest.raises(UsageError) as info:
        shell.run_cell_magic("recipe", line, body)
    message = str(info.value)
    assert expected in message
    assert "\n" not in message


@pytest.mark.timeout(60)
def test_a_bomb_in_a_cell_shows_no_traceback(shell, broken: Path, capsys) -> None:
    result = shell.run_cell("%%recipe train/train.py -c tiny -d\n" + LAUGHS)
    assert isinstance(result.error_in_exec, UsageError)
    err = capsys.readouterr().err
    assert "extra nodes" in err
    assert "Traceback" not in err


@pytest.mark.timeout(60)
def test_the_form_shows_a_bomb_as_one_message(broken: Path) -> None:
    form = RecipeForm(Recipe(broken / "train" / "train.py", session=Session(broken / "env.toml")))
    form.overrides_text.value = LAUGHS
    assert "extra nodes" in form.error
    assert "\n" not in form.error
    assert form.launch_button.disabled
    cell, cli = form.code()  # the code preview must not expand the aliases either
    assert cell.startswith("%%recipe") and cli.startswith("runspec run")


def test_the_form_shows_a_bad_profile_count_as_one_message(broken: Path) -> None:
    form = RecipeForm(Recipe(broken / "train" / "train.py", session=Session(broken / "env.toml")))
    form.profile.value = "minus"
    assert "nodes = -1 is not a whole number >= 1" in form.error
    assert form.launch_button.disabled
