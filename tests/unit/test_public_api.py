"""The public surface: exactly the intended names, and a cheap import."""

from __future__ import annotations

import json
import subprocess
import sys

import nemo_runspec_nb as nrs

INTENDED = {
    "ComposedJob",
    "JobHandle",
    "Recipe",
    "Session",
    "jobs",
    "Runspec",
    "RunspecConfig",
    "RunspecError",
    "RunspecResources",
    "RunspecRun",
    "__version__",
    "artifacts",
    "catalog",
    "config",
    "discover",
    "errors",
    "parse",
    "parse_text",
}


def test_all_is_exactly_the_intended_api():
    assert set(nrs.__all__) == INTENDED
    assert len(nrs.__all__) == len(set(nrs.__all__))


def test_every_public_name_resolves():
    for name in nrs.__all__:
        assert getattr(nrs, name) is not None, name


def test_unknown_attribute_is_attribute_error():
    try:
        nrs.no_such_thing  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


HEAVY = ["nemo_run", "wandb", "pandas", "ipywidgets", "IPython", "omegaconf", "fsspec", "typer", "rich"]


def test_import_does_not_pull_heavy_dependencies():
    code = (
        "import sys, json; import nemo_runspec_nb; "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == []
