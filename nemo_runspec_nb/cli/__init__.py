"""The CLI toolkit (Typer + rich) and the ``runspec`` command built with it.

Build your own recipe CLI with :class:`RecipeTyper`; see docs/cli.md. The
``runspec`` app itself lives in :mod:`nemo_runspec_nb.cli.app`. Only this
package imports typer; everything it runs goes through the facade (:class:`nemo_runspec_nb.Recipe`).
"""

from __future__ import annotations

from .console import make_console
from .context import command_context, global_options
from .exit_codes import ExitCode, RecipeGroup
from .help import RecipeCommand
from .recipe_config import RecipeConfig, RecipeMeta
from .recipe_typer import RecipeTyper
from .run_recipe import run_recipe

__all__ = [
    "ExitCode",
    "RecipeCommand",
    "RecipeConfig",
    "RecipeGroup",
    "RecipeMeta",
    "RecipeTyper",
    "command_context",
    "global_options",
    "make_console",
    "run_recipe",
]
