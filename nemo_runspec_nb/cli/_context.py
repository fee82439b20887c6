"""The global options of recipe CLIs: the Typer callback that fills a :class:`GlobalContext`.

``-c/--config``, ``-r/--run PROFILE``, ``-b/--batch PROFILE``, ``-d/--dry-run``,
``--stage``, ``--force-squash``, ``--overrides strict|open`` and ``--env-file`` are accepted before the
subcommand (by :func:`global_options`) and, except ``--env-file``, after it (each
recipe command declares them too, through :func:`launch_options`, and :func:`command_context` merges both with
the ``key=value`` overrides and passthrough arguments, sorted by
:func:`~nemo_runspec_nb.config.split_unknown_args`). A value given after the
subcommand wins.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar, cast

import typer

from ..config import GlobalContext, split_unknown_args
from ._recipe_config import check_options

__all__ = [
    "LAUNCH_OPTIONS",
    "command_context",
    "env_file_of",
    "global_context_of",
    "global_options",
    "launch_options",
    "raw_args_of",
]

PANEL = "Launch"
_CONTEXT_KEY = "nemo_runspec_nb.global_context"
_ENV_FILE_KEY = "nemo_runspec_nb.env_file"
RAW_ARGS_KEY = "nemo_runspec_nb.raw_args"

F = TypeVar("F", bound=Callable[..., Any])


def _launch(kind: Any, default: Any, *names: str, help: str, metavar: str | None = None) -> inspect.Parameter:
    option = typer.Option(*names, metavar=metavar, help=help, rich_help_panel=PANEL)
    name = names[-1].lstrip("-").replace("-", "_")
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=Annotated[kind, option]
    )


#: The options every recipe command takes, before or after its name (the fields of a GlobalContext).
LAUNCH_OPTIONS: tuple[inspect.Parameter, ...] = (
    _launch(
        str | None,
        None,
        "-c",
        "--config",
        metavar="NAME",
        help="Config name in the recipe's config dir, or a path.",
    ),
    _launch(str | None, None, "-r", "--run", metavar="PROFILE", help="Run attached on an env.toml profile."),
    _launch(
        str | None, None, "-b", "--batch", metavar="PROFILE", help="Submit to an env.toml profile and return."
    ),
    _launch(bool, False, "-d", "--dry-run", help="Show what would run; launch nothing."),
    _launch(bool, False, "--stage", help="Write the job dir (configs) without submitting."),
    _launch(bool, False, "--force-squash", help="Re-squash the container image."),
    _launch(
        str | None,
        None,
        "--overrides",
        metavar="MODE",
        help="strict or open (open: key=value may add keys the YAML lacks).",
    ),
)
_LAUNCH_NAMES = tuple(p.name for p in LAUNCH_OPTIONS)

EnvFileOption = Annotated[
    Path | None,
    typer.Option(
        "--env-file",
        metavar="PATH",
        help="env.toml to use (default: $NEMOTRON_ENV_FILE, else found walking up).",
        dir_okay=False,
    ),
]


def launch_options(command: F) -> F:
    """Declare :data:`LAUNCH_OPTIONS` on a Typer command that takes them as ``**options``.

    Typer reads a command's parameters from its signature: this one gets the launch
    options after its arguments and before its own options, so ``--help`` lists them
    in the same place for every command.
    """
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    at = next((i for i, p in enumerate(own) if p.default is not inspect.Parameter.empty), len(own))
    after = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own[at:]]
    cast(Any, command).__signature__ = signature.replace(parameters=[*own[:at], *LAUNCH_OPTIONS, *after])
    return command


@launch_options
def global_options(ctx: typer.Context, *, env_file: EnvFileOption = None, **options: Any) -> None:
    """The Typer callback of a recipe CLI: store the global options on the context."""
    found = GlobalContext(**options)  # --overrides is checked when the job is composed
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


def command_context(ctx: typer.Context, extra: Sequence[str] = (), **options: Any) -> GlobalContext:
    """Merge the callback's options, the command's own options and its extra tokens; validate.

    ``options`` are the command's :data:`LAUNCH_OPTIONS` (``config``, ``run``, ``batch``,
    ``dry_run``, ``stage``, ``force_squash``, ``overrides``). A value given after the
    subcommand wins over the same option before it; ``--run`` and ``--batch`` together
    are an error wherever they appear. Extra tokens are split into overrides and
    passthrough arguments.

    Raises:
        ConfigError: both ``--run`` and ``--batch``, ``--stage`` without a profile,
            an option at the end with no value.
        TypeError: an option that is not a launch option.

    """
    unknown = sorted(set(options) - set(_LAUNCH_NAMES))
    if unknown:
        raise TypeError(f"command_context() got unexpected launch options: {', '.join(unknown)}")
    base = global_context_of(ctx)
    given = GlobalContext(**options)
    merged = dataclasses.replace(
        base,
        **{name: getattr(given, name) or getattr(base, name) for name in _LAUNCH_NAMES},
        dotlist=[],
        passthrough=[],
    )
    _, _, found = split_unknown_args(list(extra), merged)
    return check_options(found)
