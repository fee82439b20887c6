"""Rich renderables for recipe CLIs: dry-run view, submission and completion panels, tables.

Functions here build renderables (only ``print_*`` print, to the console they
are given), so a caller picks the console and a test renders them at a fixed width. Values come from the
facade already redacted (provenance, preview), so secrets never reach them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console, RenderableType
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

if TYPE_CHECKING:
    import pandas as pd

    from .._facade import ComposedJob, Preview
    from ..launch import JobHandle, JobState
    from ._recipe_config import RecipeMeta

__all__ = [
    "completion_panel",
    "config_tree",
    "dry_run_view",
    "frame_table",
    "print_dry_run",
    "recipe_panel",
    "staged_panel",
    "submission_panel",
]

_BORDER = "dim"


def _grid(rows: Iterable[tuple[str, RenderableType | str]]) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for key, value in rows:
        grid.add_row(key, Text(value) if isinstance(value, str) else value)
    return grid


def _where(job: ComposedJob) -> str:
    if not job.profile:
        return "this machine (no profile)"
    executor = str(job.execution.get("executor", "local"))
    return f"profile {job.profile} ({executor})"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)  # None or NaN


def config_tree(provenance: pd.DataFrame, title: str = "config") -> Tree:
    """The job config as a tree; each leaf shows its value and the layer that set it (dim).

    A key an override added (not in the YAML) also shows its note, in yellow.
    """
    root = Tree(Text(title, style="bold"), guide_style=_BORDER)
    branches: dict[tuple[str, ...], Tree] = {(): root}
    notes = provenance["note"] if "note" in provenance.columns else [""] * len(provenance)
    rows = zip(provenance["key"], provenance["value"], provenance["source"], notes, strict=True)
    for key, value, source, note in rows:
        parts = tuple(str(key).split("."))
        for depth in range(1, len(parts)):
            prefix = parts[:depth]
            if prefix not in branches:
                branches[prefix] = branches[prefix[:-1]].add(Text(prefix[-1], style="bold"))
        leaf = Text(f"{parts[-1]}: ")
        leaf.append("null" if _missing(value) else str(value), style="cyan")
        leaf.append(f"  ({source})", style=_BORDER)
        if note:
            leaf.append(f"  {note}", style="yellow")
        branches[parts[:-1]].add(leaf)
    return root


def dry_run_view(job: ComposedJob, preview: Preview) -> list[RenderableType]:
    """What a launch would do: where, the config tree, the script (and per-node command), the env.

    Print the parts with :func:`print_dry_run`, which keeps the script's lines whole.
    """
    header = _grid(
        [
            ("recipe", f"{job.recipe.name} ({job.runspec.script_path})"),
            ("config", str(job.config_path)),
            ("mode", job.mode),
            ("where", _where(job)),
            ("job dir", f"{preview.job_dir} (not created)"),
        ]
    )
    parts: list[RenderableType] = [
        Panel(header, title="Dry run: nothing launched", title_align="left", border_style=_BORDER)
    ]
    parts += [Text(f"note: {note}", style="yellow") for note in preview.notes]
    parts.append(config_tree(preview.provenance, "job config (value, source)"))
    title = "sbatch script" if preview.script_kind == "sbatch" else "command (run.sh)"
    parts.append(Rule(title, align="left", style=_BORDER))
    parts.append(_Script(preview.script.rstrip()))
    if preview.command:
        from .._facade import PER_NODE_COMMAND

        parts.append(Rule(PER_NODE_COMMAND, align="left", style=_BORDER))
        parts.append(_Script(preview.command.rstrip()))
    parts.append(Rule("environment (secrets masked)", align="left", style=_BORDER))
    parts.append(_Script("\n".join(f"{k}={v}" for k, v in sorted(preview.env.items())) or "(none)"))
    return parts


class _Script(str):
    """Script or env text: printed with whole lines (never wrapped or cropped) so it can be copied."""


def print_dry_run(console: Console, job: ComposedJob, preview: Preview) -> None:
    """Print :func:`dry_run_view` to ``console``."""
    for part in dry_run_view(job, preview):
        if isinstance(part, _Script):
            console.print(str(part), markup=False, highlight=False, soft_wrap=True)
        else:
            console.print(part)


def submission_panel(job: ComposedJob, handle: JobHandle, artifact_store: str) -> Panel:
    """Submitted: job id, mode, where, the configs written, the artifact store, how to follow it."""
    job_dir = handle.job_dir
    rows: list[tuple[str, RenderableType | str]] = [
        ("job", job_dir.name),
        ("job id", handle.job_id or "-"),
        ("mode", job.mode),
        ("where", _where(job)),
        ("configs", f"{job_dir / 'job.yaml'}\n{job_dir / 'train.yaml'}"),
        ("artifacts", artifact_store),
        ("logs", f"runspec logs {job_dir.name} --follow"),
    ]
    return Panel(_grid(rows), title=f"Submitted {job.recipe.name}", title_align="left", border_style="green")


def staged_panel(job: ComposedJob, written: Sequence[Path]) -> Panel:
    """Staged: the job dir and files written; nothing was submitted."""
    rows = [
        ("job dir", str(job.job_dir)),
        ("written", "\n".join(str(p) for p in written)),
        ("where", _where(job)),
        ("next", f"runspec run {job.runspec.script_path} --{job.mode} {job.profile}"),
    ]
    return Panel(_grid(rows), title=f"Staged {job.recipe.name} (not submitted)", title_align="left")


def completion_panel(
    handle: JobHandle,
    state: JobState,
    *,
    elapsed: float | None = None,
    published: Sequence[str] = (),
) -> Panel:
    """Finished (or stopped waiting): status, exit code, time, job dir, artifacts it published."""
    ok = state.status.value == "SUCCEEDED"
    rows: list[tuple[str, RenderableType | str]] = [
        ("status", Text(state.status.value, style="bold green" if ok else "bold red")),
        ("exit code", "-" if state.exit_code is None else str(state.exit_code)),
    ]
    if elapsed is not None:
        rows.append(("time", f"{elapsed:.1f}s"))
    rows.append(("job dir", str(handle.job_dir)))
    if published:
        rows.append(("published", "\n".join(published)))
    if state.detail:
        rows.append(("detail", state.detail))
    if not ok:
        rows.append(("logs", f"runspec logs {handle.job_dir.name}"))
    outcome = state.status.value.lower() if state.done else "still running"
    title = f"{handle.name or handle.job_dir.name}: {outcome}"
    return Panel(_grid(rows), title=title, title_align="left", border_style="green" if ok else "red")


def _cell(value: Any) -> str:
    try:
        import pandas as pd

        if value is None or (not isinstance(value, list | tuple | dict) and pd.isna(value)):
            return "-"
    except (TypeError, ValueError):
        pass
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "-"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an int column with gaps comes back as floats
    if hasattr(value, "strftime"):
        return str(value.strftime("%Y-%m-%d %H:%M:%S"))
    return str(value)


def frame_table(
    frame: pd.DataFrame,
    columns: Sequence[str],
    *,
    title: str | None = None,
    rename: Mapping[str, str] | None = None,
) -> Table:
    """A DataFrame's chosen columns as a rich table (missing values as ``-``)."""
    rename = rename or {}
    table = Table(title=title, title_justify="left", box=None, header_style="bold", pad_edge=False)
    for column in columns:
        table.add_column(rename.get(column, column), overflow="fold")
    for row in frame[list(columns)].itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    return table


def recipe_panel(meta: RecipeMeta, profiles: Mapping[str, str], env_file: Path | None) -> Panel:
    """``runspec show``: the runspec fields, configs, artifact inputs and the profiles it can use."""
    spec = meta.runspec
    configs = ", ".join(f"{c} (default)" if c == meta.default_config else c for c in meta.configs)
    rows: list[tuple[str, RenderableType | str]] = [
        ("name", meta.name),
        ("script", str(spec.script_path)),
        ("image", spec.image or "(none: runs in the current environment)"),
        ("launch", spec.run.launch),
        ("resources", f"{spec.resources.nodes} node(s) x {spec.resources.gpus_per_node} GPU(s)"),
        ("config dir", str(spec.config_dir)),
        ("configs", configs or "(none found)"),
    ]
    if meta.artifact_inputs:
        rows.append(("inputs", "\n".join(f"{k} = {v}" for k, v in meta.artifact_inputs.items())))
    if spec.env:
        rows.append(("env", ", ".join(f"{k}={v}" for k, v in spec.env.items())))
    if env_file is None:
        rows.append(("profiles", "(no env.toml found: runs on this machine)"))
    else:
        table = Table.grid(padding=(0, 2))
        table.add_column(no_wrap=True)
        table.add_column()
        for profile, summary in profiles.items():
            table.add_row(profile, summary)
        rows.append(("profiles", table if profiles else "(none)"))
        rows.append(("env.toml", str(env_file)))
    if spec.docs:
        rows.append(("docs", spec.docs))
    return Panel(_grid(rows), title=meta.name, title_align="left", border_style=_BORDER)
