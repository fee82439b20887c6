"""parse() / parse_text(): defaults, accepted values, and every rejection."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import MappingProxyType

import pytest

from nemo_runspec_nb.errors import RunspecError, SpecError
from nemo_runspec_nb.runspec import Runspec, RunspecConfig, RunspecResources, RunspecRun, parse, parse_text

FULL = """
requires-python = ">=3.10"
dependencies = ["numpy"]

[tool.runspec]
schema = "1"
docs = "https://example.org/runspec/v1"
name = "nano3/pretrain"
image = "nvcr.io/nvidia/nemo:25.11"
setup = '''
  megatron is in the image
'''

[tool.runspec.run]
launch = "torchrun"
cmd = "python {script} --config {config}"
workdir = "/opt/app"

[tool.runspec.config]
dir = "./cfg"
default = "tiny"
format = "yaml"

[tool.runspec.resources]
nodes = 2
gpus_per_node = 4

[tool.runspec.env]
NCCL_DEBUG = "INFO"
"""


def test_full_block_parses_into_frozen_models(write):
    path = write(FULL)
    spec = parse(path)
    assert spec.name == "nano3/pretrain"
    assert spec.docs == "https://example.org/runspec/v1"
    assert spec.image == "nvcr.io/nvidia/nemo:25.11"
    assert spec.setup == "megatron is in the image"
    assert spec.run == RunspecRun(
        launch="torchrun", cmd="python {script} --config {config}", workdir="/opt/app"
    )
    assert spec.config == RunspecConfig(dir="./cfg", default="tiny", format="yaml")
    assert spec.resources == RunspecResources(nodes=2, gpus_per_node=4)
    assert dict(spec.env) == {"NCCL_DEBUG": "INFO"}
    assert spec.script_path == path.absolute()
    assert spec.config_dir == (path.parent / "cfg").resolve()
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.name = "x"  # type: ignore[misc]
    assert isinstance(spec.env, MappingProxyType)
    with pytest.raises(TypeError):
        spec.env["X"] = "1"  # type: ignore[index]


def test_defaults_of_schema_v1(write):
    spec = parse(write("[tool.runspec]\n"))
    assert (spec.schema, spec.docs, spec.name, spec.image, spec.setup) == ("1", "", "", None, "")
    assert spec.run == RunspecRun("torchrun", None, None)
    assert spec.config == RunspecConfig("./config", "default", "omegaconf")
    assert spec.resources == RunspecResources(1, 8)
    assert dict(spec.env) == {}
    assert spec.config_dir == (spec.script_path.parent / "config").resolve()


def test_relative_path_becomes_absolute(write, monkeypatch):
    path = write('[tool.runspec]\nname = "a"')
    monkeypatch.chdir(path.parent)
    spec = parse(path.name)
    assert spec.script_path.is_absolute()
    assert spec.script_path == path.absolute()


def test_replace_keeps_it_a_runspec(write):
    spec = parse(write('[tool.runspec]\nname = "a"'))
    other = dataclasses.replace(spec, name="b")
    assert other.name == "b" and spec.name == "a"
    assert (other != spec and hash(other) != hash(spec)) or other != spec


@pytest.mark.parametrize(
    "launch",
    ["torchrun", "ray", "direct", "python"],
)
def test_launch_methods_accepted(write, launch):
    spec = parse(write(f'[tool.runspec.run]\nlaunch = "{launch}"'))
    assert spec.run.launch == launch
    assert spec.run.is_direct == (launch in ("direct", "python"))


def test_gpus_per_node_gpu_and_zero_are_valid(write):
    assert parse(write('[tool.runspec.resources]\ngpus_per_node = "gpu"')).resources.gpus_per_node == "gpu"
    assert parse(write("[tool.runspec.resources]\ngpus_per_node = 0")).resources.gpus_per_node == 0


def test_config_dir_need_not_exist(write):
    spec = parse(write('[tool.runspec.config]\ndir = "./nowhere"'))
    assert not spec.config_dir.exists()


def test_other_pep723_tables_are_not_judged(write):
    spec = parse(
        write('dependencies = ["x"]\nweird = 1\n[tool.uv]\nanything = true\n[tool.runspec]\nname = "n"')
    )
    assert spec.name == "n"


def test_bom_and_crlf(tmp_path: Path, make_script):
    text = make_script('[tool.runspec]\nname = "crlf"\n[tool.runspec.resources]\nnodes = 3')
    path = tmp_path / "w.py"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    spec = parse(path)
    assert spec.name == "crlf" and spec.resources.nodes == 3


def test_bom_and_crlf_keep_error_lines(tmp_path: Path, make_script):
    text = make_script('[tool.runspec]\nname = "crlf"\n[tool.runspec.resources]\nnodes = "3"')
    path = tmp_path / "w.py"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    with pytest.raises(SpecError) as info:
        parse(path)
    assert info.value.line == 5


def test_block_after_code_and_shebang(write):
    path = write('[tool.runspec]\nname = "later"', before='#!/usr/bin/env python\n"""doc"""\nimport os\n\n')
    spec = parse(path)
    assert spec.name == "later"


def test_closing_marker_inside_multiline_string_does_not_cut_block(tmp_path: Path):
    text = (
        "# /// script\n"
        "# [tool.runspec]\n"
        '# name = "multi"\n'
        "# setup = '''\n"
        "# ///\n"
        "# still setup\n"
        "# '''\n"
        "# ///\n"
        "print(1)\n"
    )
    spec = parse_text(text, tmp_path / "m.py")
    assert spec.name == "multi"
    assert "still setup" in spec.setup


def test_unclosed_block_is_not_a_block(tmp_path: Path):
    text = '# /// script\n# [tool.runspec]\n# name = "x"\nprint(1)\n'
    with pytest.raises(SpecError, match="no PEP 723"):
        parse_text(text, tmp_path / "u.py")


def test_two_script_blocks_are_an_error(tmp_path: Path, make_script):
    text = make_script('[tool.runspec]\nname = "a"') + "\n" + make_script('[tool.runspec]\nname = "b"')
    with pytest.raises(SpecError, match="two '# /// script' blocks") as info:
        parse_text(text, tmp_path / "two.py")
    assert info.value.line == 7


def test_other_block_types_are_ignored(tmp_path: Path, make_script):
    text = "# /// pyproject\n# x = 1\n# ///\n\n" + make_script('[tool.runspec]\nname = "a"')
    assert parse_text(text, tmp_path / "p.py").name == "a"


def test_missing_file_is_file_not_found(tmp_path: Path):
    with pytest.raises(FileNotFoundError):
        parse(tmp_path / "nope.py")


def test_directory_is_spec_error(tmp_path: Path):
    with pytest.raises(SpecError, match="is a directory"):
        parse(tmp_path)


def test_no_block(tmp_path: Path):
    path = tmp_path / "plain.py"
    path.write_text("print(1)\n")
    with pytest.raises(SpecError) as info:
        parse(path)
    assert info.value.path == path
    assert "no PEP 723" in str(info.value) and "# /// script" in str(info.value)


def test_block_without_runspec_table(write):
    path = write('dependencies = ["x"]')
    with pytest.raises(SpecError, match=r"no \[tool.runspec\] table") as info:
        parse(path)
    assert info.value.line == 1


def test_not_utf8(tmp_path: Path):
    path = tmp_path / "bin.py"
    path.write_bytes(b"# /// script\n# [tool.runspec]\n# name = '\xff'\n# ///\n")
    with pytest.raises(SpecError, match="UTF-8"):
        parse(path)


# Each bad block: (TOML body, line of the offending key in the script, text the message must hold)
BAD = [
    ('[tool.runspec]\nname = "unterminated', 3, "invalid TOML"),
    ('[tool.runspec]\nname = "a"\nname = "b"', 4, "invalid TOML"),
    ('[tool.runspec.resources]\nnodes = "two"', 3, "must be a whole number"),
    ("[tool.runspec.resources]\nnodes = true", 3, "got a boolean"),
    ("[tool.runspec.resources]\nnodes = 0", 3, "must be >= 1"),
    ("[tool.runspec.resources]\nnodes = 1.5", 3, "got a float"),
    ("[tool.runspec.resources]\ngpus_per_node = -1", 3, "must be >= 0"),
    ('[tool.runspec.resources]\ngpus_per_node = "all"', 3, 'or "gpu"'),
    ('[tool.runspec.run]\nlaunch = "mpirun"', 3, "'mpirun' is not one of"),
    ('[tool.runspec.config]\nformat = "xml"', 3, "'xml' is not one of"),
    ("[tool.runspec]\nname = 3", 3, "must be a string"),
    ("[tool.runspec]\nimage = ['a']", 3, "must be a string"),
    ('[tool.runspec]\nschema = "2"', 3, "unsupported runspec schema '2'"),
    ("[tool.runspec]\nschema = 1", 3, "must be a string"),
    ('[tool.runspec]\nnmae = "x"', 3, "unknown key 'nmae'"),
    ("[tool.runspec.run]\nlauncher = 'ray'", 3, "unknown key 'launcher'"),
    ("[tool.runspec.config]\ndirectory = 'c'", 3, "unknown key 'directory'"),
    ("[tool.runspec.resources]\ngpus = 2", 3, "unknown key 'gpus'"),
    ("[tool.runspec]\nrun = 'torchrun'", 3, "must be a table"),
    ("[tool.runspec.env]\nPORT = 8080", 3, "env var 'PORT' must be a string"),
    ("[tool.runspec.config]\ndir = ''", 3, "'config.dir' is empty"),
    ('[tool.runspec]\nname = "x"\nresources = { nodes = "2" }', 4, "must be a whole number"),
    ('[tool.runspec]\nname = "x"\nresources.nodes = "2"', 4, "must be a whole number"),
    ('[tool.runspec]\nname = "x"\n\n[tool.runspec.typo]\na = 1', 5, "unknown key 'typo'"),
]


@pytest.mark.parametrize(("body", "line", "text"), BAD)
def test_bad_blocks_name_file_and_line(write, body, line, text):
    path = write(body)
    with pytest.raises(SpecError) as info:
        parse(path)
    err = info.value
    assert isinstance(err, ValueError) and isinstance(err, RunspecError)
    assert text in str(err)
    assert err.path == path.absolute()
    assert err.line == line, str(err)
    assert str(err).startswith(f"{path.absolute()}:{line}: ")


@pytest.mark.parametrize(
    ("body", "suggestion"),
    [
        ('[tool.runspec]\nnmae = "x"', "Did you mean 'name'?"),
        ("[tool.runspec.resources]\nnode = 2", "Did you mean 'nodes'?"),
        ("[tool.runspec.resources]\ngpus_per_nodes = 2", "Did you mean 'gpus_per_node'?"),
        ('[tool.runspec.run]\nlaunch = "torchrn"', "Did you mean 'torchrun'?"),
        ('[tool.runspec.config]\ndefualt = "x"', "Did you mean 'default'?"),
        ('[tool.runspec.config]\nformat = "yml"', "Did you mean 'yaml'?"),
        ('[tool.runspec.resources]\nnodes = "2"', "Write it as nodes = 1"),
        ("[tool.runspec.env]\nPORT = 8080", 'Quote it: PORT = "8080"'),
    ],
)
def test_errors_suggest_the_fix(write, body, suggestion):
    with pytest.raises(SpecError) as info:
        parse(write(body))
    assert suggestion in str(info.value)


def test_error_key_attribute(write):
    with pytest.raises(SpecError) as info:
        parse(write("[tool.runspec.resources]\nnodes = 0"))
    assert info.value.key == "tool.runspec.resources.nodes"


def test_env_accepts_any_variable_name(write):
    spec = parse(write('[tool.runspec.env]\nweird_Name-1 = "x"\nPATHLIKE = "/a:/b"'))
    assert dict(spec.env) == {"weird_Name-1": "x", "PATHLIKE": "/a:/b"}


def test_parse_text_without_path_uses_placeholder(make_script):
    spec = parse_text(make_script('[tool.runspec]\nname = "s"'))
    assert isinstance(spec, Runspec)
    assert spec.script_path.name == "<string>"


def test_to_dict_and_reprs(write):
    spec = parse(write(FULL))
    data = spec.to_dict()
    assert data["resources"] == {"nodes": 2, "gpus_per_node": 4}
    assert data["env"] == {"NCCL_DEBUG": "INFO"}
    text = str(spec)
    assert "nano3/pretrain" in text and "torchrun" in text and "2 node(s) x 4 GPU(s)" in text
    html = spec._repr_html_()
    assert "nrs-runspec" in html and '<a href="https://example.org/runspec/v1"' in html


def test_unicode_line_separators_inside_values_are_kept(tmp_path: Path, make_script):
    spec = parse_text(make_script('[tool.runspec]\nname = "a\u2028b\x85c"'), tmp_path / "u.py")
    assert spec.name == "a\u2028b\x85c"
