import pytest
from omegaconf import OmegaConf

from nemo_runspec_nb.errors import ConfigError, OverrideError
from nemo_runspec_nb.launch import (
    collect_images,
    inject_wandb,
    parse_task_flags,
    save_config,
    select_tasks,
)

CONFIG = {
    "deployment": {"image": "nvcr.io/nvidia/nemo:25.11", "port": 8000},
    "evaluation": {
        "tasks": [
            {"name": "mmlu", "container": "nvcr.io/eval/lm:1"},
            {"name": "gsm8k", "container": "nvcr.io/eval/lm:1"},
            {"name": "ifeval", "container_image": "nvcr.io/eval/if:2"},
        ]
    },
    "export": {"wandb": {"project": "from-config"}},
}


# ------------------------------------------------------------------ task flags


@pytest.mark.parametrize(
    ("args", "tasks", "rest"),
    [
        (["-t", "mmlu", "-t", "gsm8k"], ["mmlu", "gsm8k"], []),
        (["--task", "mmlu,gsm8k"], ["mmlu", "gsm8k"], []),
        (["--task=mmlu", "--tasks", "ifeval"], ["mmlu", "ifeval"], []),
        (["-tmmlu", "-t=gsm8k"], ["mmlu", "gsm8k"], []),
        (["lr=0.1", "-t", "mmlu", "--dry-run", "x.y=2"], ["mmlu"], ["lr=0.1", "--dry-run", "x.y=2"]),
        (["-t", "mmlu", "--task", "mmlu, gsm8k,"], ["mmlu", "gsm8k"], []),
        (["a=1", "--", "-t", "x"], [], ["a=1", "--", "-t", "x"]),
        ([], [], []),
    ],
)
def test_task_flags_are_collected_and_the_rest_kept(args, tasks, rest):
    assert parse_task_flags(args) == (tasks, rest)


@pytest.mark.parametrize(
    ("args", "flag"), [(["-t"], "-t"), (["--task", "--other"], "--task"), (["--task="], "--task")]
)
def test_task_flags_need_a_value(args, flag):
    with pytest.raises(OverrideError, match=f"{flag} needs a task name") as info:
        parse_task_flags(args)
    assert info.value.key == flag


def test_select_tasks_keeps_the_named_ones_in_config_order():
    selected = select_tasks(CONFIG, ["ifeval", "mmlu"])
    assert [t["name"] for t in selected["evaluation"]["tasks"]] == ["mmlu", "ifeval"]
    assert len(CONFIG["evaluation"]["tasks"]) == 3, "the input is not modified"


def test_select_no_tasks_keeps_all():
    assert select_tasks(CONFIG, []) == CONFIG


def test_select_unknown_task_suggests_a_name():
    with pytest.raises(OverrideError, match="unknown task 'gsm8kk'") as info:
        select_tasks(CONFIG, ["gsm8kk"])
    assert "Did you mean 'gsm8k'?" in info.value.hint
    assert "Available: mmlu, gsm8k, ifeval" in info.value.hint


def test_select_tasks_needs_a_task_list():
    with pytest.raises(ConfigError, match=r"no evaluation\.tasks list"):
        select_tasks({"evaluation": {}}, ["mmlu"])


# ------------------------------------------------------------------ W&B


def test_inject_wandb_fills_missing_keys_and_keeps_the_configs_own():
    result = inject_wandb(CONFIG, {"project": "from-env", "entity": "team"}, run_name="eval-1")
    assert result["export"]["wandb"] == {"project": "from-config", "entity": "team", "name": "eval-1"}
    assert CONFIG["export"]["wandb"] == {"project": "from-config"}


def test_inject_wandb_creates_the_section_and_accepts_omegaconf():
    result = inject_wandb(OmegaConf.create({"a": 1}), {"project": "p", "entity": None})
    assert result == {"a": 1, "export": {"wandb": {"project": "p"}}}


def test_inject_wandb_without_settings_is_a_copy():
    assert inject_wandb(CONFIG, None) == CONFIG


def test_inject_wandb_into_a_non_mapping_is_an_error():
    with pytest.raises(ConfigError, match=r"export\.wandb is not a mapping") as info:
        inject_wandb({"export": {"wandb": "yes"}}, {"project": "p"})
    assert info.value.key == "export.wandb"


def test_inject_wandb_at_a_custom_key():
    assert inject_wandb({}, {"project": "p"}, key="logging.wandb") == {"logging": {"wandb": {"project": "p"}}}


# ------------------------------------------------------------------ save, images


def test_save_config_writes_yaml_and_keeps_interpolations(tmp_path):
    config = OmegaConf.create({"a": 1, "b": "${a}"})
    path = save_config(config, tmp_path / "out" / "eval.yaml")
    assert path.read_text() == "a: 1\nb: ${a}\n"
    assert OmegaConf.load(path).b == 1


def test_save_config_accepts_plain_dicts(tmp_path):
    path = save_config({"tasks": ["mmlu"]}, tmp_path / "eval.yaml")
    assert OmegaConf.to_container(OmegaConf.load(path)) == {"tasks": ["mmlu"]}


def test_collect_images_finds_each_image_once_in_order():
    assert collect_images(CONFIG) == ["nvcr.io/nvidia/nemo:25.11", "nvcr.io/eval/lm:1", "nvcr.io/eval/if:2"]


def test_collect_images_from_omegaconf_with_unresolvable_interpolations():
    config = OmegaConf.create({"x": {"image": "img:1"}, "y": ["${missing}", {"container": "img:2"}]})
    assert collect_images(config) == ["img:1", "img:2"]


def test_collect_images_ignores_non_string_values():
    assert collect_images({"image": None, "container": {"image": ""}, "list": [1, 2]}) == []
