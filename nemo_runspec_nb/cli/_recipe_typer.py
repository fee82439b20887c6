"""``RecipeTyper``: a Typer app whose commands launch recipes, with the shared options and help.

    app = RecipeTyper(help="My recipes")
    app.add_recipe_command("recipes/prep/prep.py", name="prep")

    @app.recipe_command("recipes/train/train.py")
    def train(cfg: RecipeConfig) -> RecipeConfig | None:
        \"\"\"Train the model (always with 4 threads).\"\"\"
        return cfg.with_overrides("+threads=4")

Every recipe command accepts ``-c/-r/-b/-d/--stage/--force-squash/--overrides`` (before or
after its name), ``key=value`` overrides and passthrough arguments, shows the
recipe's configs, profiles and artifact inputs in ``--help``, and exits with
:class:`~nemo_runspec_nb.cli.ExitCode` values.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from ._context import command_context, env_file_of, global_options, launch_options, raw_args_of
from ._exit_codes import ExitCode, RecipeGroup
from ._help import RecipeCommand
from ._recipe_config import RecipeConfig
from ._run_recipe import run_recipe

__all__ = ["EXTRA_ARGS", "RecipeHook", "RecipeTyper", "launch_from_cli"]

RecipeHook = Callable[[RecipeConfig], RecipeConfig | None]
EXTRA_ARGS: dict[str, Any] = {"allow_extra_args": True, "ignore_unknown_options": True}


def launch_from_cli(ctx: typer.Context, script: Path, hook: RecipeHook | None = None, **options: Any) -> None:
    """The body of every recipe command: options + extra tokens -> RecipeConfig -> hook -> run_recipe.

    ``options`` are the command's own launch options (``config, run, batch, dry_run, stage,
    force_squash, overrides``: see :func:`launch_options`).

    Raises:
        typer.Exit: with :class:`ExitCode` ``JOB_FAILED`` when the job failed.
        RunspecError: bad input (:class:`RecipeGroup` prints it and exits with 2).

    """
    found = command_context(ctx, ctx.args, **options)
    argv = (*ctx.command_path.split(), *raw_args_of(ctx))
    cfg = RecipeConfig.from_context(script, found, env_file=env_file_of(ctx), argv=argv)
    if hook is not None:
        cfg = hook(cfg) or cfg
    code = run_recipe(cfg)
    if code != ExitCode.OK:
        raise typer.Exit(int(code))


class RecipeTyper(typer.Typer):
    """A Typer app for recipe commands: global options callback, one-line errors, exit codes.

    Keyword arguments go to :class:`typer.Typer`; by default the app uses
    :class:`~nemo_runspec_nb.cli.RecipeGroup` (errors -> exit codes), shows
    help when called without arguments, never prints local variables in
    tracebacks, and installs :func:`~nemo_runspec_nb.cli.global_options` as its
    callback unless ``callback`` is given.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cls", RecipeGroup)
        kwargs.setdefault("no_args_is_help", True)
        kwargs.setdefault("rich_markup_mode", "rich")
        kwargs.setdefault("pretty_exceptions_show_locals", False)
        kwargs.setdefault("add_completion", False)
        own_callback = "callback" not in kwargs
        super().__init__(**kwargs)
        if own_callback:
            self.callback(help=kwargs.get("help"))(global_options)

    def recipe_command(
        self,
        script: str | Path,
        *,
        name: str | None = None,
        help: str | None = None,
        rich_help_panel: str | None = None,
    ) -> Callable[[RecipeHook], RecipeHook]:
        """Register a command that launches ``script``; the decorated hook may adjust the config.

        The hook gets the invocation's :class:`RecipeConfig` and returns a changed
        one (e.g. ``cfg.with_overrides(...)``) or None to keep it. Its docstring is
        the command's help; its name (``_`` -> ``-``) the command's name.
        """

        def decorator(hook: RecipeHook) -> RecipeHook:
            command_name = name or hook.__name__.replace("_", "-")
            self._register(script, command_name, help or hook.__doc__, hook, rich_help_panel)
            return hook

        return decorator

    def add_recipe_command(
        self,
        script: str | Path,
        *,
        name: str | None = None,
        help: str | None = None,
        rich_help_panel: str | None = None,
    ) -> None:
        """Register a command that launches ``script`` as given on the command line.

        ``name`` defaults to the script's stem; ``help`` to "Run the recipe SCRIPT".
        """
        path = Path(script)
        self._register(path, name or path.stem, help, None, rich_help_panel)

    def _register(
        self,
        script: str | Path,
        name: str,
        help_text: str | None,
        hook: RecipeHook | None,
        rich_help_panel: str | None,
    ) -> None:
        path = Path(script)

        @launch_options
        def command(ctx: typer.Context, **options: Any) -> None:
            launch_from_cli(ctx, path, hook, **options)

        self.command(
            name=name,
            help=help_text or f"Run the recipe {path.name}.",
            cls=RecipeCommand.for_script(path),
            context_settings=EXTRA_ARGS,
            rich_help_panel=rich_help_panel,
        )(command)
