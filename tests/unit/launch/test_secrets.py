import os
import stat
import subprocess

import pytest

from nemo_runspec_nb.errors import LaunchError
from nemo_runspec_nb.launch._secrets import (
    SECRET_FILE_NAME,
    is_secret_name,
    secret_preamble,
    split_secret_env,
    write_secret_file,
)


@pytest.mark.parametrize(
    "name",
    [
        "WANDB_API_KEY",
        "HF_TOKEN",
        "AWS_SECRET_ACCESS_KEY",
        "DB_PASSWORD",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "hf_token",
        "hfToken",
        "NGC_APIKEY",
        "my-secret",
        "KEY",
        "SSH_KEY",
        "apiKey",
        "MYSQL_PASSWD",
    ],
)
def test_names_with_a_secret_word_are_secret(name):
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name",
    ["KEYBOARD_LAYOUT", "MONKEY", "TOKENIZERS_PARALLELISM", "PATH", "WANDB_PROJECT", "HOME", "PWD", ""],
)
def test_words_merely_containing_a_secret_word_are_not_secret(name):
    assert not is_secret_name(name)


def test_split_keeps_order_and_sends_secret_names_to_the_second_dict():
    env = {"WANDB_PROJECT": "p", "WANDB_API_KEY": "k", "HF_TOKEN": "t", "OMP_NUM_THREADS": "1"}
    public, secret = split_secret_env(env)
    assert public == {"WANDB_PROJECT": "p", "OMP_NUM_THREADS": "1"}
    assert list(secret) == ["WANDB_API_KEY", "HF_TOKEN"]


def test_split_can_force_extra_names_secret():
    public, secret = split_secret_env({"DSN": "postgres://u:p@h", "A": "1"}, extra_secret_names={"DSN"})
    assert public == {"A": "1"}
    assert secret == {"DSN": "postgres://u:p@h"}


def test_secret_file_is_owner_only_and_shell_sourceable(tmp_path):
    secrets = {"HF_TOKEN": "a'b c$HOME\"`x`", "WANDB_API_KEY": "line1\nline2"}
    path = write_secret_file(tmp_path / "job", secrets)
    assert path == tmp_path / "job" / SECRET_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    script = secret_preamble(path) + 'printf "%s|%s" "$HF_TOKEN" "$WANDB_API_KEY"'
    for _run in range(2):  # a requeued job sources it again
        out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
        assert out.stdout == "a'b c$HOME\"`x`|line1\nline2"
        assert path.exists(), "the preamble leaves the file for a requeued job"
    once = secret_preamble(path, remove=True) + 'printf "%s" "$HF_TOKEN"'
    out = subprocess.run(["bash", "-c", once], capture_output=True, text=True, check=True)
    assert out.stdout == "a'b c$HOME\"`x`"
    assert not path.exists(), "remove=True deletes the file after sourcing it"


def test_secret_file_mode_ignores_a_permissive_umask(tmp_path):
    old = os.umask(0)
    try:
        path = write_secret_file(tmp_path, {"T_TOKEN": "v"})
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_preamble_never_contains_the_values(tmp_path):
    path = write_secret_file(tmp_path, {"HF_TOKEN": "hf_supersecret"})
    preamble = secret_preamble(path)
    assert "hf_supersecret" not in preamble
    assert str(path) in preamble


def test_preamble_reports_a_missing_file_on_stderr_and_continues(tmp_path):
    script = secret_preamble(tmp_path / "gone.sh") + "echo after"
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout == "after\n"
    assert "secrets file not found" in out.stderr


def test_an_existing_secret_file_is_not_overwritten(tmp_path):
    write_secret_file(tmp_path, {"A_TOKEN": "1"})
    with pytest.raises(LaunchError, match="a secrets file already exists") as info:
        write_secret_file(tmp_path, {"A_TOKEN": "2"})
    assert info.value.path == tmp_path / SECRET_FILE_NAME


def test_invalid_variable_names_are_refused(tmp_path):
    with pytest.raises(LaunchError, match=r"'1BAD-TOKEN'.*not a valid environment variable name") as info:
        write_secret_file(tmp_path, {"1BAD-TOKEN": "x"})
    assert info.value.key == "1BAD-TOKEN"
    assert not (tmp_path / SECRET_FILE_NAME).exists()


@pytest.mark.parametrize("name", ["WANDB_API_KEY", "KEYBOARD_LAYOUT", "dbPassword", "max_tokens", "SSH_KEYS"])
def test_routing_agrees_with_preview_redaction(name):
    from nemo_runspec_nb.config import is_secret_key

    assert is_secret_name(name) == is_secret_key(name)
