"""GlobalContext and split_unknown_args: the seed's semantics, importable without typer."""

from __future__ import annotations

import subprocess
import sys

import pytest

from nemo_runspec_nb.config import GlobalContext, split_unknown_args
from nemo_runspec_nb.errors import ConfigError


def test_defaults_are_a_local_run():
    ctx = GlobalContext()
    assert (ctx.mode, ctx.profile, ctx.dotlist, ctx.passthrough) == ("local", None, [], [])


@pytest.mark.parametrize(
    ("kwargs", "mode", "profile"),
    [({"run": "dev"}, "run", "dev"), ({"batch": "prod"}, "batch", "prod"), ({}, "local", None)],
)
def test_mode_and_profile(kwargs, mode, profile):
    ctx = GlobalContext(**kwargs)
    assert (ctx.mode, ctx.profile) == (mode, profile)


def test_overrides_and_passthrough_are_separated():
    dotlist, passthrough, _ = split_unknown_args(["train.lr=1", "--mock", "+x=2", "~y", "file.txt", "--k=v"])
    assert dotlist == ["train.lr=1", "+x=2", "~y"]
    assert passthrough == ["--mock", "file.txt", "--k=v"]


def test_late_global_options_are_picked_up():
    dotlist, passthrough, ctx = split_unknown_args(
        ["-c", "tiny", "a=1", "--run", "dev", "-d", "--stage", "--force-squash", "--extra"]
    )
    assert (ctx.config, ctx.run, ctx.dry_run, ctx.stage, ctx.force_squash) == (
        "tiny",
        "dev",
        True,
        True,
        True,
    )
    assert dotlist == ["a=1"]
    assert passthrough == ["--extra"]


def test_equals_form_of_value_options():
    _, _, ctx = split_unknown_args(["--batch=prod", "--config=big"])
    assert (ctx.batch, ctx.config, ctx.mode) == ("prod", "big", "batch")


def test_the_given_context_is_copied_and_extended():
    given = GlobalContext(config="default", dotlist=["a=1"])
    dotlist, _, ctx = split_unknown_args(["b=2", "-r", "dev"], given)
    assert dotlist == ["b=2"]
    assert ctx.dotlist == ["a=1", "b=2"]
    assert ctx.run == "dev" and ctx.config == "default"
    assert given.dotlist == ["a=1"] and given.run is None


def test_a_value_option_without_value_is_an_error():
    with pytest.raises(ConfigError, match="option --run needs a value") as info:
        split_unknown_args(["a=1", "--run"])
    assert info.value.key == "--run"


def test_run_and_batch_together_is_an_error():
    with pytest.raises(ConfigError, match="cannot both be given") as info:
        split_unknown_args(["--run", "dev", "--batch", "prod"])
    assert "--run" in str(info.value.key)


def test_importable_without_typer():
    code = (
        "import sys; import nemo_runspec_nb.config as c; c.GlobalContext(); "
        "assert 'typer' not in sys.modules and 'pandas' not in sys.modules, "
        "[m for m in ('typer', 'pandas') if m in sys.modules]"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
