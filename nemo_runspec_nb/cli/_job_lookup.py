"""Find a launched job from what a user types: a job dir, its name, a prefix, or a recipe name."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import JobNotFoundError, did_you_mean

__all__ = ["find_job_dir"]

_RECORD = "job.json"


def find_job_dir(ref: str, jobs_dir: Path) -> Path:
    """The job dir ``ref`` names.

    ``ref`` is tried as: a path to a job dir; a job dir name under ``jobs_dir``;
    a unique prefix of one; a recipe name (its newest job).

    Raises:
        JobNotFoundError: nothing matches (with the closest names), or a prefix matches several jobs.

    """
    path = Path(ref).expanduser()
    if os.path.lexists(path / _RECORD):  # even a damaged record: opening it says what is wrong
        return path.absolute()
    dirs = sorted(p.parent for p in jobs_dir.glob(f"*/{_RECORD}")) if jobs_dir.is_dir() else []
    names = [d.name for d in dirs]
    if ref in names:
        return dirs[names.index(ref)]
    matches = [d for d in dirs if d.name.startswith(ref)]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        shown = ", ".join(m.name for m in matches[:5]) + (" ..." if len(matches) > 5 else "")
        raise JobNotFoundError(
            f"'{ref}' matches {len(matches)} jobs: {shown}",
            key=ref,
            hint="Type more of the job's name",
        )
    by_recipe = [d for d in dirs if _recipe_name(d) == ref]
    if by_recipe:
        return by_recipe[-1]  # dir names start with a timestamp: the last is the newest
    hint = did_you_mean(ref, names) or did_you_mean(ref, {_recipe_name(d) for d in dirs})
    where = f"in {jobs_dir}" if dirs else f"({jobs_dir} has no jobs)"
    raise JobNotFoundError(
        f"no job '{ref}' {where}",
        key=ref,
        hint=f"{hint} Run 'runspec jobs' to list them, or give the job dir's path".strip(),
    )


def _recipe_name(job_dir: Path) -> str:
    import json

    try:
        record = json.loads((job_dir / _RECORD).read_bytes())
    except (OSError, ValueError, RecursionError):  # a damaged record names no recipe
        return ""
    return str(record.get("name", "")) if isinstance(record, dict) else ""
