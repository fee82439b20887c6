"""redact(): secret-looking values are masked in every preview."""

from __future__ import annotations

import pytest
from omegaconf import DictConfig, OmegaConf

from nemo_runspec_nb.config import MASK, is_secret_key, redact, redact_text


@pytest.mark.parametrize(
    "key",
    [
        "WANDB_API_KEY",
        "hf_token",
        "HF_TOKEN",
        "dbPassword",
        "client_secret",
        "aws_credentials",
        "apikey",
        "key",
    ],
)
def test_secret_looking_keys(key):
    assert is_secret_key(key)


@pytest.mark.parametrize(
    "key", ["max_tokens", "tokenizer", "keyboard", "monkey", "path", "num_tokens_per_step"]
)
def test_ordinary_keys(key):
    assert not is_secret_key(key)


def test_nested_mappings_and_env_vars_are_masked():
    data = {
        "run": {"env": {"env_vars": {"HF_TOKEN": "hf_abc", "PATH": "/bin"}, "account": "acct"}},
        "wandb": {"api_key": "k", "project": "p"},
        "model": {"max_tokens": 4096, "tokenizer": "gpt2"},
    }
    out = redact(data)
    assert out["run"]["env"]["env_vars"] == {"HF_TOKEN": MASK, "PATH": "/bin"}
    assert out["wandb"] == {"api_key": MASK, "project": "p"}
    assert out["model"] == {"max_tokens": 4096, "tokenizer": "gpt2"}
    assert data["wandb"]["api_key"] == "k"  # the input is untouched


def test_everything_under_a_secret_key_is_masked():
    assert redact({"credentials": {"user": "u", "pass": "p"}}) == {
        "credentials": {"user": MASK, "pass": MASK}
    }


def test_assignment_items_in_lists():
    out = redact({"env_vars": ["HF_TOKEN=abc", "PATH=/bin", "plain"]})
    assert out == {"env_vars": ["HF_TOKEN=****", "PATH=/bin", "plain"]}


def test_interpolations_numbers_and_empty_values_stay_visible():
    out = redact({"token": "${oc.env:HF_TOKEN}", "secret_n": 3, "password": "", "api_key": None})
    assert out == {"token": "${oc.env:HF_TOKEN}", "secret_n": 3, "password": "", "api_key": None}
    assert redact({"token": "Bearer ${oc.env:X}"}) == {"token": MASK}


def test_dictconfig_in_dictconfig_out_unresolved():
    cfg = OmegaConf.create({"a": "${b}", "b": 1, "secret": "s"})
    out = redact(cfg)
    assert isinstance(out, DictConfig)
    assert OmegaConf.to_container(out) == {"a": "${b}", "b": 1, "secret": MASK}
    assert cfg.secret == "s"


def test_redact_text_masks_assignments_in_scripts():
    script = "export HF_TOKEN=abc123\nexport PATH=/bin\nWANDB_API_KEY='x y' python train.py --max_tokens=5\n"
    assert redact_text(script) == (
        "export HF_TOKEN=****\nexport PATH=/bin\nWANDB_API_KEY='****' python train.py --max_tokens=5\n"
    )


def test_scalars_and_lists_pass_through():
    assert redact(3) == 3
    assert redact(["a", "b"]) == ["a", "b"]
    assert redact(("HF_TOKEN=x",)) == ("HF_TOKEN=****",)


def test_override_tokens_in_lists_are_masked_by_their_last_key():
    from nemo_runspec_nb.config import redact

    tokens = [
        "+api_token=x1",
        "run.env.env_vars.HF_TOKEN=x2",
        "++a.password=x3",
        "data.rows=3",
        "max_tokens=5",
    ]
    assert redact({"dotlist": tokens})["dotlist"] == [
        "+api_token=****",
        "run.env.env_vars.HF_TOKEN=****",
        "++a.password=****",
        "data.rows=3",
        "max_tokens=5",
    ]
