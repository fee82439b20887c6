"""The options every recipe command shares, as a plain dataclass (no typer needed).

The CLI's Typer callback fills a :class:`GlobalContext`; the notebook builds
one directly. :func:`split_unknown_args` sorts the extra tokens of a command
line: global options given after the subcommand, ``key=value`` overrides (and
``~key`` deletions), and everything else, passed through to the script.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from ..errors import ConfigError
from ..runspec._models import OverrideMode

__all__ = ["GlobalContext", "Mode", "split_unknown_args"]

Mode = Literal["local", "run", "batch"]

_VALUE_OPTIONS = {
    "-c": "config",
    "--config": "config",
    "-r": "run",
    "--run": "run",
    "-b": "batch",
    "--batch": "batch",
    "--overrides": "overrides",
}
_FLAG_OPTIONS = {
    "-d": "dry_run",
    "--dry-run": "dry_run",
    "--stage": "stage",
    "--force-squash": "force_squash",
}
_DELETE_TOKEN = re.compile(r"^~[^\s=~+][^\s=]*(=.*)?$", re.S)


@dataclass
class GlobalContext:
    """Global options of a recipe command.

    Attributes:
        config: config name (looked up in the recipe's config dir) or path (``-c/--config``).
        run: env profile for attached execution (``-r/--run``).
        batch: env profile for detached execution (``-b/--batch``).
        dry_run: compose and show the job, do not launch (``-d/--dry-run``).
        stage: stage script and config on the cluster without running (``--stage``).
        force_squash: re-squash the container image even if it exists (``--force-squash``).
        dotlist: overrides (``key.sub=value``, ``+key=v``, ``++key=v``, ``~key``).
        passthrough: other arguments, passed to the script unchanged.
        overrides: override mode for this run, ``"strict"`` or ``"open"`` (``--overrides``);
            None: env.toml ``[config] overrides``, else the recipe's, else strict.

    """

    config: str | None = None
    run: str | None = None
    batch: str | None = None
    dry_run: bool = False
    stage: bool = False
    force_squash: bool = False
    dotlist: list[str] = field(default_factory=list)
    passthrough: list[str] = field(default_factory=list)
    overrides: OverrideMode | None = None

    @property
    def mode(self) -> Mode:
        """``"run"`` with ``--run``, ``"batch"`` with ``--batch``, else ``"local"``."""
        if self.run:
            return "run"
        if self.batch:
            return "batch"
        return "local"

    @property
    def profile(self) -> str | None:
        """The env profile named by ``--run`` or ``--batch`` (None for a local run)."""
        return self.run or self.batch


def _is_override(token: str) -> bool:
    if token.startswith("~"):
        return bool(_DELETE_TOKEN.match(token))
    return "=" in token and not token.startswith("-")


def split_unknown_args(
    args: Sequence[str], global_ctx: GlobalContext | None = None
) -> tuple[list[str], list[str], GlobalContext]:
    """Split extra command-line tokens into ``(dotlist, passthrough, context)``.

    Global options that appear after the subcommand (``-c NAME``, ``--run=PROFILE``,
    ``-d`` ...) update a copy of ``global_ctx``; ``key=value`` tokens not starting
    with ``-`` (and ``~key`` deletions) are overrides; everything else is passed
    through. The returned context's ``dotlist``/``passthrough`` are extended with
    what was found; ``global_ctx`` itself is not modified.

    Raises:
        ConfigError: a value option at the end with no value, or both ``--run`` and ``--batch``.

    """
    ctx = dataclasses.replace(
        global_ctx or GlobalContext(),
        dotlist=list(global_ctx.dotlist) if global_ctx else [],
        passthrough=list(global_ctx.passthrough) if global_ctx else [],
    )
    dotlist: list[str] = []
    passthrough: list[str] = []
    i = 0
    while i < len(args):
        token = args[i]
        name, eq, inline = token.partition("=")
        if token in _FLAG_OPTIONS:
            setattr(ctx, _FLAG_OPTIONS[token], True)
        elif token in _VALUE_OPTIONS:
            if i + 1 >= len(args):
                raise ConfigError(f"option {token} needs a value", key=token, hint=f"Write {token} NAME")
            setattr(ctx, _VALUE_OPTIONS[token], args[i + 1])
            i += 1
        elif eq and name in _VALUE_OPTIONS:
            setattr(ctx, _VALUE_OPTIONS[name], inline)
        elif _is_override(token):
            dotlist.append(token)
        else:
            passthrough.append(token)
        i += 1
    if ctx.run and ctx.batch:
        raise ConfigError(
            f"--run {ctx.run} and --batch {ctx.batch} cannot both be given",
            key="--run/--batch",
            hint="Use --run for an attached run or --batch for a detached one",
        )
    ctx.dotlist.extend(dotlist)
    ctx.passthrough.extend(passthrough)
    return dotlist, passthrough, ctx
