"""Displays: manifest cards and job handles (live monitors only with a kernel)."""

from __future__ import annotations

from pathlib import Path

from nemo_runspec_nb.artifacts import ArtifactRegistry
from nemo_runspec_nb.notebook.reprs import manifest_html, status_badge_html


def test_status_badge() -> None:
    assert status_badge_html("FAILED", "(exit 1)").endswith(">FAILED (exit 1)</span>")
    assert "nrs-badge-failed" in status_badge_html("FAILED")


def test_manifest_card_lists_fields_metadata_and_inputs(tmp_path: Path) -> None:
    registry = ArtifactRegistry(str(tmp_path / "arts"))
    (tmp_path / "d").mkdir()
    registry.publish("data", tmp_path / "d", metadata={"rows": 3}, type="dataset")
    registry.publish("model", tmp_path / "d", metadata={"loss": 0.5}, inputs=["data:latest"])
    text = manifest_html(registry.get("model"))
    assert "model:v1" in text and "metadata.loss" in text and "data:v1" in text


def test_shell_shows_manifests_as_cards(shell, tmp_path: Path) -> None:
    registry = ArtifactRegistry(str(tmp_path / "arts"))
    (tmp_path / "d").mkdir()
    registry.publish("data", tmp_path / "d", metadata={"rows": 3})
    data, _ = shell.display_formatter.format(registry.get("data"))
    assert "class='nrs-artifact'" in data["text/html"]
