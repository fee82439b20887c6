"""Renderables of cli/display.py at a fixed width (rich's own style: Console(file=StringIO()))."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
from rich.console import Console

from nemo_runspec_nb.cli._display import completion_panel, config_tree, frame_table, submission_panel
from nemo_runspec_nb.launch import JobState, JobStatus
from nemo_runspec_nb.testing import FakeJob

HANDLE: Any = FakeJob(job_dir=Path("/jobs/20260101-000000-tiny-train"), name="tiny/train", job_id="42")


def render(renderable: Any, width: int = 70) -> str:
    console = Console(file=io.StringIO(), width=width)
    console.print(renderable)
    text = console.file.getvalue()
    assert "\x1b[" not in text
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def expected(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def test_config_tree_shows_each_key_with_its_source() -> None:
    frame = pd.DataFrame(
        [
            ("run.data", "tiny-data:latest", "config:default.yaml"),
            ("model.lr", "0.1", "override:cli"),
            ("model.epochs", "20", "config:tiny.yaml"),
            ("wandb.api_key", "****", "profile:local"),
            ("output.dir", None, "config:default.yaml"),
        ],
        columns=["key", "value", "source"],
    )
    assert render(config_tree(frame, "job config")) == expected(
        """
        job config
        ├── run
        │   └── data: tiny-data:latest  (config:default.yaml)
        ├── model
        │   ├── lr: 0.1  (override:cli)
        │   └── epochs: 20  (config:tiny.yaml)
        ├── wandb
        │   └── api_key: ****  (profile:local)
        └── output
            └── dir: null  (config:default.yaml)
        """
    )


def test_submission_panel() -> None:
    job: Any = SimpleNamespace(
        recipe=SimpleNamespace(name="tiny/train"),
        mode="batch",
        profile="local-slurm",
        execution={"executor": "slurm"},
    )
    assert render(submission_panel(job, HANDLE, "/store")) == expected(
        """
        ╭─ Submitted tiny/train ─────────────────────────────────────────────╮
        │ job        20260101-000000-tiny-train                              │
        │ job id     42                                                      │
        │ mode       batch                                                   │
        │ where      profile local-slurm (slurm)                             │
        │ configs    /jobs/20260101-000000-tiny-train/job.yaml               │
        │            /jobs/20260101-000000-tiny-train/train.yaml             │
        │ artifacts  /store                                                  │
        │ logs       runspec logs 20260101-000000-tiny-train --follow        │
        ╰────────────────────────────────────────────────────────────────────╯
        """
    )


def test_completion_panel_of_a_success_lists_what_it_published() -> None:
    state = JobState(JobStatus.SUCCEEDED, 0, "42")
    assert render(completion_panel(HANDLE, state, elapsed=1, published=["tiny-model:v3"])) == expected(
        """
        ╭─ tiny/train: succeeded ────────────────────────────────────────────╮
        │ status     SUCCEEDED                                               │
        │ exit code  0                                                       │
        │ time       1.0s                                                    │
        │ job dir    /jobs/20260101-000000-tiny-train                        │
        │ published  tiny-model:v3                                           │
        ╰────────────────────────────────────────────────────────────────────╯
        """
    )


def test_completion_panel_of_a_failure_says_where_the_logs_are() -> None:
    state = JobState(JobStatus.FAILED, 2, "42", "NonZeroExitCode")
    assert render(completion_panel(HANDLE, state, elapsed=3.25)) == expected(
        """
        ╭─ tiny/train: failed ───────────────────────────────────────────────╮
        │ status     FAILED                                                  │
        │ exit code  2                                                       │
        │ time       3.2s                                                    │
        │ job dir    /jobs/20260101-000000-tiny-train                        │
        │ detail     NonZeroExitCode                                         │
        │ logs       runspec logs 20260101-000000-tiny-train                 │
        ╰────────────────────────────────────────────────────────────────────╯
        """
    )


def test_frame_table_shows_missing_values_as_dashes() -> None:
    frame = pd.DataFrame({"name": ["a", "b"], "exit_code": [0, None], "aliases": [["best"], []]})
    assert render(
        frame_table(frame, ["name", "exit_code", "aliases"], rename={"exit_code": "exit"})
    ) == expected(
        """
        name  exit  aliases
        a     0     best
        b     -     -
        """
    )
