"""Displays: manifest cards and job handles (live monitors only with a kernel)."""

from __future__ import annotations

from pathlib import Path

from nemo_runspec_nb.artifacts import ArtifactRegistry
from nemo_runspec_nb.notebook._reprs import manifest_html, status_badge_html


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


def test_composed_job_shows_a_summary_above_the_preview(shell) -> None:
    job = shell.run_cell_magic("recipe", "train/train.py -c tiny -b local-slurm -d", "model.lr=0.3")
    data, _ = shell.display_formatter.format(job)
    text = data["text/html"]
    assert (
        "<th style='text-align:left;padding-right:1em'>overrides</th><td style='text-align:left'>model.lr=0.3"
        in text
    )
    assert "local-slurm (batch)" in text
    assert text.index("nrs-composed-summary") < text.index("nrs-preview")
