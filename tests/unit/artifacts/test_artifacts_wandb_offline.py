"""W&B logging for real, offline (``WANDB_MODE=offline``): no server is reachable here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nemo_runspec_nb.artifacts import ArtifactRegistry, WandbBackend

wandb = pytest.importorskip("wandb", reason="wandb is not installed (pip install 'nemo_runspec_nb[wandb]')")

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning:wandb.*"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]


@pytest.fixture
def offline_wandb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    wandb_dir = tmp_path / "wandb-home"
    wandb_dir.mkdir()
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.setenv("WANDB_DIR", str(wandb_dir))
    monkeypatch.setenv("WANDB_CONFIG_DIR", str(wandb_dir / "config"))
    monkeypatch.setenv("WANDB_CACHE_DIR", str(wandb_dir / "cache"))
    monkeypatch.setenv("WANDB_DATA_DIR", str(wandb_dir / "data"))
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    yield wandb_dir
    wandb.teardown()


def test_publish_logs_a_reference_artifact_offline(
    offline_wandb: Path, tmp_path: Path, data_dir: Path
) -> None:
    backend = WandbBackend(project="nrs-test")
    reg = ArtifactRegistry(tmp_path / "registry", wandb=backend)
    assert reg.backends == ["manifest", "wandb"]
    assert reg.publish("tiny-data", data_dir, metadata={"rows": 2}, type="dataset", producer="prep") == 1

    runs = list((offline_wandb / "wandb").glob("offline-run-*"))
    assert len(runs) == 1, "publishing opened (and finished) one offline run"
    assert list(runs[0].glob("run-*.wandb")), "the run's records were written"
    assert wandb.run is None, "a run the backend opened itself is finished again"

    # the manifest store has it too, and the logged artifact is a reference to the data
    manifest = reg.get("tiny-data")
    artifact = backend.log(manifest)
    refs = sorted(entry.ref for entry in artifact.manifest.entries.values())
    assert refs == [f"file://{data_dir}/shards/x.npz", f"file://{data_dir}/table.csv"]
    assert artifact.type == "dataset"
    assert artifact.metadata["rows"] == 2
    assert artifact.metadata["nemotron_registry"]["version"] == 1
    assert artifact.metadata["nemotron_registry"]["path"] == str(data_dir)


def test_logs_into_an_active_run(offline_wandb: Path, tmp_path: Path, data_dir: Path) -> None:
    run = wandb.init(project="nrs-test", settings=wandb.Settings(silent=True, console="off"))
    try:
        reg = ArtifactRegistry(tmp_path / "registry", wandb=WandbBackend())
        reg.publish("tiny-data", data_dir)
        assert wandb.run is run, "the backend leaves a run it did not open alone"
    finally:
        run.finish()
    assert len(list((offline_wandb / "wandb").glob("offline-run-*"))) == 1
