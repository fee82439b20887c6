from __future__ import annotations

import textwrap
from pathlib import Path

import pytest


def script(body: str, *, before: str = "", after: str = 'print("hello")\n') -> str:
    """A recipe script whose PEP 723 block holds ``body`` (TOML, dedented)."""
    toml = textwrap.dedent(body).strip("\n")
    lines = ["# /// script"] + [f"# {line}" if line else "#" for line in toml.split("\n")] + ["# ///"]
    return before + "\n".join(lines) + "\n" + after


@pytest.fixture
def make_script():
    return script


@pytest.fixture
def write(tmp_path: Path):
    def _write(body: str, name: str = "train.py", **kwargs: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(script(body, **kwargs), encoding="utf-8")
        return path

    return _write
