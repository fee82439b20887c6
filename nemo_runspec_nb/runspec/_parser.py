"""Parse and strictly validate a recipe's ``[tool.runspec]`` table.

``parse(path)`` reads a script, cuts its PEP 723 ``script`` block, loads the
TOML and validates ``[tool.runspec]`` into a frozen :class:`Runspec`. Every
problem raises :class:`~nemo_runspec_nb.errors.SpecError` carrying the
script path and the line *in the script* of the offending key.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from ..errors import SpecError, did_you_mean
from ._locate import key_line
from ._models import (
    CONFIG_FORMATS,
    LAUNCH_METHODS,
    OVERRIDE_MODES,
    GpusPerNode,
    Runspec,
    RunspecConfig,
    RunspecResources,
    RunspecRun,
)
from ._pep723 import Block, normalize_text, script_block
from ._toml_subset import loads_subset

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["SUPPORTED_SCHEMAS", "parse", "parse_text"]

SUPPORTED_SCHEMAS = ("1",)

_TOP_KEYS = ("schema", "docs", "name", "image", "setup", "run", "config", "resources", "env")
_RUN_KEYS = ("launch", "cmd", "workdir")
_CONFIG_KEYS = ("dir", "default", "format", "overrides")
_RESOURCE_KEYS = ("nodes", "gpus_per_node")
_TOML_LINE_RE = re.compile(r"\(at line (\d+), column (\d+)\)")
_ROOT = ("tool", "runspec")


class _Checker:
    """Validates one block; knows how to point at a key's line in the script."""

    def __init__(self, block: Block, path: Path | None) -> None:
        self.block = block
        self.path = path

    def fail(self, keys: tuple[str, ...], message: str, hint: str = "") -> SpecError:
        line = key_line(self.block.toml, keys)
        script_line = self.block.script_line(line) if line is not None else self.block.start_line
        return SpecError(message, path=self.path, line=script_line, key=".".join(keys), hint=hint)

    def table(self, value: Any, keys: tuple[str, ...], allowed: tuple[str, ...] | None) -> dict[str, Any]:
        name = ".".join(keys)
        if not isinstance(value, dict):
            raise self.fail(
                keys,
                f"[{name}] must be a table, got {_type_name(value)}",
                f"Write it as a [{name}] section",
            )
        if allowed is not None:
            for key in value:
                if key not in allowed:
                    hint = did_you_mean(key, allowed) or f"Valid keys: {', '.join(allowed)}"
                    raise self.fail(keys + (key,), f"unknown key '{key}' in [{name}]", hint)
        return value

    def string(self, table: Mapping[str, Any], keys: tuple[str, ...], default: str | None) -> str | None:
        value = table.get(keys[-1], default)
        if value is not None and not isinstance(value, str):
            raise self.fail(
                keys,
                f"'{'.'.join(keys)}' must be a string, got {_type_name(value)} {value!r}",
                f'Quote it: {keys[-1]} = "{value}"',
            )
        return value

    def choice(
        self, table: Mapping[str, Any], keys: tuple[str, ...], default: str, allowed: tuple[str, ...]
    ) -> str:
        value = self.string(table, keys, default)
        assert value is not None
        if value not in allowed:
            hint = did_you_mean(value, allowed) or ""
            hint = f"{hint} Valid values: {', '.join(allowed)}".strip()
            raise self.fail(keys, f"'{'.'.join(keys)}' = {value!r} is not one of the valid values", hint)
        return value

    def count(self, table: Mapping[str, Any], keys: tuple[str, ...], default: int, minimum: int) -> int:
        value = table.get(keys[-1], default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(
                keys,
                f"'{'.'.join(keys)}' must be a whole number, got {_type_name(value)} {value!r}",
                f"Write it as {keys[-1]} = {max(default, minimum)}",
            )
        if value < minimum:
            raise self.fail(keys, f"'{'.'.join(keys)}' must be >= {minimum}, got {value}")
        return value


def _type_name(value: object) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a float",
        str: "a string",
        list: "an array",
        dict: "a table",
    }.get(type(value), type(value).__name__)


def _has_table(data: dict[str, Any]) -> bool:
    tool = data.get("tool")
    return isinstance(tool, dict) and "runspec" in tool


def _build(block: Block, data: dict[str, Any], script: Path) -> Runspec:
    check = _Checker(block, script)
    tool = data.get("tool")
    if not isinstance(tool, dict) or "runspec" not in tool:
        raise SpecError(
            "the '# /// script' block has no [tool.runspec] table",
            path=script,
            line=block.start_line,
            hint='Add a [tool.runspec] table with at least name = "..."',
        )
    spec = check.table(tool["runspec"], _ROOT, _TOP_KEYS)

    schema = spec.get("schema", "1")
    if isinstance(schema, int) and not isinstance(schema, bool):
        raise check.fail(
            _ROOT + ("schema",), f"'schema' must be a string, got {schema}", f'Write schema = "{schema}"'
        )
    schema = check.string(spec, _ROOT + ("schema",), "1")
    if schema not in SUPPORTED_SCHEMAS:
        raise check.fail(
            _ROOT + ("schema",),
            f"unsupported runspec schema {schema!r}",
            f"This version reads schema {', '.join(repr(s) for s in SUPPORTED_SCHEMAS)}",
        )

    run_t = check.table(spec.get("run", {}), _ROOT + ("run",), _RUN_KEYS)
    cfg_t = check.table(spec.get("config", {}), _ROOT + ("config",), _CONFIG_KEYS)
    res_t = check.table(spec.get("resources", {}), _ROOT + ("resources",), _RESOURCE_KEYS)
    env_t = check.table(spec.get("env", {}), _ROOT + ("env",), None)

    run = RunspecRun(
        launch=cast(Any, check.choice(run_t, _ROOT + ("run", "launch"), "torchrun", LAUNCH_METHODS)),
        cmd=check.string(run_t, _ROOT + ("run", "cmd"), None),
        workdir=check.string(run_t, _ROOT + ("run", "workdir"), None),
    )
    config_dir = check.string(cfg_t, _ROOT + ("config", "dir"), "./config")
    config_default = check.string(cfg_t, _ROOT + ("config", "default"), "default")
    if not config_dir:
        raise check.fail(
            _ROOT + ("config", "dir"), "'config.dir' is empty", 'Use dir = "./config" or remove the key'
        )
    if not config_default:
        raise check.fail(
            _ROOT + ("config", "default"),
            "'config.default' is empty",
            'Use default = "default" or remove the key',
        )
    config = RunspecConfig(
        dir=config_dir,
        default=config_default,
        format=cast(Any, check.choice(cfg_t, _ROOT + ("config", "format"), "omegaconf", CONFIG_FORMATS)),
        overrides=cast(Any, check.choice(cfg_t, _ROOT + ("config", "overrides"), "strict", OVERRIDE_MODES)),
    )

    gpus_key = _ROOT + ("resources", "gpus_per_node")
    gpus: GpusPerNode
    if res_t.get("gpus_per_node") == "gpu":
        gpus = "gpu"
    elif isinstance(res_t.get("gpus_per_node"), str):
        raise check.fail(
            gpus_key,
            f"'resources.gpus_per_node' must be a whole number or \"gpu\", got {res_t['gpus_per_node']!r}",
            'Use a count such as 8, 0 for CPU only, or "gpu" for every GPU of the node',
        )
    else:
        gpus = check.count(res_t, gpus_key, 8, 0)
    resources = RunspecResources(
        nodes=check.count(res_t, _ROOT + ("resources", "nodes"), 1, 1), gpus_per_node=gpus
    )

    env: dict[str, str] = {}
    for key, value in env_t.items():
        if not isinstance(value, str):
            raise check.fail(
                _ROOT + ("env", key),
                f"env var '{key}' must be a string, got {_type_name(value)} {value!r}",
                f'Quote it: {key} = "{value}"',
            )
        env[key] = value

    setup = check.string(spec, _ROOT + ("setup",), "")
    return Runspec(
        script_path=script,
        schema=schema or "1",
        docs=check.string(spec, _ROOT + ("docs",), "") or "",
        name=check.string(spec, _ROOT + ("name",), "") or "",
        image=check.string(spec, _ROOT + ("image",), None),
        setup=(setup or "").strip(),
        run=run,
        config=config,
        resources=resources,
        env=env,
    )


def _load_toml(block: Block, script: Path) -> dict[str, Any]:
    plain = loads_subset(block.toml)  # the common case, several times faster than tomllib
    if plain is not None:
        return plain
    try:
        return tomllib.loads(block.toml)
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise SpecError(
            "the '# /// script' block nests arrays or inline tables too deeply",
            path=script,
            line=block.start_line,
            hint="Flatten the nested values",
        ) from None
    except tomllib.TOMLDecodeError as exc:
        text = str(exc)
        found = _TOML_LINE_RE.search(text)
        line = block.script_line(int(found.group(1))) if found else block.start_line
        reason = _TOML_LINE_RE.sub("", text).strip()
        raise SpecError(
            f"invalid TOML in the '# /// script' block: {reason}",
            path=script,
            line=line,
            hint="Check quoting and brackets on that line",
        ) from None


def _parse(text: str, script: Path, *, recipes_only: bool = False) -> Runspec | None:
    text = normalize_text(text)
    block = script_block(text, script)
    if block is None:
        if recipes_only:
            return None
        raise SpecError(
            "no PEP 723 '# /// script' block found",
            path=script,
            hint="Start the file with '# /// script', a [tool.runspec] table in '# ' lines, and '# ///'",
        )
    data = _load_toml(block, script)
    if recipes_only and not _has_table(data):
        return None
    return _build(block, data, script)


def parse_text(text: str, path: str | Path | None = None) -> Runspec:
    """Parse a script given as text. ``path`` names it in errors and anchors ``config_dir``."""
    script = Path(path).absolute() if path is not None else Path("<string>").absolute()
    spec = _parse(text, script)
    assert spec is not None
    return spec


def parse(path: str | Path) -> Runspec:
    """Parse the recipe script at ``path`` into a :class:`Runspec`.

    Raises ``FileNotFoundError`` for a missing file and ``SpecError`` for any
    problem with its block.
    """
    script = Path(path)
    try:
        raw = script.read_bytes()
    except IsADirectoryError:
        raise SpecError(f"{script} is a directory, not a recipe script", path=script) from None
    spec = parse_bytes(raw, script)
    assert spec is not None
    return spec


def parse_bytes(raw: bytes, path: Path, *, recipes_only: bool = False) -> Runspec | None:
    """Parse already-read script bytes (UTF-8, BOM allowed).

    With ``recipes_only`` a script without a ``[tool.runspec]`` table (a plain
    PEP 723 script) gives None instead of an error; discovery uses that.
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecError(
            f"not valid UTF-8 (byte {exc.start}: {exc.reason})",
            path=path,
            line=raw.count(b"\n", 0, exc.start) + 1,
            hint="Save the script as UTF-8",
        ) from None
    return _parse(text, path.absolute(), recipes_only=recipes_only)
