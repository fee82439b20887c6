"""The ``runspec`` command: show, list, run recipes; watch jobs; browse artifacts and profiles.

A thin front end over the facade (:class:`nemo_runspec_nb.Recipe`), built with the same
toolkit users build their own recipe CLIs with (:class:`RecipeTyper`).
Exit codes: 0 success, 1 the job failed, 2 bad input (see :class:`ExitCode`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import ConfigError
from ._console import make_console
from ._context import env_file_of, launch_options
from ._display import frame_table, recipe_panel
from ._exit_codes import ExitCode
from ._help import RecipeCommand, profile_summaries
from ._job_lookup import find_job_dir
from ._recipe_config import RecipeMeta
from ._recipe_typer import EXTRA_ARGS, RecipeTyper, launch_from_cli

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console
    from rich.table import Table

    from .._facade import Session
    from ..launch import JobHandle

__all__ = ["app", "main"]

app = RecipeTyper(
    name="runspec",
    help=(
        "Launch recipe scripts (PEP 723 \\[tool.runspec] blocks) here or on Slurm; "
        "watch their jobs and artifacts."
    ),
)

_RECIPES = "Recipes"
_JOBS = "Jobs"
_STORE = "Artifacts and profiles"


def _session(ctx: typer.Context, start: Path | None = None) -> Session:
    from .._facade import Session

    return Session(env_file_of(ctx), start=start)


@app.command(rich_help_panel=_RECIPES)
def show(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A recipe script.", metavar="PATH", show_default=False)],
) -> None:
    """Show a recipe: its runspec, configs, artifact inputs and the profiles it can use."""
    if not path.is_file():
        raise ConfigError(
            f"recipe script not found: {path}", path=path, hint="Give the path of a recipe .py file"
        )
    meta = RecipeMeta.from_script(path)
    session = _session(ctx, meta.runspec.script_path.parent)
    make_console().print(recipe_panel(meta, profile_summaries(session.env_file), session.env_file))


@app.command("list", rich_help_panel=_RECIPES)
def list_recipes(
    directory: Annotated[
        Path, typer.Argument(help="Folder to search.", metavar="DIR", show_default=False)
    ] = Path("."),
) -> None:
    """List the recipes under a folder (default: the current one)."""
    from .._facade import catalog

    if not directory.is_dir():
        raise ConfigError(
            f"not a folder: {directory}", path=directory, hint="Give a folder that holds recipes"
        )
    frame = catalog(directory)
    console = make_console()
    if frame.empty:
        _line(console, f"No recipes under {directory}.")
    else:
        frame["path"] = [_relative(p, directory) for p in frame["path"]]
        console.print(
            frame_table(
                frame,
                ["name", "path", "launch", "nodes", "gpus_per_node", "configs"],
                rename={"gpus_per_node": "gpus"},
            )
        )
    errors = frame.attrs.get("errors", [])
    for error in errors:
        _line(make_console(stderr=True), f"skipped: {error}")


def _line(console: Console, text: str) -> None:
    """One line of plain text: no markup, no highlighting, never wrapped (paths stay whole)."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def _relative(path: object, root: Path) -> str:
    try:
        return str(Path(str(path)).resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


@app.command(cls=RecipeCommand, context_settings=EXTRA_ARGS, rich_help_panel=_RECIPES)
@launch_options
def run(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="The recipe script.", metavar="PATH", show_default=False)],
    **options: Any,
) -> None:
    """Run a recipe: here by default, attached with -r PROFILE, detached with -b PROFILE.

    Extra key=value arguments override the config (+key=v adds, ~key deletes);
    anything else is passed to the script.
    """
    if str(path).startswith("-"):
        raise ConfigError(
            f"no such option: {path}",
            key=str(path),
            hint="Write the recipe path first (runspec run PATH [OPTIONS] [key=value ...])",
        )
    launch_from_cli(ctx, path, None, **options)


@app.command(rich_help_panel=_JOBS)
def jobs(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", "-n", help="Show at most N jobs (newest first).")] = 20,
) -> None:
    """List launched jobs, newest first, with their current status."""
    session = _session(ctx)
    frame = session.jobs()
    console = make_console()
    if frame.empty:
        _line(console, f"No jobs in {session.jobs_dir}.")
        return
    frame = frame.head(limit).copy()
    frame["job"] = [Path(p).name for p in frame["job_dir"]]
    columns = ["job", "name", "status", "exit_code", "executor", "mode", "job_id"]
    if frame["reason"].fillna("").astype(bool).any():  # why a job failed, or what is wrong with its record
        pairs = zip(frame["reason"], frame["job_dir"], strict=True)
        frame["reason"] = [str(reason).replace(f"{job_dir}/", "") for reason, job_dir in pairs]
        columns.append("reason")
    console.print(frame_table(frame, columns, rename={"name": "recipe", "exit_code": "exit"}))


def _handle(ctx: typer.Context, job: str) -> JobHandle:
    from ..launch import JobHandle

    return JobHandle.from_job_dir(find_job_dir(job, _session(ctx).jobs_dir))


JobArgument = Annotated[
    str,
    typer.Argument(
        help="Job dir, its name, a unique prefix of it, or a recipe name (newest job).", metavar="JOB"
    ),
]


@app.command(rich_help_panel=_JOBS)
def logs(
    ctx: typer.Context,
    job: JobArgument,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing until the job ends.")] = False,
    tail: Annotated[int | None, typer.Option("--tail", help="Only the last N lines.")] = None,
    poll: Annotated[float, typer.Option(help="Seconds between checks with --follow.", hidden=True)] = 0.5,
) -> None:
    """Print a job's log; with --follow, until it ends (exit 1 if it failed)."""
    from ..launch import LogFollower

    handle = _handle(ctx, job)
    console = make_console()
    # A Slurm job's sbatch output (set -x noise) only when the job ended without a log of its own.
    follower = LogFollower(handle, sbatch_fallback=True)
    if not follow or tail is not None:
        text = handle.logs(tail=tail)
        console.out(text, end="", highlight=False)
        if not follow:
            if not text:
                _line(make_console(stderr=True), f"{handle.job_dir.name}: no output yet ({handle.status()})")
            return
        follower.skip_existing()
    state = handle.wait(
        poll=poll, on_output=lambda new: console.out(new, end="", highlight=False), follower=follower
    )
    why = f" ({state.detail})" if state.detail and state.status.value != "SUCCEEDED" else ""
    _line(make_console(stderr=True), f"{handle.job_dir.name}: {state}{why}")
    if state.status.value != "SUCCEEDED":
        raise typer.Exit(int(ExitCode.JOB_FAILED))


@app.command(rich_help_panel=_JOBS)
def cancel(ctx: typer.Context, job: JobArgument) -> None:
    """Cancel a job (scancel on Slurm, SIGTERM then SIGKILL locally)."""
    handle = _handle(ctx, job)
    state = handle.cancel()
    _line(make_console(), f"{handle.job_dir.name}: {state}")


@app.command(rich_help_panel=_STORE)
def artifacts(
    ctx: typer.Context,
    name: Annotated[
        str | None, typer.Argument(help="An artifact: list its versions.", metavar="NAME", show_default=False)
    ] = None,
) -> None:
    """List the artifacts in the store, or the versions of one."""
    from ..artifacts import table, versions

    registry = _session(ctx).registry()
    console = make_console()
    if name is None:
        frame = table(registry)
        if frame.empty:
            _line(console, f"No artifacts in {registry.root}.")
            return
        columns = ["name", "latest", "versions", "type", "created_at", "producer", "status"]
        console.print(frame_table(frame, columns))
        _problems(console, frame, "name")
        return
    frame = versions(name, registry)
    columns = ["version", "aliases", "type", "created_at", "producer", "path", "status"]
    console.print(frame_table(frame, columns, title=name))
    _problems(console, frame, "version")


def _problems(console: Console, frame: pd.DataFrame, label: str) -> None:
    """One line per damaged row under an artifact table: which file, and what is wrong with it."""
    import pandas as pd

    damaged = frame[frame["status"] != "OK"]
    for key, problem in damaged[[label, "problem"]].itertuples(index=False):
        where = "-" if pd.isna(key) else (f"v{key}" if label == "version" else str(key))
        _line(console, f"{where}: {problem}")


@app.command(rich_help_panel=_STORE)
def profiles(ctx: typer.Context) -> None:
    """List the execution profiles of env.toml."""
    session = _session(ctx)
    console = make_console()
    if session.env_file is None:
        _line(console, "No env.toml found (give --env-file or set NEMOTRON_ENV_FILE): jobs run here.")
        return
    _line(console, str(session.env_file))
    console.print(_profile_table(profile_summaries(session.env_file)))


def _profile_table(pairs: dict[str, str]) -> Table:
    from rich.table import Table

    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("profile", style="bold cyan", no_wrap=True)
    table.add_column("settings", overflow="fold")
    for key, value in pairs.items():
        table.add_row(key, value)
    return table


def main() -> None:
    """Entry point of the ``runspec`` console script."""
    app()
