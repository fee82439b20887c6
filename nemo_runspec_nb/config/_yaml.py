"""YAML reading with OmegaConf's scalar rules and errors that name file and line.

Configs are parsed into plain Python containers (not ``DictConfig``): the whole
pipeline (``defaults:`` chains, profiles, overrides, provenance) works on dicts
and builds one ``DictConfig`` at the end, which is what keeps composition close
to the cost of a bare ``OmegaConf.load``.

The loader follows OmegaConf's YAML dialect: ``1e-3`` is a float (YAML 1.1
would read a string), timestamps stay strings, duplicate keys are an error.
It also refuses what a config cannot hold or what would only blow up later:
``!!set`` values, ``null`` keys, recursive aliases, nesting deeper than
:data:`MAX_DEPTH` levels, and aliases that expand the document by more than
:data:`MAX_ALIAS_NODES` nodes (a "billion laughs" file of a few hundred bytes
would otherwise take minutes and gigabytes to compose). Both are checked on
the composed node graph, before anything is built, in time linear in its size.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from .._text import decode_utf8
from ..errors import ConfigError

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


#: How many nodes alias references (``*name``, ``<<: *name``) may add to a document.
#: Real configs reuse a few blocks (hundreds of nodes); OmegaConf builds about ten
#: thousand nodes a second, so this bounds what aliases can cost to seconds.
MAX_ALIAS_NODES = 100_000
#: How deeply mappings and lists may nest (OmegaConf recurses once per level).
MAX_DEPTH = 50


class _DuplicateKeyError(yaml.MarkedYAMLError):  # type: ignore[misc]
    """A mapping names the same key twice."""


class _UnsupportedError(yaml.MarkedYAMLError):  # type: ignore[misc]
    """The document is valid YAML but not a config: a set, a null key, an alias bomb."""


class _ConfigLoader(_Base):  # type: ignore[misc]
    """SafeLoader with OmegaConf's float and timestamp rules; rejects duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:null":
                raise _UnsupportedError(
                    "while constructing a mapping",
                    node.start_mark,
                    "found a null key (a config key must be a string or a number)",
                    key_node.start_mark,
                )
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

    def construct_unsupported_set(self, node: yaml.Node) -> Any:
        """``!!set`` has no config equivalent (OmegaConf holds mappings, lists and scalars)."""
        raise _UnsupportedError(
            None, None, "found a !!set value (a config holds mappings, lists and scalars)", node.start_mark
        )


def _check_graph(root: yaml.Node) -> None:
    """Refuse recursive aliases, deep nesting and alias expansion beyond the limits.

    Visits each distinct node once (aliases share nodes) and computes how many
    nodes the document has, and how deeply it nests, once every alias is expanded.
    """
    expanded: dict[int, int] = {}  # id(node) -> size of its subtree with aliases expanded
    height: dict[int, int] = {}  # id(node) -> levels of mappings/lists in it, aliases expanded
    on_path: set[int] = set()
    distinct = 0
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            children = _children(node)
            expanded[key] = 1 + sum(expanded[id(c)] for c in children)
            height[key] = 1 + max((height[id(c)] for c in children), default=0)
            if height[key] > MAX_DEPTH:  # an alias can nest a shallow anchor deep down
                raise _UnsupportedError(
                    None, None, f"mappings and lists nest deeper than {MAX_DEPTH} levels", node.start_mark
                )
            # Never more than the final count: every node not yet seen adds at least itself.
            if expanded[key] - distinct > MAX_ALIAS_NODES:
                raise _UnsupportedError(
                    None,
                    None,
                    f"aliases expand this document past {MAX_ALIAS_NODES:,} extra nodes",
                    node.start_mark,
                )
            continue
        if key in expanded:
            continue
        distinct += 1
        if not isinstance(node, yaml.CollectionNode):
            expanded[key], height[key] = 1, 0
            continue
        if depth > MAX_DEPTH:
            raise _UnsupportedError(
                None, None, f"mappings and lists nest deeper than {MAX_DEPTH} levels", node.start_mark
            )
        on_path.add(key)
        stack.append((node, depth, True))
        for child in _children(node):
            if id(child) in on_path:
                raise _UnsupportedError(
                    None, None, "found a recursive alias (an anchor used inside itself)", child.start_mark
                )
            if id(child) not in expanded:
                stack.append((child, depth + 1, False))


def _children(node: yaml.CollectionNode) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return list(node.value)


_ConfigLoader.add_constructor("tag:yaml.org,2002:set", _ConfigLoader.construct_unsupported_set)
_ConfigLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))
_ConfigLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in pairs if tag != "tag:yaml.org,2002:timestamp"]
    for first, pairs in _ConfigLoader.yaml_implicit_resolvers.items()
}


def yaml_error_line(exc: yaml.YAMLError, text: str | None = None) -> int | None:
    """The 1-based line a YAML error points at, if it has one.

    A reader error (a control character) has only a character position;
    ``text`` turns it into a line.
    """
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        return int(mark.line) + 1
    if isinstance(exc, yaml.reader.ReaderError) and text is not None:
        return text.count("\n", 0, exc.position) + 1
    return None


def _describe(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError):
        parts = [p for p in (exc.context, exc.problem) if p]
        return "; ".join(parts) or "invalid YAML"
    if isinstance(exc, yaml.reader.ReaderError):
        return f"unacceptable character #x{exc.character:04x}: {exc.reason}"
    return str(exc).splitlines()[0] if str(exc) else "invalid YAML"


def _hint(exc: yaml.YAMLError) -> str:
    problem = str(getattr(exc, "problem", "") or "")
    if "aliases expand" in problem:
        return "Write the repeated values out, or use fewer nested aliases"
    if "recursive alias" in problem:
        return "Give the anchor a value that does not refer to itself"
    if "nest deeper" in problem:
        return "Flatten the structure"
    if "!!set" in problem:
        return "Write a list instead, e.g. [a, b]"
    if "null key" in problem:
        return "Name the key, or quote it: 'null': ..."
    return "Fix the YAML syntax at that line"


def parse_yaml_text(text: str) -> Any:
    """Parse YAML text with the config dialect; raises ``yaml.YAMLError``."""
    loader = _ConfigLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_graph(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def yaml_problem(exc: yaml.YAMLError) -> tuple[str, str]:
    """A one-line description of a YAML error and a hint that suggests the fix."""
    return _describe(exc), _hint(exc)


def is_unusable(exc: yaml.YAMLError) -> bool:
    """Whether ``exc`` is valid YAML that no config can hold (a set, a null key, an alias bomb)."""
    return isinstance(exc, _UnsupportedError)


def load_yaml_file(path: Path) -> Any:
    """Read one YAML (or ``.json``) file; a syntax error becomes a ``ConfigError`` naming file and line."""
    text = decode_utf8(path.read_bytes(), path=path, error=ConfigError, hint="Save the file as UTF-8")
    if path.suffix == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"invalid JSON: {exc.msg}",
                path=path,
                line=exc.lineno,
                hint="Fix the JSON syntax at that line",
            ) from None
    try:
        return parse_yaml_text(text)
    except yaml.YAMLError as exc:
        what = "not a usable config" if isinstance(exc, _UnsupportedError) else "invalid YAML"
        raise ConfigError(
            f"{what}: {_describe(exc)}",
            path=path,
            line=yaml_error_line(exc, text),
            hint=_hint(exc),
        ) from None
