"""Carry out a :class:`RecipeConfig`: dry run, stage, or launch and (attached) wait.

Local runs (no profile) and ``--run PROFILE`` wait for the job, streaming its
log; ``--batch PROFILE`` submits and returns. On a terminal a progress bar
shows the files the profile's packager packs and a spinner the submission and
the wait; piped output is plain.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from rich.console import Console

from ..errors import RunspecError
from ._console import make_console
from ._display import completion_panel, print_dry_run, staged_panel, submission_panel
from ._exit_codes import ExitCode
from ._recipe_config import RecipeConfig

if TYPE_CHECKING:
    from .._facade import ComposedJob

__all__ = ["run_recipe"]


@contextlib.contextmanager
def _spinner(console: Console, message: str) -> Iterator[None]:
    if console.is_terminal:
        with console.status(message):
            yield
    else:
        yield


@contextlib.contextmanager
def _packaging_progress(console: Console, name: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar for the files the profile's packager packs (terminal only), then a spinner."""
    if not console.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with (
        Progress(
            TextColumn(f"packaging {name}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=True,
        ) as bar,
        console.status(f"submitting {name}..."),
    ):
        task = bar.add_task("files", total=None)

        def report(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield report


def run_recipe(cfg: RecipeConfig, *, console: Console | None = None, poll: float = 0.5) -> ExitCode:
    """Compose ``cfg`` and do what it asks; return the exit code (never exits itself).

    Raises:
        RunspecError: bad recipe, config, override or profile, or a refused launch.

    """
    from ..launch import LogFollower

    console = console or make_console()
    job = cfg.compose()
    explicit = cfg.argv[cfg.argv.index("--") + 1 :] if "--" in cfg.argv else ()
    _check_passthrough(job, [t for t in cfg.passthrough if t not in explicit])
    if cfg.dry_run:
        print_dry_run(console, job, job.preview())
        return ExitCode.OK
    if cfg.force_squash:
        console.print(
            "note: --force-squash has no effect with this launcher yet", style="yellow", soft_wrap=True
        )
    if cfg.stage:
        written = job.save()
        console.print(staged_panel(job, written))
        return ExitCode.OK

    store = job.recipe.session.registry().root
    started = time.monotonic()
    with _packaging_progress(console, job.recipe.name) as progress:
        handle = job.launch(detach=True, progress=progress)
    console.print(submission_panel(job, handle, store))
    if cfg.mode == "batch":
        return ExitCode.OK

    def show(text: str) -> None:
        console.out(text, end="", highlight=False)

    try:
        with _spinner(console, f"waiting for {handle.job_dir.name} (Ctrl-C detaches)..."):
            # Text as it comes (no line buffering); the sbatch output only if the job left no log.
            state = handle.wait(poll=poll, on_output=show, follower=LogFollower(handle, sbatch_fallback=True))
    except KeyboardInterrupt:
        message = f"detached; the job keeps running. Stop it: runspec cancel {handle.job_dir.name}"
        console.print(message, markup=False, highlight=False, soft_wrap=True)
        raise
    published = _published(job, handle.job_dir.name)
    console.print(completion_panel(handle, state, elapsed=time.monotonic() - started, published=published))
    return ExitCode.OK if state.status.value == "SUCCEEDED" else ExitCode.JOB_FAILED


def _check_passthrough(job: ComposedJob, passthrough: list[str]) -> None:
    """A bare ``model.lr`` (a config key without ``=value``) is a mistyped override, not an argument."""
    from omegaconf import OmegaConf

    from ..errors import OverrideError

    for token in passthrough:
        if token.startswith("-") or not token.replace(".", "").replace("_", "").isalnum():
            continue
        if OmegaConf.select(job.job_config, token, default=None, throw_on_missing=False) is not None:
            raise OverrideError(
                f"'{token}' names a config key but has no value",
                key=token,
                hint=f"Write {token}=VALUE to override it (or pass it after -- to hand it to the script)",
            )


def _published(job: ComposedJob, job_dir_name: str) -> list[str]:
    """``name:vN`` of the artifacts this job published (by the producer its environment set)."""
    from ..artifacts import table, versions

    recipe = job.recipe
    producer = f"{recipe.name}@{job_dir_name}"
    registry = recipe.session.registry()
    try:
        names = [n for n, p in table(registry)[["name", "producer"]].itertuples(index=False) if p == producer]
        found = []
        for name in names:
            frame = versions(name, registry)
            rows = frame[frame["producer"] == producer]
            found += [f"{name}:v{v}" for v in rows["version"]]
        return found
    except RunspecError:
        return []
