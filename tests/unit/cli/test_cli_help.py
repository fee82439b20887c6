"""Help screens, rendered at 100 columns without colour, pinned line by line.

Rich pads lines with spaces up to the width; lines are compared with that
trailing padding removed, everything else exactly.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

from typer.testing import Result

Cli = Callable[..., Result]


def _screen(result: Result) -> str:
    assert result.exit_code == 0, result.output
    assert "\x1b[" not in result.output
    return "\n".join(line.rstrip() for line in result.output.splitlines()).strip("\n") + "\n"


def _expected(text: str) -> str:
    return textwrap.dedent(text).strip("\n") + "\n"


LAUNCH_PANEL = """\
╭─ Launch ─────────────────────────────────────────────────────────────────────────────────────────╮
│ --config        -c      NAME     Config name in the recipe's config dir, or a path.              │
│ --run           -r      PROFILE  Run attached on an env.toml profile.                            │
│ --batch         -b      PROFILE  Submit to an env.toml profile and return.                       │
│ --dry-run       -d      <bool>   Show what would run; launch nothing.                            │
│ --stage                 <bool>   Write the job dir (configs) without submitting.                 │
│ --force-squash          <bool>   Re-squash the container image.                                  │
│ --overrides             MODE     strict or open (open: key=value may add keys the YAML lacks).   │
╰──────────────────────────────────────────────────────────────────────────────────────────────────╯"""

RUN_HEADER = """\
 Usage: runspec run [OPTIONS] {PATH}

 Run a recipe: here by default, attached with -r PROFILE, detached with -b PROFILE.

 Extra key=value arguments override the config (+key=v adds, ~key deletes);
 anything else is passed to the script.

╭─ Arguments ──────────────────────────────────────────────────────────────────────────────────────╮
│ *    PATH      <path>  The recipe script. [required]                                             │
╰──────────────────────────────────────────────────────────────────────────────────────────────────╯
╭─ Options ────────────────────────────────────────────────────────────────────────────────────────╮
│ --help        <bool>  Show this message and exit.                                                │
╰──────────────────────────────────────────────────────────────────────────────────────────────────╯"""


def test_runspec_help(runspec: Cli, recipes: Path) -> None:
    expected = f"""\
 Usage: runspec [OPTIONS] COMMAND [ARGS]...

 Launch recipe scripts (PEP 723 [tool.runspec] blocks) here or on Slurm; watch their jobs and
 artifacts.

╭─ Options ────────────────────────────────────────────────────────────────────────────────────────╮
│ --env-file        PATH    env.toml to use (default: $NEMOTRON_ENV_FILE, else found walking up).  │
│ --help            <bool>  Show this message and exit.                                            │
╰──────────────────────────────────────────────────────────────────────────────────────────────────╯
{LAUNCH_PANEL}
╭─ Recipes ────────────────────────────────────────────────────────────────────────────────────────╮
│ show       Show a recipe: its runspec, configs, artifact inputs and the profiles it can use.     │
│ list       List the recipes under a folder (default: the current one).                           │
│ run        Run a recipe: here by default, attached with -r PROFILE, detached with -b PROFILE.    │
╰──────────────────────────────────────────────────────────────────────────────────────────────────╯
╭─ Jobs ───────────────────────────────────────────────────────────────────────────────────────────╮
│ jobs       List launched jobs, newest first, with their current status.                          │
│ logs       Print a job's log; with --follow, until it ends (exit 1 if it failed).                │
│ cancel     Cancel a job (scancel on Slurm, SIGTERM then SIGKILL locally).                        │
╰──────────────────────────────────────────────────────────────────────────────────────────────────╯
╭─ Artifacts and profiles ─────────────────────────────────────────────────────────────────────────╮
│ artifacts  List the artifacts in the store, or the versions of one.                              │
│ profiles   List the execution profiles of env.toml.                                              │
╰──────────────────────────────────────────────────────────────────────────────────────────────────╯
"""
    assert _screen(runspec("--help")) == _expected(expected)


def test_run_help_lists_the_recipes_configs_profiles_inputs_and_examples(runspec: Cli, recipes: Path) -> None:
    expected = f"""\
{RUN_HEADER}
{LAUNCH_PANEL}
╭─ Configs (-c NAME) ──────────────────────────────────────────────────────────────────────────────╮
│ default  (default)                                                                               │
│ tiny                                                                                             │
╰──────────────────────────────────────────────────────────────────────────────────────────────────╯
╭─ Profiles (-r/-b PROFILE) ───────────────────────────────────────────────────────────────────────╮
│ local             executor local                                                                 │
│ local-slurm       executor slurm; partition debug; nodes 1; time 00:10:00                        │
│ local-slurm-long  executor slurm; partition debug; nodes 1; time 01:00:00 (extends local-slurm)  │
╰──────────────────────────────────────────────────────────────────────────────────────────────────╯
╭─ Artifact inputs (run.NAME=REF) ─────────────────────────────────────────────────────────────────╮
│ run.data  tiny-data:latest                                                                       │
╰──────────────────────────────────────────────────────────────────────────────────────────────────╯
╭─ Override examples ──────────────────────────────────────────────────────────────────────────────╮
│ runspec run train/train.py model.lr=0.05 model.epochs=100                                        │
│ runspec run train/train.py -c tiny                                                               │
│ runspec run train/train.py run.data=tiny-data:v1                                                 │
│ runspec run train/train.py -r local -d                                                           │
╰──────────────────────────────────────────────────────────────────────────────────────────────────╯
"""
    assert _screen(runspec("run", "train/train.py", "--help")) == _expected(expected)


def test_run_help_without_env_toml_says_jobs_run_here(runspec: Cli, recipes: Path) -> None:
    (recipes / "env.toml").unlink()
    screen = _screen(runspec("run", "prep/prep.py", "--help"))
    expected_tail = """\
╭─ Configs (-c NAME) ──────────────────────────────────────────────────────────────────────────────╮
│ default  (default)                                                                               │
│ tiny                                                                                             │
╰──────────────────────────────────────────────────────────────────────────────────────────────────╯
╭─ Profiles (-r/-b PROFILE) ───────────────────────────────────────────────────────────────────────╮
│ No env.toml found: the job runs on this machine.                                                 │
╰──────────────────────────────────────────────────────────────────────────────────────────────────╯
╭─ Override examples ──────────────────────────────────────────────────────────────────────────────╮
│ runspec run prep/prep.py seed=0 data.rows=2000                                                   │
│ runspec run prep/prep.py -c tiny                                                                 │
╰──────────────────────────────────────────────────────────────────────────────────────────────────╯
"""
    assert screen.endswith(_expected(expected_tail))


def test_run_help_without_a_recipe_says_how_to_get_one(runspec: Cli, recipes: Path) -> None:
    expected = f"""\
{RUN_HEADER}
{LAUNCH_PANEL}
╭─ Recipe ─────────────────────────────────────────────────────────────────────────────────────────╮
│ Name a recipe to see its configs: runspec run PATH --help                                        │
╰──────────────────────────────────────────────────────────────────────────────────────────────────╯
"""
    assert _screen(runspec("run", "--help")) == _expected(expected)
