"""Property-based checks of the block reader and the parser."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from nemo_runspec_nb.errors import SpecError
from nemo_runspec_nb.runspec import Runspec, parse_text

PATH = Path("/tmp/prop/recipe.py")

# Text built from the pieces that matter to the grammar, plus arbitrary noise.
pieces = st.sampled_from(
    [
        "# /// script\n",
        "# ///\n",
        "# [tool.runspec]\n",
        '# name = "x"\n',
        "# [tool.runspec.resources]\n",
        "# nodes = 2\n",
        "#\n",
        "# '''\n",
        "print(1)\n",
        "\r\n",
        "\ufeff",
        "# /// other\n",
    ]
)
noisy_text = st.lists(st.one_of(pieces, st.text(max_size=20)), max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(noisy_text)
def test_any_text_raises_only_spec_error(text):
    try:
        spec = parse_text(text, PATH)
    except SpecError as exc:  # the only exception allowed, and it names the file
        assert exc.path == PATH
        assert str(exc).startswith(str(PATH))
    else:
        assert isinstance(spec, Runspec)


names = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30)
env_keys = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,15}", fullmatch=True)
valid = st.fixed_dictionaries(
    {
        "name": names,
        "image": st.one_of(st.none(), names),
        "launch": st.sampled_from(["torchrun", "ray", "direct", "python"]),
        "cmd": st.one_of(st.none(), names),
        "dir": names.filter(bool),
        "default": names.filter(bool),
        "format": st.sampled_from(["omegaconf", "yaml", "json"]),
        "nodes": st.integers(min_value=1, max_value=10_000),
        "gpus": st.one_of(st.integers(min_value=0, max_value=64), st.just("gpu")),
        "env": st.dictionaries(env_keys, names, max_size=4),
    }
)


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def _render(v: dict) -> str:
    lines = ["[tool.runspec]", f"name = {_toml_str(v['name'])}"]
    if v["image"] is not None:
        lines.append(f"image = {_toml_str(v['image'])}")
    lines += ["[tool.runspec.run]", f'launch = "{v["launch"]}"']
    if v["cmd"] is not None:
        lines.append(f"cmd = {_toml_str(v['cmd'])}")
    lines += [
        "[tool.runspec.config]",
        f"dir = {_toml_str(v['dir'])}",
        f"default = {_toml_str(v['default'])}",
        f'format = "{v["format"]}"',
        "[tool.runspec.resources]",
        f"nodes = {v['nodes']}",
        f"gpus_per_node = {_toml_str(v['gpus']) if v['gpus'] == 'gpu' else v['gpus']}",
        "[tool.runspec.env]",
    ]
    lines += [f"{k} = {_toml_str(val)}" for k, val in v["env"].items()]
    return "# /// script\n" + "".join(f"# {line}\n" for line in lines) + "# ///\nprint('ok')\n"


@settings(max_examples=200, deadline=None)
@given(valid)
def test_generated_valid_blocks_round_trip(v):
    spec = parse_text(_render(v), PATH)
    assert spec.name == v["name"]
    assert spec.image == v["image"]
    assert spec.run.launch == v["launch"]
    assert spec.run.cmd == v["cmd"]
    assert (spec.config.dir, spec.config.default, spec.config.format) == (v["dir"], v["default"], v["format"])
    assert (spec.resources.nodes, spec.resources.gpus_per_node) == (v["nodes"], v["gpus"])
    assert dict(spec.env) == v["env"]
