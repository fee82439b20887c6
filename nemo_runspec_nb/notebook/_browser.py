"""``ArtifactBrowser``: artifact names, a versions table, one version's metadata and lineage."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from ..errors import RunspecError
from ._reprs import manifest_html
from ._widgets import classed

if TYPE_CHECKING:
    from ..artifacts import ArtifactRegistry

__all__ = ["ArtifactBrowser"]

_VERSION_COLUMNS = ["version", "aliases", "type", "created_at", "producer", "inputs", "status", "problem"]


class ArtifactBrowser(widgets.VBox):  # type: ignore[misc]  # ipywidgets ships no type hints
    """Browse a registry: pick a name, see its versions; pick a version, see metadata and lineage.

    Args:
        registry: the registry (``Session.registry()``, ``nrs.artifacts.registry()``).
        name: the artifact to open first (default: the first name).

    """

    def __init__(self, registry: ArtifactRegistry, *, name: str | None = None) -> None:
        self.registry = registry
        self.names = classed(widgets.Dropdown(description="artifact", options=[]), "nrs-artifact-names")
        self.version = classed(widgets.Dropdown(description="version", options=[]), "nrs-artifact-version")
        self.refresh_button = classed(
            widgets.Button(description="Refresh", icon="refresh"), "nrs-artifact-refresh"
        )
        self.versions_table = classed(widgets.HTML(), "nrs-artifact-versions")
        self.metadata = classed(widgets.HTML(), "nrs-artifact-metadata")
        self.lineage = classed(widgets.HTML(), "nrs-artifact-lineage")
        self.message = classed(widgets.HTML(), "nrs-artifact-message")
        self.names.observe(self._name_changed, names="value")
        self.version.observe(self._version_changed, names="value")
        self.refresh_button.on_click(lambda _b: self.refresh())
        super().__init__(
            [
                widgets.HBox([self.names, self.refresh_button]),
                self.message,
                self.versions_table,
                self.version,
                widgets.HBox([self.metadata, self.lineage]),
            ]
        )
        self.add_class("nrs-artifact-browser")
        self.refresh(select=name)

    def refresh(self, select: str | None = None) -> None:
        """Re-read the registry's names (keeping the selection when it still exists)."""
        current = select or self.names.value
        names = sorted(self.registry.list())
        self.message.value = (
            "" if names else f"<i>No artifacts yet in {html.escape(str(self.registry.root))}</i>"
        )
        self.names.options = names
        if current in names:
            self.names.value = current
        elif names:
            self.names.value = names[0]
        self._name_changed()

    def _name_changed(self, _change: Any = None) -> None:
        from ..artifacts import versions

        name = self.names.value
        if not name:
            self.versions_table.value = ""
            self.version.options = []
            return
        try:
            frame = versions(name, self.registry)
        except RunspecError as exc:
            self.message.value = f"<span class='nrs-error'>{html.escape(str(exc))}</span>"
            return
        shown = frame[[c for c in _VERSION_COLUMNS if c in frame.columns]].sort_values(
            "version", ascending=False, na_position="last"
        )
        self.versions_table.value = shown.to_html(index=False, classes="nrs-versions-table", max_rows=50)
        readable = frame[frame["status"] == "OK"]["version"]  # damaged rows cannot be opened
        options = [f"v{v}" for v in sorted(readable.tolist(), reverse=True)]
        self.version.options = options
        if options:
            self.version.value = options[0]
        self._version_changed()

    def _version_changed(self, _change: Any = None) -> None:
        from ..artifacts import lineage

        name, version = self.names.value, self.version.value
        if not name or not version:
            self.metadata.value = self.lineage.value = ""
            return
        try:
            manifest = self.registry.get(f"{name}:{version}")
            edges = lineage(name, int(version[1:]), self.registry)
        except RunspecError as exc:
            self.metadata.value = f"<span class='nrs-error'>{html.escape(str(exc))}</span>"
            self.lineage.value = ""
            return
        self.metadata.value = f"<b>{html.escape(manifest.ref)}</b>{manifest_html(manifest)}"
        self.lineage.value = (
            "<b>lineage</b>" + edges.to_html(index=False, classes="nrs-lineage-table")
            if len(edges)
            else "<b>lineage</b><p><i>made from no other artifact</i></p>"
        )

    @property
    def selected(self) -> str | None:
        """The selected reference, e.g. ``"tiny-data:v3"``."""
        if self.names.value and self.version.value:
            return f"{self.names.value}:{self.version.value}"
        return None
