"""The CLI toolkit (Typer + rich) and the ``runspec`` command built with it.

Build your own recipe CLI with :class:`RecipeTyper`; see docs/cli.md. The
``runspec`` app itself is :data:`app` (console script: :func:`main`). Only this
package imports typer; everything it runs goes through the facade (:class:`nemo_runspec_nb.Recipe`).
"""

from __future__ import annotations

from .._exports import publish as _publish
from ._app import app, main
from ._console import make_console
from ._context import command_context, global_options
from ._exit_codes import ExitCode, RecipeGroup
from ._help import RecipeCommand
from ._recipe_config import RecipeConfig, RecipeMeta
from ._recipe_typer import RecipeTyper
from ._run_recipe import run_recipe

__all__ = [
    "ExitCode",
    "RecipeCommand",
    "RecipeConfig",
    "RecipeGroup",
    "RecipeMeta",
    "RecipeTyper",
    "app",
    "command_context",
    "global_options",
    "main",
    "make_console",
    "run_recipe",
]

_publish(globals())
