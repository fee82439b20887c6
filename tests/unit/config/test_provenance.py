"""Provenance: which layer set every leaf of the composed job config."""

from __future__ import annotations

import subprocess
import sys

import pytest
from omegaconf import OmegaConf

from nemo_runspec_nb.config import (
    OverrideSet,
    Provenance,
    ProvenanceRecord,
    ProvenanceRecorder,
    apply_dotlist_overrides,
    compose_job_config,
    load_config,
)
from nemo_runspec_nb.runspec import parse_text

RECIPE = """\
# /// script
# [tool.runspec]
# name = "demo/train"
# image = "img:1"
# [tool.runspec.resources]
# nodes = 1
# gpus_per_node = 8
# ///
"""


@pytest.fixture
def composed(write, project):
    write(
        "recipes/config/base.yaml",
        "train:\n  lr: 0.1\n  steps: 10\n  tags: [a]\nrun:\n  env:\n    nodes: 2\n",
    )
    write("recipes/config/mid.yaml", "defaults: base\ntrain:\n  steps: 20\n  warmup: 1\n")
    write("recipes/config/default.yaml", "defaults: mid\ntrain:\n  name: x\n")
    write(
        "env.toml",
        '[root]\naccount = "a"\npartition = "p0"\n[root.env_vars]\nA = "1"\nAPI_TOKEN = "t0ps3cret"\n'
        '[mid]\nextends = "root"\npartition = "p1"\n'
        '[dev]\nextends = "mid"\nqos = "high"\n[dev.env_vars]\nB = "2"\n'
        '[wandb]\nproject = "w"\n[artifacts]\nroot = "/art"\n',
    )
    script = write("recipes/train.py", RECIPE)
    return compose_job_config(
        parse_text(RECIPE, script),
        profile="dev",
        mode="batch",
        overrides=[
            OverrideSet("cell", "train:\n  warmup: 5\n"),
            OverrideSet("widget", ["train.tags[0]=w"]),
            "train.lr=0.5",
            "+train.extra={x: 1, y: 2}",
        ],
    )


def test_every_layer_is_labelled(composed):
    prov = composed.provenance
    assert isinstance(prov, Provenance)
    expected = {
        "train.lr": "override:cli",
        "train.steps": "config:mid.yaml",
        "train.warmup": "override:cell",
        "train.tags": "override:widget",
        "train.name": "config:default.yaml",
        "train.extra.x": "override:cli",
        "run.env.nodes": "config:base.yaml",
        "run.env.container_image": "runspec",
        "run.env.account": "profile:root",
        "run.env.partition": "profile:mid",
        "run.env.qos": "profile:dev",
        "run.env.env_vars.A": "profile:root",
        "run.env.env_vars.B": "profile:dev",
        "run.wandb.project": "env:wandb",
        "artifacts.root": "env:artifacts",
        "run.mode": "job",
        "run.recipe.name": "job",
    }
    for key, source in expected.items():
        assert prov.source_of(key) == source, key


def test_gpus_come_from_the_runspec_when_nobody_else_sets_them(composed):
    assert composed.provenance.source_of("run.env.gpus_per_node") == "runspec"


def test_one_record_per_leaf_of_the_final_config(composed):
    prov = composed.provenance
    keys = [r.key for r in prov]
    assert len(keys) == len(set(keys))
    assert "train.unknown" not in keys
    assert prov.source_of("train.lr") == "override:cli"
    record = next(r for r in prov if r.key == "train.lr")
    assert record == ProvenanceRecord("train.lr", 0.5, "override:cli")
    assert "unknown" not in prov.sources()
    assert [r.key for r in prov.by_source("override:cell")] == ["train.warmup"]


def test_frame_has_key_value_source_note_and_redacts(composed):
    frame = composed.provenance.to_frame()
    assert list(frame.columns) == ["key", "value", "source", "note"]
    notes = frame.set_index("key")["note"]
    assert notes["train.extra.x"] == "new key (not in the YAML)"  # added with +train.extra=...
    assert notes["train.lr"] == ""
    assert len(frame) == len(composed.provenance)
    row = frame[frame.key == "run.env.env_vars.API_TOKEN"].iloc[0]
    assert row.value == "****"
    assert row.source == "profile:root"
    raw = composed.provenance.to_frame(redact=False)
    assert raw[raw.key == "run.env.env_vars.API_TOKEN"].iloc[0].value == "t0ps3cret"


def test_deleted_keys_leave_the_provenance(project):
    recorder = ProvenanceRecorder()
    cfg = OmegaConf.create({"a": 1, "b": {"c": 2}})
    recorder.record_tree(OmegaConf.to_container(cfg), "", "config:x.yaml")
    out = apply_dotlist_overrides(cfg, ["~b.c", "a=3"], provenance=recorder)
    prov = recorder.finish(OmegaConf.to_container(out))
    assert [(r.key, r.value, r.source) for r in prov] == [("a", 3, "override:cli"), ("b", {}, "unknown")]


def test_load_config_can_record_provenance(write):
    write("config/base.yaml", "a: 1\nb: 1\n")
    top = write("config/top.yaml", "defaults: [_self_, base]\nb: 2\nc: 3\n")
    recorder = ProvenanceRecorder()
    cfg = load_config(top, provenance=recorder)
    prov = recorder.finish(OmegaConf.to_container(cfg))
    assert {r.key: r.source for r in prov} == {
        "a": "config:base.yaml",
        "b": "config:base.yaml",
        "c": "config:top.yaml",
    }


def test_repr_and_sequence_protocol(composed):
    prov = composed.provenance
    assert "keys" in repr(prov)
    assert prov[0] == next(iter(prov))
    assert len(prov[:2]) == 2


def test_pandas_is_imported_only_for_the_frame():
    code = (
        "import sys; from nemo_runspec_nb.config import Provenance, ProvenanceRecord; "
        "p = Provenance([ProvenanceRecord('a', 1, 's')]); p.to_records(); "
        "assert 'pandas' not in sys.modules; p.to_frame(); assert 'pandas' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
