"""End to end on the embedded default (nemo-run LocalExecutor, no profile, no cluster):
prep publishes a data set, train consumes it through ${art:data,path}, eval consumes both."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

import nemo_runspec_nb as nrs
from nemo_runspec_nb.artifacts import lineage, table, versions

RECIPES = Path(__file__).resolve().parents[2] / "notebooks" / "recipes"

pytestmark = pytest.mark.nemorun


@pytest.fixture
def recipes(tmp_path: Path, monkeypatch) -> Path:
    target = tmp_path / "recipes"
    shutil.copytree(RECIPES, target, ignore=shutil.ignore_patterns(".nemotron"))
    monkeypatch.chdir(tmp_path)
    for var in ("NEMOTRON_ENV_FILE", "NEMOTRON_ARTIFACTS_ROOT"):
        monkeypatch.delenv(var, raising=False)
    return target


def _run(recipe: nrs.Recipe, *args, **kwargs) -> nrs.JobHandle:
    handle = recipe.compose(*args, **kwargs).launch()
    state = handle.wait(timeout=180)
    assert state.status.value == "SUCCEEDED", handle.logs()
    assert state.exit_code == 0
    return handle


def test_prep_train_eval_chain_through_artifacts(recipes: Path):
    prep = nrs.Recipe(recipes / "prep" / "prep.py")
    registry = prep.session.registry()

    first = _run(prep, "tiny", ["data.rows=120"])
    assert "published tiny-data:v1" in first.logs()
    second = _run(prep, "tiny", ["data.rows=150"])
    assert "published tiny-data:v2" in second.logs()

    train = nrs.Recipe(recipes / "train" / "train.py", session=prep.session)
    trained = _run(train, "tiny", ["run.data=tiny-data:v1", "model.epochs=5"])
    pinned = yaml.safe_load((trained.job_dir / "train.yaml").read_text())
    assert pinned["data"]["version"] == 1 and pinned["data"]["rows"] == 120
    assert pinned["data"]["path"] == registry.get("tiny-data:v1").path
    assert "epoch 5/5" in trained.logs()

    evaluated = _run(nrs.Recipe(recipes / "eval" / "eval.py", session=prep.session))
    metrics = json.loads((Path(registry.get("tiny-eval").path) / "metrics.json").read_text())
    assert metrics["r2"] > 0.0

    arts = table(registry).set_index("name")
    assert arts.loc["tiny-data", "latest"] == 2 and arts.loc["tiny-model", "latest"] == 1
    assert versions("tiny-data", registry)["rows"].tolist() == [120, 150]
    edges = {
        (e["from"], e["to"], e["relation"])
        for e in lineage("tiny-eval", registry=registry).to_dict("records")
    }
    assert ("tiny-model:v1", "tiny-data:v1", "input") in edges
    assert ("tiny-eval:v1", "tiny-model:v1", "used") in edges
    assert ("tiny-eval:v1", "tiny-data:v2", "used") in edges  # eval used the latest data

    listed = nrs.jobs(env_file=recipes / "env.toml")
    assert listed["status"].tolist() == ["SUCCEEDED"] * 4
    assert listed["name"].tolist()[0] == "tiny/eval"
    assert evaluated.job_dir.parent == recipes / ".nemotron" / "jobs"
