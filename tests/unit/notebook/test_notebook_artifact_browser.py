"""ArtifactBrowser: names, versions table, metadata and lineage of the selected version."""

from __future__ import annotations

from pathlib import Path

import pytest

from nemo_runspec_nb.artifacts import ArtifactRegistry
from nemo_runspec_nb.notebook import ArtifactBrowser


@pytest.fixture
def registry(tmp_path: Path) -> ArtifactRegistry:
    reg = ArtifactRegistry(str(tmp_path / "arts"))
    (tmp_path / "d").mkdir()
    reg.publish("data", tmp_path / "d", metadata={"rows": 10}, type="dataset")
    reg.publish("data", tmp_path / "d", metadata={"rows": 20}, type="dataset")
    reg.publish("model", tmp_path / "d", metadata={"loss": 0.1}, type="model", inputs=["data:v1"])
    return reg


def test_opens_the_first_name_at_its_latest_version(registry: ArtifactRegistry) -> None:
    browser = ArtifactBrowser(registry)
    assert browser.names.options == ("data", "model")
    assert browser.version.options == ("v2", "v1")
    assert browser.selected == "data:v2"
    assert "metadata.rows" in browser.metadata.value and ">20<" in browser.metadata.value
    assert "made from no other artifact" in browser.lineage.value


def test_picking_a_name_and_a_version(registry: ArtifactRegistry) -> None:
    browser = ArtifactBrowser(registry)
    browser.names.value = "model"
    assert browser.selected == "model:v1"
    assert "data:v1" in browser.lineage.value
    browser.names.value = "data"
    browser.version.value = "v1"
    assert ">10<" in browser.metadata.value


def test_refresh_sees_new_versions(registry: ArtifactRegistry, tmp_path: Path) -> None:
    browser = ArtifactBrowser(registry, name="model")
    registry.publish("model", tmp_path / "d", metadata={"loss": 0.05}, inputs=["data:v2"])
    browser.refresh_button.click()
    assert browser.selected == "model:v2"
    assert "nrs-artifact-browser" in browser._dom_classes


def test_empty_registry_says_so(tmp_path: Path) -> None:
    browser = ArtifactBrowser(ArtifactRegistry(str(tmp_path / "empty")))
    assert browser.selected is None
    assert "No artifacts yet" in browser.message.value
