"""Exit codes of recipe CLIs and the Typer group that maps errors onto them.

=====  ===============================================================
code   meaning
=====  ===============================================================
0      success
1      the job failed (or was cancelled, or did not finish)
2      bad input: every :class:`~nemo_runspec_nb.errors.RunspecError`
       and every bad flag; one line on stderr, no traceback
=====  ===============================================================

Bugs (any other exception) keep their traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from enum import IntEnum
from typing import Any

import typer
from typer.core import TyperGroup
from typer.exceptions import TyperException

from ..errors import RunspecError
from ._console import error_line

__all__ = ["ExitCode", "RecipeGroup"]


class ExitCode(IntEnum):
    """What a recipe CLI's exit status means."""

    OK = 0
    JOB_FAILED = 1
    BAD_INPUT = 2


class RecipeGroup(TyperGroup):
    """A Typer group whose errors end as one ``error: ...`` line and an :class:`ExitCode`.

    ``RunspecError`` (from any layer) and click usage errors (unknown option,
    missing argument) exit with 2; ``KeyboardInterrupt`` with 130.
    """

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the CLI; with ``standalone_mode`` (the default) exit with an :class:`ExitCode`."""
        try:
            result = super().main(
                args=args, prog_name=prog_name, complete_var=complete_var, standalone_mode=False, **extra
            )
        except RunspecError as exc:
            if not standalone_mode:
                raise
            error_line(str(exc))
            sys.exit(ExitCode.BAD_INPUT)
        except TyperException as exc:  # click's usage errors (Typer vendors click)
            if not standalone_mode:
                raise
            code = int(getattr(exc, "exit_code", ExitCode.BAD_INPUT))
            if type(exc).__name__ != "NoArgsIsHelpError":  # that one has printed the help already
                error_line(_click_message(exc))
            sys.exit(code)
        except typer.Abort:
            if not standalone_mode:
                raise
            error_line("aborted")
            sys.exit(ExitCode.JOB_FAILED)
        if not standalone_mode:
            return result
        sys.exit(result if isinstance(result, int) else ExitCode.OK)


def _click_message(exc: TyperException) -> str:
    message = exc.format_message()
    ctx: typer.Context | None = getattr(exc, "ctx", None)
    where = f"{ctx.command_path} --help" if ctx is not None else "--help"
    return f"{message.rstrip('.')}. Try '{where}'"
