"""YAML reading with OmegaConf's scalar rules and errors that name file and line.

Configs are parsed into plain Python containers (not ``DictConfig``): the whole
pipeline (``defaults:`` chains, profiles, overrides, provenance) works on dicts
and builds one ``DictConfig`` at the end, which is what keeps composition close
to the cost of a bare ``OmegaConf.load``.

The loader follows OmegaConf's YAML dialect: ``1e-3`` is a float (YAML 1.1
would read a string), timestamps stay strings, duplicate keys are an error.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from nemo_runspec_nb.errors import ConfigError

try:
    _Base: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - pyyaml built without libyaml
    _Base = yaml.SafeLoader

_FLOAT = re.compile(
    r"""^(?:
     [-+]?[0-9]+(?:_[0-9]+)*\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?[0-9]+(?:_[0-9]+)*(?:[eE][-+]?[0-9]+)
    |\.[0-9]+(?:_[0-9]+)*(?:[eE][-+][0-9]+)?
    |[-+]?[0-9]+(?:_[0-9]+)*(?::[0-5]?[0-9])+\.[0-9_]*
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)


class _DuplicateKeyError(yaml.MarkedYAMLError):  # type: ignore[misc]
    """A mapping names the same key twice."""


class _ConfigLoader(_Base):  # type: ignore[misc]
    """SafeLoader with OmegaConf's float and timestamp rules; rejects duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                if key_node.value in seen:
                    raise _DuplicateKeyError(
                        "while constructing a mapping",
                        node.start_mark,
                        f"found duplicate key '{key_node.value}'",
                        key_node.start_mark,
                    )
                seen.add(key_node.value)
        result: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return result


_ConfigLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))
_ConfigLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in pairs if tag != "tag:yaml.org,2002:timestamp"]
    for first, pairs in _ConfigLoader.yaml_implicit_resolvers.items()
}


def yaml_error_line(exc: yaml.YAMLError) -> int | None:
    """The 1-based line a YAML error points at, if it has one."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return int(mark.line) + 1 if mark is not None else None


def _describe(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError):
        parts = [p for p in (exc.context, exc.problem) if p]
        return "; ".join(parts) or "invalid YAML"
    return str(exc).splitlines()[0] if str(exc) else "invalid YAML"


def parse_yaml_text(text: str) -> Any:
    """Parse YAML text with the config dialect; raises ``yaml.YAMLError``."""
    return yaml.load(text, Loader=_ConfigLoader)


def load_yaml_file(path: Path) -> Any:
    """Read one YAML (or ``.json``) file; a syntax error becomes a ``ConfigError`` naming file and line."""
    if path.suffix == ".json":
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"invalid JSON: {exc.msg}",
                path=path,
                line=exc.lineno,
                hint="Fix the JSON syntax at that line",
            ) from None
    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.load(handle, Loader=_ConfigLoader)
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"invalid YAML: {_describe(exc)}",
            path=path,
            line=yaml_error_line(exc),
            hint="Fix the YAML syntax at that line",
        ) from None
