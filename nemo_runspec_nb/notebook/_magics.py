"""IPython magics: ``%runspec``, ``%%recipe``, ``%jobs``, ``%artifacts``.

``%load_ext nemo_runspec_nb`` registers :class:`RunspecMagics`. Loading is
cheap: this module imports only IPython and traitlets; pandas, omegaconf,
ipywidgets and nemo-run are imported by the first magic that needs them.

Each magic parses its arguments, calls the Python API and returns a value.
Every :class:`~nemo_runspec_nb.errors.RunspecError` and every bad argument
reaches the user as IPython's :class:`~IPython.core.error.UsageError` (one
line, no traceback); anything else keeps its traceback.

Settings are traitlets, so ``%config RunspecMagics.profile = "local-slurm"``
works (also ``env_file``, ``artifacts_root``, ``overrides``, ``poll`` and ``tail``).
"""

from __future__ import annotations

import argparse
import functools
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class
from traitlets import Enum, Float, Int, Unicode, observe

from ..errors import RunspecError, did_you_mean

if TYPE_CHECKING:
    from .._facade import Recipe, Session

__all__ = ["RunspecMagics", "load_ipython_extension", "parse_magic_args"]

F = TypeVar("F", bound=Callable[..., Any])


class _ArgumentParser(argparse.ArgumentParser):
    """argparse that reports problems as ``UsageError`` instead of exiting."""

    def error(self, message: str) -> NoReturn:
        usage = " ".join(self.format_usage().split()[1:])
        raise UsageError(f"%{self.prog}: {message}. Usage: %{usage}")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        # -h/--help: print the help, then stop the magic without an error.
        if message:
            sys.stdout.write(message)
        raise _HelpShown


class _HelpShown(Exception):
    """``-h`` was given: the help text is printed, nothing else happens."""


def _runspec_parser() -> _ArgumentParser:
    p = _ArgumentParser(prog="runspec", description="Load a recipe (or list the recipes under a folder).")
    p.add_argument("path", nargs="?", help="a recipe script (or a folder: same as --list)")
    p.add_argument("--list", "-l", metavar="DIR", dest="list_dir", help="catalog of the recipes under DIR")
    return p


def _recipe_parser() -> _ArgumentParser:
    p = _ArgumentParser(
        prog="recipe",
        description="Compose a recipe with the cell's overrides; preview (-d) or launch it.",
        epilog="The cell body holds overrides: dotlist lines (a.b=1, +new=x, ++k=v, ~gone) "
        "or a YAML mapping; # comments are allowed.",
    )
    p.add_argument("path", help="the recipe script")
    p.add_argument("-c", "--config", help="a config name of the recipe (default: the runspec's default)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("-r", "--run", metavar="PROFILE", help="attached run on an env.toml profile")
    where.add_argument("-b", "--batch", metavar="PROFILE", help="detached (batch) run on an env.toml profile")
    p.add_argument("-d", "--dry-run", action="store_true", help="preview only: nothing is launched")
    p.add_argument(
        "--overrides",
        choices=("strict", "open"),
        help="open: overrides may add keys the YAML lacks (typos of existing keys still fail)",
    )
    p.add_argument("--name", metavar="VAR", help="also store the result in this variable")
    return p


def _jobs_parser() -> _ArgumentParser:
    p = _ArgumentParser(prog="jobs", description="The jobs launched from this project, newest first.")
    p.add_argument("--no-refresh", action="store_true", help="read the records only (no status queries)")
    p.add_argument("-n", "--limit", type=int, help="only the newest N jobs")
    return p


def _artifacts_parser() -> _ArgumentParser:
    p = _ArgumentParser(prog="artifacts", description="Artifact table, or the versions of NAME.")
    p.add_argument("name", nargs="?", help="an artifact name")
    p.add_argument("--lineage", metavar="VERSION", help="lineage of NAME at VERSION (e.g. 3 or latest)")
    p.add_argument("--browse", action="store_true", help="open the artifact browser widget")
    return p


def parse_magic_args(parser: argparse.ArgumentParser, line: str) -> argparse.Namespace:
    """Split ``line`` like a shell and parse it (errors -> ``UsageError``)."""
    try:
        argv = shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"%{parser.prog}: cannot split the arguments ({exc}). Check the quotes") from None
    return parser.parse_args(argv)


def _friendly(method: F) -> F:
    """RunspecError / missing files -> one-line UsageError; other errors keep their traceback."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except _HelpShown:
            return None
        except RunspecError as exc:
            raise UsageError(_one_line(exc)) from None

    return wrapper  # type: ignore[return-value]


def _one_line(exc: BaseException) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _unset_text(help: str) -> Any:
    """A text setting of ``%config RunspecMagics`` that is None until set."""
    return Unicode(None, allow_none=True, help=help).tag(config=True)


@magics_class
class RunspecMagics(Magics):
    """The ``nemo_runspec_nb`` magics and their settings (see ``%config RunspecMagics``)."""

    profile = _unset_text(
        "env.toml profile %%recipe uses when the cell gives neither -r nor -b (batch mode)."
    )
    env_file = _unset_text("The env.toml to use. Default: found next to the working dir or the recipe.")
    artifacts_root = _unset_text(
        "Artifact registry root (a path or fsspec URL). Default: env.toml [artifacts] or .nemotron."
    )
    overrides = Enum(
        ("strict", "open"),
        None,
        allow_none=True,
        help="Override mode of %%recipe when the cell gives no --overrides: 'open' lets overrides add "
        "keys the YAML lacks. Default: env.toml [config] overrides, else the recipe's, else strict.",
    ).tag(config=True)
    poll = Float(1.0, help="Seconds between status refreshes of the job monitor.").tag(config=True)
    tail = Int(30, help="Log lines the job monitor shows.").tag(config=True)

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell, **kwargs)
        self._sessions: dict[str, Session] = {}
        self._current: Session | None = None

    # -- sessions -------------------------------------------------------------------------------
    @observe("env_file", "artifacts_root")
    def _settings_changed(self, change: Any) -> None:
        self._sessions.clear()
        self._current = None

    def session(self, start: str | Path | None = None) -> Session:
        """The session for a recipe in ``start`` (or the working dir); one per env.toml, kept."""
        from .._facade import Session
        from ..config import find_env_file

        if self.env_file:
            env: Path | None = Path(self.env_file).expanduser().absolute()
        else:
            env = find_env_file()
            if env is None and start is not None:
                env = find_env_file(Path(start))
        key = str(env) if env is not None else f"cwd:{Path.cwd()}"
        if key not in self._sessions:
            self._sessions[key] = Session(env, artifacts_root=self.artifacts_root)
        self._current = self._sessions[key]
        return self._current

    def current_session(self) -> Session:
        """The session of the last recipe used (else the working dir's)."""
        return self._current if self._current is not None else self.session()

    def recipe(self, path: str) -> Recipe:
        """Load the recipe at ``path`` with the session that fits it."""
        from .._facade import Recipe

        script = Path(path).expanduser()
        if not script.is_file():
            raise UsageError(_missing_recipe(script))
        return Recipe(script, session=self.session(script.absolute().parent))

    # -- %runspec -------------------------------------------------------------------------------
    @line_magic
    @_friendly
    def runspec(self, line: str) -> Any:
        """Show a recipe's card and return the ``Recipe``; ``--list DIR``: the catalog DataFrame.

        Usage: ``%runspec PATH`` | ``%runspec --list DIR``
        """
        args = parse_magic_args(_runspec_parser(), line)
        if args.list_dir is not None or (args.path and Path(args.path).is_dir()):
            from .._facade import catalog

            root = Path(args.list_dir if args.list_dir is not None else args.path)
            if not root.is_dir():
                raise UsageError(
                    f"%runspec --list: {root} is not a folder. Give the folder holding the recipes"
                )
            return catalog(root)
        if not args.path:
            raise UsageError(
                "%runspec: give a recipe script (%runspec PATH) or a folder (%runspec --list DIR)"
            )
        return self.recipe(args.path)

    # -- %%recipe -------------------------------------------------------------------------------
    @line_cell_magic("recipe")  # type: ignore[arg-type]
    @_friendly
    def recipe_cell(self, line: str, cell: str | None = None) -> Any:
        """Compose a recipe with the cell's overrides; ``-d`` previews, otherwise it launches.

        Usage: ``%%recipe PATH [-c CONFIG] [-r PROFILE | -b PROFILE] [-d] [--overrides MODE] [--name VAR]``
        (``%recipe ...`` on one line: no overrides).
        """
        args = parse_magic_args(_recipe_parser(), line)
        if args.name is not None and not args.name.isidentifier():
            raise UsageError(f"%%recipe --name: {args.name!r} is not a valid Python variable name")
        recipe = self.recipe(args.path)
        profile, mode = None, "local"
        if args.run:
            profile, mode = args.run, "run"
        elif args.batch:
            profile, mode = args.batch, "batch"
        elif self.profile:
            profile, mode = self.profile, "batch"
        job = recipe.compose(
            args.config,
            cell or "",
            profile,
            mode,
            source="cell",
            argv=shlex.split(line),
            override_mode=args.overrides or self.overrides,
        )
        if args.dry_run:
            result: Any = job
        elif mode == "run":
            result = job.launch(detach=False, on_output=_write_out)
        else:
            result = job.launch()
        if args.name:
            assert self.shell is not None
            self.shell.user_ns[args.name] = result
        return result

    # -- %jobs / %artifacts ---------------------------------------------------------------------
    @line_magic
    @_friendly
    def jobs(self, line: str) -> Any:
        """The jobs launched from this project, newest first (a DataFrame).

        Usage: ``%jobs [--no-refresh] [-n N]``
        """
        args = parse_magic_args(_jobs_parser(), line)
        frame = self.current_session().jobs(refresh=not args.no_refresh)
        return frame.head(args.limit) if args.limit is not None else frame

    @line_magic
    @_friendly
    def artifacts(self, line: str) -> Any:
        """The artifact table; with NAME its versions; ``--lineage V`` its lineage; ``--browse`` a widget.

        Usage: ``%artifacts [NAME] [--lineage VERSION] [--browse]``
        """
        from ..artifacts import lineage, table, versions

        args = parse_magic_args(_artifacts_parser(), line)
        registry = self.current_session().registry()
        if args.browse:
            from ._browser import ArtifactBrowser

            return ArtifactBrowser(registry, name=args.name)
        if args.lineage is not None:
            if not args.name:
                raise UsageError(
                    "%artifacts --lineage: give the artifact name too (%artifacts NAME --lineage 3)"
                )
            version: Any = args.lineage.lstrip("v")
            version = int(version) if version.isdigit() else args.lineage
            return lineage(args.name, version, registry)
        if args.name:
            return versions(args.name, registry)
        return table(registry)


def _write_out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _missing_recipe(script: Path) -> str:
    folder = script.parent if str(script.parent) else Path(".")
    hint = ""
    if folder.is_dir():
        hint = did_you_mean(script.name, [p.name for p in folder.iterdir() if p.suffix == ".py"])
        if hint:
            hint = " " + hint
    else:
        hint = f" (the folder {folder} does not exist either)"
    where = f"working dir: {Path.cwd()}"
    return f"recipe script {script} not found ({where}).{hint} List recipes with %runspec --list DIR"


def load_ipython_extension(ipython: Any) -> None:
    """Register the magics and the notebook displays of job handles."""
    magics = RunspecMagics(ipython)
    ipython.register_magics(magics)
    from ._reprs import register_displays

    register_displays(ipython, magics)
