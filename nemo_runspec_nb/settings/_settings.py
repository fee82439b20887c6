"""Typed settings for recipe scripts: a YAML config, the script's arguments, a pydantic model.

Inside a job (or run by hand), a recipe script reads its train.yaml as a typed object::

    class Optim(BaseModel):
        lr: float = 3e-4

    class Train(RecipeSettings):
        steps: int
        optim: Optim = Optim()

    cfg = load_config("train.yaml", sys.argv[1:], Train)

Precedence, highest first: the arguments, the YAML (with its ``defaults:`` chain), environment
variables ``RECIPE_<FIELD>`` (``RECIPE_OPTIM__LR`` for nested fields), the model's defaults.
``${oc.env:NAME}`` without a default must be set: every missing one is named at once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, overload

from pydantic import BaseModel, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from ..config import apply_dotlist_overrides
from ..config import load_config as load_config_tree
from ..config._env_file import ENV_REF
from ..errors import ConfigError, did_you_mean
from ._argv import to_dotlist

if TYPE_CHECKING:
    from omegaconf import DictConfig

ModelT = TypeVar("ModelT", bound=BaseModel)


class RecipeSettings(BaseSettings):
    """Base class for a recipe's typed config: unknown keys are errors, ``RECIPE_*`` env fills gaps."""

    model_config = SettingsConfigDict(
        env_prefix="RECIPE_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )


def _key_lines(path: Path) -> dict[str, int]:
    """The 1-based line of each dotted key written in ``path`` itself (not its bases)."""
    import yaml

    try:
        root = yaml.compose(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    lines: dict[str, int] = {}
    stack: list[tuple[str, Any]] = [("", root)]
    while stack:
        prefix, node = stack.pop()
        if not isinstance(node, yaml.MappingNode):
            continue
        for key_node, value_node in node.value:
            key = f"{prefix}{key_node.value}"
            lines[key] = key_node.start_mark.line + 1
            stack.append((key + ".", value_node))
    return lines


def _missing_env(data: Any, prefix: str = "") -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if isinstance(data, Mapping):
        for key, value in data.items():
            found += _missing_env(value, f"{prefix}{key}.")
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _missing_env(value, f"{prefix}{index}.")
    elif isinstance(data, str):
        unset = [m.group(1) for m in ENV_REF.finditer(data) if m.group(2) is None]  # no default
        found += [(prefix.rstrip("."), name) for name in unset if name not in os.environ]
    return found


def _resolved(config: DictConfig, path: Path) -> dict[str, Any]:
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    raw = OmegaConf.to_container(config, resolve=False)
    missing = _missing_env(raw)
    if missing:
        lines = _key_lines(path)
        first_key, name = missing[0]
        names = ", ".join(sorted({var for _, var in missing}))
        listing = "; ".join(f"{key} needs ${{oc.env:{var}}}" for key, var in missing)
        raise ConfigError(
            f"environment variables not set: {names} ({listing})",
            path=path,
            line=lines.get(first_key),
            key=first_key,
            hint=f"export {name}=... before running, or give a default: ${{oc.env:{name},value}}",
        )
    try:
        resolved = OmegaConf.to_container(config, resolve=True)
    except OmegaConfBaseException as exc:
        key = str(getattr(exc, "full_key", "") or "") or None
        raise ConfigError(
            f"cannot resolve: {str(exc).splitlines()[0]}",
            path=path,
            line=_key_lines(path).get(key or ""),
            key=key,
            hint="Fix the ${...} interpolation at that key",
        ) from None
    assert isinstance(resolved, dict)
    return {str(k): v for k, v in resolved.items()}


def _unknown_keys(model: type[BaseModel], data: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """``(dotted key, problem)`` for each key no field takes, nested models included.

    A nested plain ``BaseModel`` ignores unknown keys by default; a recipe's typo must not vanish,
    so every level is checked unless its model says ``extra="allow"``.
    """
    if model.model_config.get("extra") == "allow":
        return []
    fields = model.model_fields
    names = set(fields) | {f.alias for f in fields.values() if f.alias}
    found: list[tuple[str, str]] = []
    for key, value in data.items():
        if key not in names:
            suggestion = did_you_mean(str(key), sorted(fields))
            found.append(
                (
                    f"{prefix}{key}",
                    f"not a field of {model.__name__}" + (f" ({suggestion})" if suggestion else ""),
                )
            )
            continue
        field = fields.get(key)
        annotation = field.annotation if field is not None else None
        if isinstance(annotation, type) and issubclass(annotation, BaseModel) and isinstance(value, Mapping):
            found += _unknown_keys(annotation, value, f"{prefix}{key}.")
    return found


def _validation_error(exc: Any, model: type[BaseModel], path: Path) -> ConfigError:
    lines = _key_lines(path)
    problems = []
    first_key: str | None = None
    hint = f"Fix the value in {path.name} or pass key=value; the model is {model.__name__}"
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ())]
        key = ".".join(loc)
        first_key = first_key or key
        message = str(error.get("msg", "invalid"))
        problems.append(f"{key}: {message}")
    if first_key is not None and first_key in lines:
        hint = f"{hint} (see line {lines[first_key]})"
    return ConfigError(
        f"{len(problems)} invalid setting(s): " + "; ".join(problems),
        path=path,
        line=lines.get(first_key or ""),
        key=first_key,
        hint=hint,
    )


@overload
def load_config(
    path: str | os.PathLike[str], overrides: Sequence[str] = ..., model: None = ...
) -> dict[str, Any]: ...
@overload
def load_config(path: str | os.PathLike[str], overrides: Sequence[str], model: type[ModelT]) -> ModelT: ...
def load_config(
    path: str | os.PathLike[str], overrides: Sequence[str] = (), model: type[ModelT] | None = None
) -> ModelT | dict[str, Any]:
    """Load ``path`` (and its ``defaults:`` chain), apply ``overrides``, resolve, validate.

    ``overrides`` are the script's arguments: ``key=value``, ``--key value``, ``--key=value``,
    ``--flag``/``--no-flag``, dotted keys for nesting. Without ``model`` the result is a plain
    dict and an override of a key the YAML lacks is an error; with a model the keys the model
    declares may be set, and the model validates (a :class:`RecipeSettings` also reads
    ``RECIPE_*`` environment variables for what the YAML and arguments leave unset).

    Raises:
        ConfigNotFoundError: ``path`` does not exist.
        OverrideError: a malformed argument, or (without a model) a key the config lacks.
        ConfigError: a required ``${oc.env:NAME}`` is unset, an interpolation fails, or the
            model rejects a value (each problem named by key, with the file and line).

    """
    file = Path(path)
    tree = load_config_tree(file)
    tokens = to_dotlist(overrides)
    if tokens:
        tree = apply_dotlist_overrides(tree, tokens, source="cli", mode="strict" if model is None else "open")
    data = _resolved(tree, file)
    if model is None:
        return data
    unknown = _unknown_keys(model, data)
    if unknown:
        lines = _key_lines(file)
        listing = "; ".join(f"{key}: {problem}" for key, problem in unknown)
        raise ConfigError(
            listing,
            path=file,
            line=lines.get(unknown[0][0]),
            key=unknown[0][0],
            hint="Fix the key's spelling, or add the field to the model",
        )
    try:
        return model(**data)
    except ValidationError as exc:
        raise _validation_error(exc, model, file) from None
