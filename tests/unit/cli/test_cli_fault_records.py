"""``runspec jobs`` / ``logs`` / ``cancel`` next to a damaged job record: one row or one line each."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

Cli = Callable[..., Result]


def _jobs(recipes: Path) -> tuple[Path, Path]:
    root = recipes / ".nemotron" / "jobs"
    good, bad = root / "20260102-000000-tiny-prep", root / "20260101-000000-tiny-train"
    for job_dir in (good, bad):
        job_dir.mkdir(parents=True)
        record = {
            "format": 1,
            "name": "tiny/prep",
            "executor": "local",
            "status": "SUCCEEDED",
            "exit_code": 0,
        }
        (job_dir / "job.json").write_text(json.dumps({**record, "submitted": job_dir.name}))
    (bad / "job.json").write_bytes(b'{"name": "tiny/tr\xff')
    return good, bad


def test_jobs_lists_a_damaged_record_as_one_row(runspec: Cli, recipes: Path) -> None:
    good, bad = _jobs(recipes)
    result = runspec("jobs")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    # (long job names fold onto a second line; the timestamp stays on the status line)
    assert any(line.startswith(good.name[:15]) and "SUCCEEDED" in line for line in lines)
    assert any(line.startswith(bad.name[:15]) and "DAMAGED" in line for line in lines)
    assert "job.json: not UTF-8" in result.stdout  # the start of the reason (the cell folds)
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", ["logs", "cancel"])
def test_asking_for_the_damaged_job_is_one_line_and_exit_2(runspec: Cli, recipes: Path, command: str) -> None:
    _, bad = _jobs(recipes)
    result = runspec(command, bad.name)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "damaged job record" in lines[0] and "job.json" in lines[0]
    assert "Traceback" not in result.output
