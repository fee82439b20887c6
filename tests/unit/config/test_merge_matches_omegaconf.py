"""A defaults: chain composes exactly like OmegaConf.load + OmegaConf.merge (property test)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from nemo_runspec_nb.config import load_config

_keys = st.sampled_from(["a", "b", "c", "d", "lr", "steps"])
_scalars = st.one_of(
    st.integers(-5, 5),
    st.booleans(),
    st.none(),
    st.sampled_from(["x", "y", "???", "${a}", "${oc.env:HOME}"]),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)
_values = st.recursive(
    _scalars,
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(_keys, children, max_size=4)),
    max_leaves=12,
)
_configs = st.dictionaries(_keys, _values, max_size=5)


@settings(max_examples=60, deadline=None)
@given(base=_configs, top=_configs)
def test_two_file_chain_equals_omegaconf_merge(base, top):
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        base_path = directory / "base.yaml"
        top_path = directory / "top.yaml"
        base_path.write_text(yaml.safe_dump(base))
        top_path.write_text(yaml.safe_dump(top))
        try:
            expected = OmegaConf.merge(OmegaConf.load(base_path), OmegaConf.load(top_path))
        except (TypeError, OmegaConfBaseException):
            assume(False)  # OmegaConf cannot merge e.g. a mapping onto a list; we replace it
        top_path.write_text(yaml.safe_dump({"defaults": "base", **top}))
        got = load_config(top_path)
    assert OmegaConf.to_container(got, resolve=False) == OmegaConf.to_container(expected, resolve=False)
