"""``--help`` for recipe commands: Typer's panels plus the recipe's own.

:class:`RecipeCommand` prints, after the usual Usage/Options panels:

* **Configs**: the configs in the recipe's config dir (the default marked),
* **Profiles**: the env.toml profiles (executor, extends),
* **Artifact inputs**: the ``run.NAME: artifact-ref`` entries of the default
  config, which a ``run.NAME=other:v2`` override points elsewhere,
* **Override examples**: command lines built from the recipe's own keys.

The recipe is the one a :class:`~nemo_runspec_nb.cli.RecipeTyper` command is
bound to, or (for ``runspec run PATH --help``) the first ``.py`` argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import typer
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from typer.core import TyperCommand

from ..errors import RunspecError
from ._console import make_console
from ._context import RAW_ARGS_KEY, env_file_of, raw_args_of
from ._recipe_config import RecipeMeta

__all__ = ["RecipeCommand", "profile_summaries", "recipe_help_panels"]


def profile_summaries(env_file: Path | None) -> dict[str, str]:
    """``{profile: "slurm, partition debug (extends base)"}`` for each profile of env.toml."""
    if env_file is None:
        return {}
    from ..config import list_profiles, load_env_file, load_env_profile

    raw = load_env_file(env_file)
    out: dict[str, str] = {}
    for name in list_profiles(env_file):
        try:
            merged = load_env_profile(name, env_file)
        except RunspecError as exc:
            out[name] = f"(broken: {exc.message})"
            continue
        words = [f"executor {merged.get('executor', 'local')}"]
        words += [f"{key} {merged[key]}" for key in ("partition", "nodes", "time") if key in merged]
        text = "; ".join(words)
        parent = raw.get(name, {}).get("extends") if isinstance(raw.get(name), Mapping) else None
        out[name] = f"{text} (extends {parent})" if parent else text
    return out


def _panel(title: str, body: RenderableType) -> Panel:
    return Panel(body, title=title, title_align="left", border_style="dim")


def _two_columns(rows: list[tuple[str, str]]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for left, right in rows:
        table.add_row(left, right)
    return table


def recipe_help_panels(meta: RecipeMeta, env_file: Path | None, command: str) -> list[Panel]:
    """The Configs, Profiles, Artifact inputs and Override examples panels of one recipe."""
    spec = meta.runspec
    config_rows = [(name, "(default)" if name == meta.default_config else "") for name in meta.configs] or [
        ("(none)", f"no configs in {spec.config_dir}")
    ]
    panels = [_panel("Configs (-c NAME)", _two_columns(config_rows))]

    profiles = profile_summaries(env_file)
    if env_file is None:
        body: RenderableType = Text("No env.toml found: the job runs on this machine.")
    elif not profiles:
        body = Text(f"{env_file} defines no profiles.")
    else:
        body = _two_columns(list(profiles.items()))
    panels.append(_panel("Profiles (-r/-b PROFILE)", body))

    if meta.artifact_inputs:
        inputs = _two_columns(list(meta.artifact_inputs.items()))
        panels.append(_panel("Artifact inputs (run.NAME=REF)", inputs))

    other = next((c for c in meta.configs if c != meta.default_config), None)
    examples = [f"{command} {' '.join(meta.examples)}".rstrip()]
    if other:
        examples.append(f"{command} -c {other}")
    if meta.artifact_inputs:
        key, ref = next(iter(meta.artifact_inputs.items()))
        examples.append(f"{command} {key}={ref.split(':')[0]}:v1")
    if profiles:
        examples.append(f"{command} -r {next(iter(profiles))} -d")
    lines = Text("\n".join(e for e in examples if e), no_wrap=False)
    panels.append(_panel("Override examples", lines))
    return panels


class RecipeCommand(TyperCommand):
    """A Typer command whose ``--help`` adds the recipe's configs, profiles, inputs and examples."""

    recipe_script: ClassVar[Path | None] = None

    @classmethod
    def for_script(cls, script: str | Path) -> type[RecipeCommand]:
        """A subclass bound to ``script`` (Typer instantiates the class itself)."""
        name = f"RecipeCommand[{Path(script).name}]"
        return type(name, (cls,), {"recipe_script": Path(script)})

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        """Remember the raw arguments, so ``--help`` can find a recipe path among them."""
        ctx.meta[RAW_ARGS_KEY] = list(args)
        return super().parse_args(ctx, args)

    def _script(self, ctx: typer.Context) -> tuple[Path | None, str]:
        if self.recipe_script is not None:
            return self.recipe_script, ctx.command_path
        for arg in raw_args_of(ctx):
            if arg.endswith(".py") and Path(arg).is_file():
                return Path(arg), f"{ctx.command_path} {arg}"
        return None, f"{ctx.command_path} PATH"

    def format_help(self, ctx: typer.Context, formatter: Any) -> None:  # type: ignore[override]
        """Typer's rich help, then the recipe's panels (or a hint to name a recipe)."""
        super().format_help(ctx, formatter)
        console = make_console()
        script, command = self._script(ctx)
        if script is None:
            console.print(_panel("Recipe", Text(f"Name a recipe to see its configs: {command} --help")))
            return
        try:
            meta = RecipeMeta.from_script(script)
            from .._facade import Session

            env_file = env_file_of(ctx)
            session = Session(env_file, start=meta.runspec.script_path.parent)
            panels = recipe_help_panels(meta, session.env_file, command)
        except RunspecError as exc:
            console.print(_panel("Recipe", Text(f"cannot read {script}: {exc}")))
            return
        console.print(Group(*panels))
