"""The colored status badge of a job (shared by the displays and the job monitor)."""

from __future__ import annotations

import html

__all__ = ["STATUS_COLORS", "status_badge_html"]

STATUS_COLORS = {
    "PENDING": "#8a6d00",
    "RUNNING": "#0b5cad",
    "SUCCEEDED": "#1a7f37",
    "FAILED": "#cf222e",
    "CANCELLED": "#6e7781",
    "UNKNOWN": "#6e7781",
    "DAMAGED": "#9a6700",
}


def status_badge_html(status: str, extra: str = "") -> str:
    """A colored badge for a job status (``extra``: e.g. the exit code)."""
    color = STATUS_COLORS.get(status, "#6e7781")
    text = html.escape(status + (f" {extra}" if extra else ""))
    return (
        f"<span class='nrs-badge nrs-badge-{html.escape(status.lower())}' style='background:{color};"
        "color:white;border-radius:0.8em;padding:0.1em 0.7em;font-weight:600;font-size:0.9em'>"
        f"{text}</span>"
    )
