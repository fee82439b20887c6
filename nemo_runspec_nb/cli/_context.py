"""The global options of recipe CLIs: the Typer callback that fills a :class:`GlobalContext`.

``-c/--config``, ``-r/--run PROFILE``, ``-b/--batch PROFILE``, ``-d/--dry-run``,
``--stage``, ``--force-squash``, ``--overrides strict|open`` and ``--env-file`` are accepted before the
subcommand (by :func:`global_options`) and, except ``--env-file``, after it (each
recipe command declares them too, and :func:`command_context` merges both with
the ``key=value`` overrides and passthrough arguments, sorted by
:func:`~nemo_runspec_nb.config.split_unknown_args`). A value given after the
subcommand wins.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer

from ..config import GlobalContext, split_unknown_args
from ._recipe_config import check_options

if TYPE_CHECKING:
    from ..config import OverrideMode

__all__ = [
    "BatchOption",
    "ConfigOption",
    "DryRunOption",
    "EnvFileOption",
    "ForceSquashOption",
    "OverridesOption",
    "RunOption",
    "StageOption",
    "command_context",
    "env_file_of",
    "global_context_of",
    "global_options",
    "raw_args_of",
]

PANEL = "Launch"
_CONTEXT_KEY = "nemo_runspec_nb.global_context"
_ENV_FILE_KEY = "nemo_runspec_nb.env_file"
RAW_ARGS_KEY = "nemo_runspec_nb.raw_args"

ConfigOption = Annotated[
    str | None,
    typer.Option(
        "-c",
        "--config",
        metavar="NAME",
        help="Config name in the recipe's config dir, or a path.",
        rich_help_panel=PANEL,
    ),
]
RunOption = Annotated[
    str | None,
    typer.Option(
        "-r", "--run", metavar="PROFILE", help="Run attached on an env.toml profile.", rich_help_panel=PANEL
    ),
]
BatchOption = Annotated[
    str | None,
    typer.Option(
        "-b",
        "--batch",
        metavar="PROFILE",
        help="Submit to an env.toml profile and return.",
        rich_help_panel=PANEL,
    ),
]
DryRunOption = Annotated[
    bool, typer.Option("-d", "--dry-run", help="Show what would run; launch nothing.", rich_help_panel=PANEL)
]
StageOption = Annotated[
    bool,
    typer.Option("--stage", help="Write the job dir (configs) without submitting.", rich_help_panel=PANEL),
]
ForceSquashOption = Annotated[
    bool,
    typer.Option("--force-squash", help="Re-squash the container image.", rich_help_panel=PANEL),
]
OverridesOption = Annotated[
    str | None,
    typer.Option(
        "--overrides",
        metavar="MODE",
        help="strict or open (open: key=value may add keys the YAML lacks).",
        rich_help_panel=PANEL,
    ),
]
EnvFileOption = Annotated[
    Path | None,
    typer.Option(
        "--env-file",
        metavar="PATH",
        help="env.toml to use (default: $NEMOTRON_ENV_FILE, else found walking up).",
        dir_okay=False,
    ),
]


def global_options(
    ctx: typer.Context,
    config: ConfigOption = None,
    run: RunOption = None,
    batch: BatchOption = None,
    dry_run: DryRunOption = False,
    stage: StageOption = False,
    force_squash: ForceSquashOption = False,
    overrides: OverridesOption = None,
    env_file: EnvFileOption = None,
) -> None:
    """The Typer callback of a recipe CLI: store the global options on the context."""
    found = GlobalContext(
        config=config,
        run=run,
        batch=batch,
        dry_run=dry_run,
        stage=stage,
        force_squash=force_squash,
        overrides=cast("OverrideMode | None", overrides),  # checked when the job is composed
    )
    if found.run and found.batch:
        check_options(found)  # fail early; --stage is checked once the command's options are known
    ctx.meta[_CONTEXT_KEY] = found
    ctx.meta[_ENV_FILE_KEY] = env_file


def global_context_of(ctx: typer.Context) -> GlobalContext:
    """The :class:`GlobalContext` the callback stored (an empty one without a callback)."""
    found = ctx.meta.get(_CONTEXT_KEY)
    return found if isinstance(found, GlobalContext) else GlobalContext()


def env_file_of(ctx: typer.Context) -> Path | None:
    """The ``--env-file`` given before the subcommand, if any."""
    found = ctx.meta.get(_ENV_FILE_KEY)
    return Path(found) if found is not None else None


def raw_args_of(ctx: typer.Context) -> list[str]:
    """The subcommand's arguments as typed (recorded by :class:`~nemo_runspec_nb.cli.RecipeCommand`)."""
    return list(ctx.meta.get(RAW_ARGS_KEY, []))


def command_context(
    ctx: typer.Context,
    extra: Sequence[str] = (),
    *,
    config: str | None = None,
    run: str | None = None,
    batch: str | None = None,
    dry_run: bool = False,
    stage: bool = False,
    force_squash: bool = False,
    overrides: str | None = None,
) -> GlobalContext:
    """Merge the callback's options, the command's own options and its extra tokens; validate.

    A value given after the subcommand wins over the same option before it;
    ``--run`` and ``--batch`` together are an error wherever they appear. Extra
    tokens are split into overrides and passthrough arguments.

    Raises:
        ConfigError: both ``--run`` and ``--batch``, ``--stage`` without a profile,
            an option at the end with no value.

    """
    base = global_context_of(ctx)
    merged = dataclasses.replace(
        base,
        config=config or base.config,
        run=run or base.run,
        batch=batch or base.batch,
        dry_run=dry_run or base.dry_run,
        stage=stage or base.stage,
        force_squash=force_squash or base.force_squash,
        overrides=cast("OverrideMode | None", overrides) or base.overrides,
        dotlist=[],
        passthrough=[],
    )
    _, _, found = split_unknown_args(list(extra), merged)
    return check_options(found)
