"""Notebook displays: job handles as live monitors, composed jobs with a summary, manifests as cards.

``Runspec``, ``Recipe``, ``ComposedJob`` (its preview) and ``JobHandle`` carry
their own ``_repr_html_``; :func:`register_displays` adds what only makes
sense with a Jupyter frontend: a ``JobHandle`` shown as a cell's value (for
example the result of ``%%recipe``) becomes a live :class:`JobMonitor`.
The monitor is imported only then (it imports this package's badge, never
this module, so the two do not import each other).
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ._badge import STATUS_COLORS, status_badge_html

if TYPE_CHECKING:
    from .._facade import ComposedJob
    from ..artifacts import ArtifactManifest

__all__ = [
    "STATUS_COLORS",
    "composed_html",
    "manifest_html",
    "register_displays",
    "status_badge_html",
    "table_html",
]


def table_html(rows: Iterable[tuple[str, str]], css: str) -> str:
    """A two-column key/value table (values escaped)."""
    cells = "".join(
        f"<tr><th style='text-align:left;padding-right:1em'>{html.escape(k)}</th>"
        f"<td style='text-align:left'>{html.escape(v)}</td></tr>"
        for k, v in rows
    )
    return f"<table class='{css}'>{cells}</table>"


def _value(value: Any) -> str:
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, default=str)
    return str(value)


def manifest_html(manifest: ArtifactManifest) -> str:
    """An artifact version as a card: fields, metadata, inputs."""
    data = manifest.to_dict()
    rows = [
        ("artifact", manifest.ref),
        ("type", str(data["type"] or "-")),
        ("path", str(data["path"])),
        ("created", str(data["created_at"])),
        ("producer", str(data["producer"] or "-")),
    ]
    rows += [(f"metadata.{k}", _value(v)) for k, v in sorted(data["metadata"].items())]
    if data["inputs"]:
        rows.append(("inputs", ", ".join(data["inputs"])))
    if data["used_artifacts"]:
        rows.append(("used", ", ".join(data["used_artifacts"])))
    return table_html(rows, "nrs-artifact")


def composed_html(job: ComposedJob) -> str:
    """A composed job: a summary (what, where, which overrides) above its full preview."""
    preview = job.preview()
    prov = preview.provenance
    overridden = prov[prov["source"].astype(str).str.startswith("override")] if len(prov) else prov
    changes = ", ".join(f"{k}={v}" for k, v in zip(overridden["key"], overridden["value"], strict=True))
    rows = [
        ("recipe", f"{job.recipe.name} ({job.config_path.name})"),
        ("runs on", f"{job.profile or 'this machine'} ({job.mode})"),
        ("overrides", changes or "(none)"),
    ]
    rows += [("note", note) for note in preview.notes]
    return (
        f"<div class='nrs-composed'>{table_html(rows, 'nrs-composed-summary')}{preview._repr_html_()}</div>"
    )


def register_displays(ipython: Any, magics: Any = None) -> None:
    """Teach ``ipython`` to show job handles as live monitors and manifests as cards."""
    formatter = getattr(ipython, "display_formatter", None)
    if formatter is None:
        return
    # By name: the classes' modules (and pandas, nemo-run) are imported only when first used.
    html_formatter = formatter.formatters["text/html"]
    html_formatter.for_type_by_name("nemo_runspec_nb.artifacts", "ArtifactManifest", manifest_html)
    html_formatter.for_type_by_name("nemo_runspec_nb", "ComposedJob", composed_html)
    if getattr(ipython, "kernel", None) is None:
        return  # a terminal: the handle's text is all there is to show

    def show_monitor(handle: Any) -> None:
        from IPython.display import display

        from ._monitor import JobMonitor

        poll = getattr(magics, "poll", 1.0)
        tail = getattr(magics, "tail", 30)
        display(JobMonitor(handle, poll=poll, tail=tail))  # type: ignore[no-untyped-call]

    formatter.ipython_display_formatter.for_type_by_name("nemo_runspec_nb.launch", "JobHandle", show_monitor)
