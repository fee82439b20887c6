"""Checked overrides: the dotlist grammar, YAML values, list indices, mapping overrides."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from omegaconf import OmegaConf

from nemo_runspec_nb.config import apply_dotlist_overrides, apply_mapping_overrides, parse_override
from nemo_runspec_nb.errors import OverrideError


@pytest.fixture
def cfg():
    return OmegaConf.create(
        {
            "train": {"lr": 0.1, "steps": 100, "optim": {"name": "adam", "betas": [0.9, 0.99]}},
            "data": {"paths": ["/a", "/b"], "blend": [{"w": 1}, {"w": 2}]},
            "name": "run",
            "note": None,
        }
    )


def apply(cfg, *tokens):
    return OmegaConf.to_container(apply_dotlist_overrides(cfg, list(tokens)), resolve=False)


# --------------------------------------------------------------------------- set


def test_set_an_existing_key(cfg):
    assert apply(cfg, "train.lr=0.5")["train"]["lr"] == 0.5


def test_the_input_config_is_not_modified(cfg):
    apply(cfg, "train.lr=0.5", "~name")
    assert cfg.train.lr == 0.1 and cfg.name == "run"


def test_set_an_unknown_key_says_did_you_mean(cfg):
    with pytest.raises(OverrideError) as info:
        apply(cfg, "train.lrr=0.5")
    error = info.value
    assert isinstance(error, ValueError)
    assert error.key == "train.lrr"
    assert "'train.lrr' is not in the config" in str(error)
    assert "Did you mean 'train.lr'?" in str(error)
    assert "+train.lrr=0.5" in str(error)


def test_unknown_top_level_key(cfg):
    with pytest.raises(OverrideError, match=r"Did you mean 'train'\?"):
        apply(cfg, "trian.lr=1")


def test_descending_into_a_scalar_is_an_error(cfg):
    with pytest.raises(OverrideError, match=r"'name' is a str value, not a mapping or list") as info:
        apply(cfg, "name.first=x")
    assert info.value.key == "name.first"


def test_setting_a_mapping_merges_it(cfg):
    out = apply(cfg, "train.optim={name: sgd}")
    assert out["train"]["optim"] == {"name": "sgd", "betas": [0.9, 0.99]}


def test_key_set_to_null_can_be_set(cfg):
    assert apply(cfg, "note=hello")["note"] == "hello"


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[1,2]", [1, 2]),
        ("{k: 1}", {"k": 1}),
        ("'quoted str'", "quoted str"),
        ('"7"', "7"),
        ("null", None),
        ("1e-3", 0.001),
        ("true", True),
        ("42", 42),
        ("plain words", "plain words"),
        ("", ""),
        ("${oc.env:HOME}", "${oc.env:HOME}"),
        ("${art:data,path}/x", "${art:data,path}/x"),
        ("a=b", "a=b"),
        ("@home", "@home"),
    ],
)
def test_values_are_parsed_as_yaml(cfg, text, expected):
    assert apply(cfg, f"name={text}")["name"] == expected


def test_a_broken_flow_value_names_the_token_and_position(cfg):
    with pytest.raises(OverrideError) as info:
        apply(cfg, "name=[1,2")
    message = str(info.value)
    assert "malformed override 'name=[1,2'" in message
    assert "at position" in message
    assert info.value.key == "name=[1,2"


# --------------------------------------------------------------------------- add / force add / delete


def test_plus_adds_a_new_key_with_its_parents(cfg):
    out = apply(cfg, "+train.sched.kind=cosine")
    assert out["train"]["sched"] == {"kind": "cosine"}


def test_plus_on_an_existing_key_is_an_error(cfg):
    with pytest.raises(OverrideError, match=r"'train.lr' already exists") as info:
        apply(cfg, "+train.lr=1")
    assert "++train.lr=" in str(info.value)
    assert info.value.key == "train.lr"


def test_double_plus_adds_or_replaces(cfg):
    out = apply(cfg, "++train.lr=1", "++train.new=2")
    assert (out["train"]["lr"], out["train"]["new"]) == (1, 2)


def test_tilde_deletes(cfg):
    out = apply(cfg, "~train.optim", "~name")
    assert "optim" not in out["train"] and "name" not in out


def test_tilde_with_value_deletes_only_on_match(cfg):
    assert "name" not in apply(cfg, "~name=run")
    with pytest.raises(OverrideError, match=r"'name' is 'run', not 'other'"):
        apply(cfg, "~name=other")


def test_tilde_of_a_missing_key_suggests(cfg):
    with pytest.raises(OverrideError, match=r"Did you mean 'train.steps'\?") as info:
        apply(cfg, "~train.step")
    assert "+" not in info.value.hint  # no "use +key" advice for a delete


# --------------------------------------------------------------------------- lists


def test_list_items_by_bracket_index(cfg):
    assert apply(cfg, "data.paths[0]=/z")["data"]["paths"] == ["/z", "/b"]


def test_list_items_by_dotted_index(cfg):
    assert apply(cfg, "data.paths.1=/z")["data"]["paths"] == ["/a", "/z"]


def test_negative_index(cfg):
    assert apply(cfg, "data.paths[-1]=/z")["data"]["paths"] == ["/a", "/z"]


def test_into_a_mapping_inside_a_list(cfg):
    assert apply(cfg, "data.blend[1].w=5")["data"]["blend"] == [{"w": 1}, {"w": 5}]
    assert apply(cfg, "data.blend.0.w=7")["data"]["blend"][0] == {"w": 7}


def test_index_out_of_range(cfg):
    with pytest.raises(OverrideError, match=r"index 5 is out of range for 'data.paths' \(length 2\)") as info:
        apply(cfg, "data.paths[5]=x")
    assert "0..1" in str(info.value)


def test_non_integer_segment_on_a_list(cfg):
    with pytest.raises(OverrideError, match=r"'data.paths' is a list; 'first' is not an index"):
        apply(cfg, "data.paths.first=x")


def test_delete_a_list_item(cfg):
    assert apply(cfg, "~data.paths[0]")["data"]["paths"] == ["/b"]


# --------------------------------------------------------------------------- grammar


@pytest.mark.parametrize(
    ("token", "position", "why"),
    [
        ("=1", 0, "expected a key"),
        ("a..b=1", 2, "empty key segment"),
        (".a=1", 0, "empty key segment"),
        ("a.=1", 2, "empty key segment"),
        ("+++a=1", 2, "unexpected '+'"),
        ("~", 1, "expected a key"),
        ("a b=1", 1, "whitespace in a key"),
        ("a[x]=1", 2, "list index must be an integer"),
        ("a[0=1", 1, "without a closing"),
        ("train.lr", 8, "missing '=VALUE'"),
        ("a]b=1", 1, "unexpected ']'"),
    ],
)
def test_malformed_tokens_name_the_token_and_position(token, position, why):
    with pytest.raises(OverrideError) as info:
        parse_override(token)
    message = str(info.value)
    assert f"malformed override '{token}' at position {position}" in message
    assert why in message
    assert info.value.key == token


def test_parse_override_fields():
    parsed = parse_override("++a.b[2].c=[1]")
    assert (parsed.op, parsed.key, parsed.path, parsed.value) == (
        "force_add",
        "a.b[2].c",
        ("a", "b", 2, "c"),
        [1],
    )
    assert parse_override("~x").has_value is False
    assert parse_override("x==y").value == "=y"


def test_a_non_string_override_is_rejected():
    with pytest.raises(OverrideError, match="must be a string"):
        parse_override(3)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- mapping overrides


def test_a_nested_mapping_is_a_set_of_leaf_overrides(cfg):
    out = OmegaConf.to_container(
        apply_mapping_overrides(cfg, {"train": {"lr": 0.2, "optim": {"name": "sgd"}}})
    )
    assert out["train"]["lr"] == 0.2
    assert out["train"]["optim"] == {"name": "sgd", "betas": [0.9, 0.99]}
    assert out["train"]["steps"] == 100


def test_yaml_text_as_in_a_cell_body(cfg):
    cell = "train:\n  lr: 0.3\ndata.paths: [/x]\n'+extra': {k: 1}\n'~name': null\n"
    out = OmegaConf.to_container(apply_mapping_overrides(cfg, cell))
    assert out["train"]["lr"] == 0.3
    assert out["data"]["paths"] == ["/x"]
    assert out["extra"] == {"k": 1}
    assert "name" not in out


def test_a_mapping_onto_a_scalar_replaces_it_when_the_key_exists(cfg):
    out = OmegaConf.to_container(apply_mapping_overrides(cfg, {"note": {"a": 1}}))
    assert out["note"] == {"a": 1}


def test_mapping_overrides_get_the_same_checks(cfg):
    with pytest.raises(OverrideError) as info:
        apply_mapping_overrides(cfg, "train:\n  lrr: 1\n")
    assert info.value.key == "train.lrr"
    assert "Did you mean 'train.lr'?" in str(info.value)


def test_a_mapping_adding_an_existing_key_is_an_error(cfg):
    with pytest.raises(OverrideError, match="already exists"):
        apply_mapping_overrides(cfg, {"+train.lr": 1})


def test_invalid_cell_yaml_names_the_line(cfg):
    with pytest.raises(OverrideError) as info:
        apply_mapping_overrides(cfg, "train:\n  lr: [1\n")
    assert info.value.line is not None
    assert "override cell is not valid YAML" in str(info.value)


def test_a_cell_that_is_not_a_mapping(cfg):
    with pytest.raises(OverrideError, match="must be a YAML mapping, not a list"):
        apply_mapping_overrides(cfg, "- a\n- b\n")


def test_an_empty_cell_changes_nothing(cfg):
    assert apply_mapping_overrides(cfg, "  \n") == cfg


# --------------------------------------------------------------------------- properties

_keys = st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True)
_scalars = st.one_of(
    st.integers(-(10**6), 10**6),
    st.booleans(),
    st.none(),
    st.text(st.characters(min_codepoint=97, max_codepoint=122), min_size=1, max_size=8).filter(
        lambda s: s not in {"null", "true", "false", "yes", "no", "on", "off", "y", "n"}
    ),
)


@settings(max_examples=150, deadline=None)
@given(path=st.lists(_keys, min_size=1, max_size=4), value=_scalars)
def test_force_add_then_read_back_any_scalar(path, value):
    key = ".".join(path)
    token = f"++{key}={'null' if value is None else str(value).lower() if isinstance(value, bool) else value}"
    out = apply_dotlist_overrides(OmegaConf.create({}), [token])
    assert OmegaConf.select(out, key) == value


@settings(max_examples=300, deadline=None)
@given(token=st.text(max_size=30))
def test_any_text_either_parses_or_raises_override_error(token):
    try:
        parsed = parse_override(token)
    except OverrideError as exc:
        assert token in str(exc) or str(token) == exc.key
    else:
        assert parsed.path and parsed.op in {"set", "add", "force_add", "delete"}


@settings(max_examples=100, deadline=None)
@given(items=st.lists(st.integers(-100, 100), min_size=1, max_size=6), data=st.data())
def test_index_set_changes_exactly_one_item(items, data):
    index = data.draw(st.integers(0, len(items) - 1))
    out = apply_dotlist_overrides(OmegaConf.create({"xs": items}), [f"xs[{index}]=999"])
    expected = list(items)
    expected[index] = 999
    assert list(out.xs) == expected
