"""Helpers for evaluator recipes: task flags, W&B settings, saving configs, container images.

An evaluator config is a nested mapping (plain dict or OmegaConf) in the
shape of NeMo evaluator launcher configs: tasks under ``evaluation.tasks``
(each a mapping with a ``name``), W&B export settings under
``export.wandb``, and container images under keys named ``image``,
``container`` or ``container_image`` anywhere in the tree.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from ..errors import ConfigError, OverrideError, did_you_mean

__all__ = [
    "IMAGE_KEYS",
    "collect_images",
    "inject_wandb",
    "parse_task_flags",
    "save_config",
    "select_tasks",
]

IMAGE_KEYS: tuple[str, ...] = ("image", "container", "container_image")
_TASK_FLAGS = ("-t", "--task", "--tasks")


def _split_tasks(value: str, flag: str) -> list[str]:
    tasks = [t.strip() for t in value.split(",") if t.strip()]
    if not tasks:
        raise OverrideError(
            f"{flag} needs a task name", key=flag, hint=f"e.g. {flag} mmlu or {flag} mmlu,gsm8k"
        )
    return tasks


def parse_task_flags(args: Sequence[str]) -> tuple[list[str], list[str]]:
    """Pull task selections out of ``args``: ``(tasks, remaining args)``.

    Accepted forms, repeatable and mixable: ``-t a``, ``-ta``, ``--task a``,
    ``--task=a``, ``--tasks a``; each value may list several tasks separated by
    commas. Tasks come back once each, in the order given; everything else
    (overrides, other flags) is returned untouched and in order. Arguments
    after ``--`` are never read as task flags.
    """
    tasks: list[str] = []
    rest: list[str] = []
    items = list(args)
    index = 0
    while index < len(items):
        arg = items[index]
        index += 1
        if arg == "--":
            rest += items[index - 1 :]
            break
        if arg in _TASK_FLAGS:
            if index >= len(items) or items[index].startswith("-"):
                raise OverrideError(f"{arg} needs a task name", key=arg, hint=f"e.g. {arg} mmlu")
            tasks += _split_tasks(items[index], arg)
            index += 1
        elif arg.startswith(("--task=", "--tasks=")):
            flag, _, value = arg.partition("=")
            tasks += _split_tasks(value, flag)
        elif arg.startswith("-t") and not arg.startswith("--"):
            tasks += _split_tasks(arg[2:].removeprefix("="), "-t")
        else:
            rest.append(arg)
    return list(dict.fromkeys(tasks)), rest


def _plain(config: Mapping[str, Any] | DictConfig) -> dict[str, Any]:
    if isinstance(config, DictConfig):
        container = OmegaConf.to_container(config, resolve=False)
        assert isinstance(container, dict)
        return container  # type: ignore[return-value]
    return copy.deepcopy(dict(config))


def select_tasks(config: Mapping[str, Any] | DictConfig, tasks: Iterable[str]) -> dict[str, Any]:
    """A copy of ``config`` whose ``evaluation.tasks`` keeps only ``tasks`` (all when empty).

    A task name the config does not have is an error that lists the available ones.
    """
    wanted = list(tasks)
    result = _plain(config)
    if not wanted:
        return result
    evaluation = result.get("evaluation")
    entries = evaluation.get("tasks") if isinstance(evaluation, dict) else None
    if not isinstance(evaluation, dict) or not isinstance(entries, list):
        raise ConfigError("the config has no evaluation.tasks list to select from", key="evaluation.tasks")
    names = [str(e.get("name")) if isinstance(e, Mapping) else str(e) for e in entries]
    for task in wanted:
        if task not in names:
            hint = f"{did_you_mean(task, names)} Available: {', '.join(names) or '(none)'}".strip()
            raise OverrideError(f"unknown task {task!r}", key="evaluation.tasks", hint=hint)
    evaluation["tasks"] = [e for e, n in zip(entries, names, strict=True) if n in wanted]
    return result


def inject_wandb(
    config: Mapping[str, Any] | DictConfig,
    wandb_config: Mapping[str, Any] | None,
    *,
    run_name: str | None = None,
    key: str = "export.wandb",
) -> dict[str, Any]:
    """A copy of ``config`` with env.toml ``[wandb]`` settings filled in under ``key``.

    ``project`` and ``entity`` (and any other ``[wandb]`` entries) are added
    where the config does not set them already; the config's own values win.
    ``run_name`` becomes ``name`` the same way. With no W&B settings the copy
    is returned unchanged.
    """
    result = _plain(config)
    settings = {k: v for k, v in (wandb_config or {}).items() if v not in (None, "")}
    if run_name:
        settings.setdefault("name", run_name)
    if not settings:
        return result
    node: dict[str, Any] = result
    for part in key.split("."):
        child = node.setdefault(part, {})
        if child is None:
            child = node[part] = {}
        if not isinstance(child, dict):
            raise ConfigError(f"cannot add W&B settings: {key} is not a mapping in the config", key=key)
        node = child
    for name, value in settings.items():
        node.setdefault(name, value)
    return result


def save_config(config: Mapping[str, Any] | DictConfig, path: str | Path) -> Path:
    """Write ``config`` as YAML to ``path`` (parents created, interpolations kept); return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    node = config if isinstance(config, DictConfig) else OmegaConf.create(_plain(config))
    OmegaConf.save(node, path, resolve=False)
    return path


def collect_images(config: Mapping[str, Any] | DictConfig | Sequence[Any]) -> list[str]:
    """Every container image named in ``config`` (values of :data:`IMAGE_KEYS`), once each, in order."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            for name, value in node.items():
                if name in IMAGE_KEYS and isinstance(value, str) and value:
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, (list, tuple)):
            for item in node:
                walk(item)

    if isinstance(config, (DictConfig, ListConfig)):
        walk(OmegaConf.to_container(config, resolve=False))
    else:
        walk(config)
    return list(dict.fromkeys(found))
