"""Rich consoles for the CLI: colour on a terminal, plain text when piped.

Consoles are made per call (never module globals), so they write to whatever
``sys.stdout``/``sys.stderr`` is current, which is what ``CliRunner`` captures.
The width follows ``TERMINAL_WIDTH`` (as Typer's help does), else ``COLUMNS``,
else the terminal.
"""

from __future__ import annotations

import os

from rich.console import Console

__all__ = ["error_line", "make_console"]


def make_console(*, stderr: bool = False) -> Console:
    """A console on stdout (or stderr); no colour codes unless it is a terminal."""
    width = os.environ.get("TERMINAL_WIDTH")
    return Console(stderr=stderr, width=int(width) if width and width.isdigit() else None)


def error_line(message: str) -> None:
    """Print ``error: MESSAGE`` to stderr as one line (never wrapped, no markup)."""
    console = make_console(stderr=True)
    text = " ".join(message.split())
    console.print(f"error: {text}", style="bold red", markup=False, highlight=False, soft_wrap=True)
