"""What the notebook widgets share: CSS-classed widgets, the error line, a launch's step line."""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

__all__ = ["StepLine", "classed", "error_html", "new_keys_html"]

W = TypeVar("W")


def classed(widget: W, *names: str) -> W:
    """``widget`` with the CSS classes ``names`` (the page's style and the browser tests find it by them)."""
    for name in names:
        widget.add_class(name)  # type: ignore[attr-defined]  # any ipywidgets DOMWidget
    return widget


def error_html(text: str) -> str:
    """One error, red, its text escaped and its line breaks kept."""
    return (
        "<pre class='nrs-error' style='color:#cf222e;white-space:pre-wrap;margin:0'>"
        f"&#10007; {html.escape(text)}</pre>"
    )


def new_keys_html(keys: list[str]) -> str:
    """A warning naming the keys the overrides added that the YAML lacks ("" for none)."""
    if not keys:
        return ""
    from ..config._provenance import NEW_KEY_NOTE

    shown = ", ".join(f"<code>{html.escape(k)}</code>" for k in keys)
    return f"<div class='nrs-new-keys' style='color:#9a6700'>&#9888; {NEW_KEY_NOTE}: {shown}</div>"


class StepLine:
    """The progress line of a multi-step action, shown in an HTML widget: a bar, the step, a detail.

    Args:
        widget: the ``widgets.HTML`` to write to.
        steps: the names of the steps, in order.

    """

    def __init__(self, widget: Any, steps: Sequence[str]) -> None:
        self.widget = widget
        self.steps = tuple(steps)

    def show(self, number: int, detail: str = "") -> None:
        """Show step ``number`` (1-based) with an optional ``detail`` beside it."""
        percent = int(100 * (number - 1) / len(self.steps))
        self.widget.value = (
            f"<div style='display:flex;gap:1em;align-items:center'><progress value='{percent}' max='100'>"
            f"</progress><i>{html.escape(self.steps[number - 1])}... ({number}/{len(self.steps)})</i>"
            f"{f'<span class=nrs-form-packing>{html.escape(detail)}</span>' if detail else ''}</div>"
        )

    def packing(self, number: int) -> Callable[[int, int], None]:
        """A callback for a packager: the files packed so far, as the detail of step ``number``."""
        shown = {"at": -1.0}

        def report(done: int, total: int) -> None:
            now = time.monotonic()
            if done < total and now - shown["at"] < 0.1:  # at most ten updates a second
                return
            shown["at"] = now
            self.show(number, detail=f"packing files {done}/{total}" if total else "")

        return report

    def clear(self) -> None:
        """Show nothing."""
        self.widget.value = ""
