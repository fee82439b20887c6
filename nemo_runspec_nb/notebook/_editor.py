"""``OverrideEditor``: type-aware inputs for the leaves of a config, built only when shown.

A config's leaves are grouped in sections by their top-level key. Up front the
editor builds one header button per section (up to ``max_sections``; all share
one ``Layout``), a search box and two empty boxes. Opening a section builds
the inputs of its first ``max_inputs`` leaves; a search builds those of the
first matching keys. An input is built once and then shared by its section
and the search results, so a 2,000-key config costs a few dozen widget
models until the user asks for more.

A changed value is an edit (``key -> value``); changing it back removes the
edit. :meth:`OverrideEditor.dotlist` gives the edits as dotlist overrides.
"""

from __future__ import annotations

import contextlib
import html
import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import ipywidgets as widgets

from ..errors import did_you_mean
from ._widgets import classed

__all__ = ["OverrideEditor", "flatten", "format_value", "text_dotlist"]


def format_value(value: Any) -> str:
    """A value as the right-hand side of a dotlist override (strings quoted only when needed)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple | Mapping):
        return json.dumps(value)
    text = str(value)
    import yaml

    try:
        plain = yaml.safe_load(text) == text and not any(c.isspace() or c in "#'\"" for c in text)
    except yaml.YAMLError:
        plain = False
    return text if plain and text else json.dumps(text)


def flatten(node: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``(dotted key, value)`` for every leaf of nested mappings (lists are leaves)."""
    if isinstance(node, Mapping) and node:
        for key, value in node.items():
            yield from flatten(value, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, node


def text_dotlist(text: str) -> list[str]:
    """Override text (dotlist lines or a YAML mapping, ``#`` comments allowed) as dotlist lines.

    A YAML mapping is flattened to ``key=value`` lines; text that is neither stays one line,
    for composing to report.
    """
    from ..config import overrides_from_text

    parsed = overrides_from_text(text, "widget")
    if isinstance(parsed.entries, str):
        import yaml

        from ..config._yaml import parse_yaml_text

        try:  # the config loader: it refuses alias bombs, which flatten() would expand
            data = parse_yaml_text(parsed.entries)
        except yaml.YAMLError:
            return [text]
        if isinstance(data, Mapping):
            return [f"{k}={format_value(v)}" for k, v in flatten(data)]
        return [text]
    return list(parsed.entries) if not isinstance(parsed.entries, Mapping) else []


def _css(prefix: str, key: str) -> str:
    return prefix + "".join(c if c.isalnum() else "-" for c in key)


class OverrideEditor(widgets.VBox):  # type: ignore[misc]  # ipywidgets ships no type hints
    """Sections of inputs for a config's leaves, plus a search box; edits become overrides.

    Args:
        on_change: called after every edit (the form recomposes the job).
        max_sections: section headers shown (the other sections are reachable by search).
        max_inputs: inputs an open section or a search shows.

    """

    def __init__(
        self, on_change: Callable[[], None] | None = None, *, max_sections: int = 24, max_inputs: int = 30
    ) -> None:
        self.on_change = on_change
        self.max_sections = max_sections
        self.max_inputs = max_inputs
        self.edits: dict[str, Any] = {}
        self.leaves: dict[str, Any] = {}
        self.inputs: dict[str, widgets.Widget] = {}
        self.opened: dict[str, widgets.VBox] = {}
        self._sections: dict[str, list[str]] = {}
        self._header_layout = widgets.Layout(width="auto", margin="1px 0")
        self.search = classed(
            widgets.Text(placeholder="search keys, e.g. lr", description="find", continuous_update=False),
            "nrs-override-search",
        )
        self.results = classed(widgets.VBox(), "nrs-search-results")
        self.sections = classed(widgets.VBox(), "nrs-override-sections")
        self.sections.layout.align_items = "flex-start"
        self.search.observe(self._search_changed, names="value")
        super().__init__([self.search, self.results, self.sections])
        self.add_class("nrs-override-editor")

    # -- content ---------------------------------------------------------------------------------
    def load(self, leaves: Mapping[str, Any]) -> None:
        """Show these leaves (``dotted key -> value``); edits of keys that are gone are dropped."""
        self.leaves = dict(leaves)
        self.edits = {k: v for k, v in self.edits.items() if k in self.leaves}
        sections: dict[str, list[str]] = {}
        for key in self.leaves:
            sections.setdefault(key.split(".", 1)[0], []).append(key)
        self._sections = sections
        self.inputs.clear()
        self.opened.clear()
        headers: list[widgets.Widget] = [self._header(name) for name in list(sections)[: self.max_sections]]
        hidden = len(sections) - len(headers)
        if hidden > 0:
            headers.append(widgets.HTML(f"<i>{hidden} more section(s): use the search box</i>"))
        self.sections.children = tuple(headers)
        self._search_changed()

    def dotlist(self) -> list[str]:
        """The edits as dotlist overrides, in the order they were made."""
        return [f"{key}={format_value(value)}" for key, value in self.edits.items()]

    def set_override(self, key: str, value: Any) -> None:
        """Set one leaf as if typed into its input (building the input)."""
        if key not in self.leaves:
            raise KeyError(f"{key!r} is not a key of the config. {did_you_mean(key, self.leaves)}".strip())
        widget = self.input(key)
        if isinstance(widget, widgets.Text) and not isinstance(value, str):
            value = "" if value is None else json.dumps(value)
        widget.value = value

    # -- sections ------------------------------------------------------------------------------
    def _header(self, name: str) -> widgets.Button:
        count = len(self._sections[name])
        button = classed(
            widgets.Button(
                description=f"\u25b8 {name} ({count})", layout=self._header_layout, tooltip=f"open {name}"
            ),
            "nrs-section-toggle",
        )
        button.add_class(_css("nrs-section-", name))
        button.on_click(lambda _b, n=name: self.toggle_section(n))
        return button

    def toggle_section(self, name: str) -> None:
        """Open (building its inputs) or close a section."""
        children = list(self.sections.children)
        header = next(c for c in children if isinstance(c, widgets.Button) and c.tooltip == f"open {name}")
        count = len(self._sections[name])
        if name in self.opened:
            children.remove(self.opened.pop(name))
            header.description = f"\u25b8 {name} ({count})"
        else:
            body = widgets.VBox([self.input(k) for k in self._sections[name][: self.max_inputs]])
            if count > self.max_inputs:
                body.children += (widgets.HTML(f"<i>{count - self.max_inputs} more: use the search box</i>"),)
            body.add_class("nrs-section-body")
            body.layout.margin = "0 0 0 1.5em"
            self.opened[name] = body
            children.insert(children.index(header) + 1, body)
            header.description = f"\u25be {name} ({count})"
        self.sections.children = tuple(children)

    # -- inputs --------------------------------------------------------------------------------
    def input(self, key: str) -> widgets.Widget:
        """The input of one leaf: checkbox, integer, float or text (built once, then reused)."""
        if key in self.inputs:
            return self.inputs[key]
        value = self.leaves[key]
        current = self.edits.get(key, value)
        style = {"description_width": "14em"}
        widget: widgets.Widget
        if isinstance(value, bool):
            widget = widgets.Checkbox(value=bool(current), description=key, style=style, indent=True)
        elif isinstance(value, int):
            widget = widgets.IntText(value=int(current), description=key, style=style)
        elif isinstance(value, float):
            widget = widgets.FloatText(value=float(current), description=key, style=style)
        else:
            text = "" if current is None else current if isinstance(current, str) else json.dumps(current)
            widget = classed(
                widgets.Text(
                    value=text,
                    description=key,
                    style=style,
                    continuous_update=False,
                    placeholder="null" if value is None else "",
                ),
                "nrs-leaf",
            )
        widget.add_class(_css("nrs-leaf-", key))
        widget.observe(lambda change, k=key: self._leaf_changed(k, change["new"]), names="value")
        self.inputs[key] = widget
        return widget

    def _leaf_changed(self, key: str, new: Any) -> None:
        original = self.leaves[key]
        if isinstance(original, list | dict) and isinstance(new, str):
            with contextlib.suppress(ValueError):
                new = json.loads(new)
        elif original is None and new == "":
            new = None
        if new == original:
            self.edits.pop(key, None)
        else:
            self.edits[key] = new
        if self.on_change is not None:
            self.on_change()

    # -- search --------------------------------------------------------------------------------
    def _search_changed(self, _change: Any = None) -> None:
        query = self.search.value.strip().lower()
        if not query:
            self.results.children = ()
            return
        found = [k for k in self.leaves if query in k.lower()]
        shown = [self.input(k) for k in found[: self.max_inputs]]
        note = f"{len(found)} key(s) match"
        if len(found) > len(shown):
            note += f", first {self.max_inputs} shown"
        self.results.children = (widgets.HTML(f"<i>{html.escape(note)}</i>"), *shown)
