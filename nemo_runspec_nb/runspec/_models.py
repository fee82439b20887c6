"""Immutable models of a recipe's ``[tool.runspec]`` table (schema v1)."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

Launch = Literal["torchrun", "ray", "direct", "python"]
ConfigFormat = Literal["omegaconf", "yaml", "json"]
GpusPerNode = int | Literal["gpu"]
OverrideMode = Literal["strict", "open"]

LAUNCH_METHODS: tuple[str, ...] = ("torchrun", "ray", "direct", "python")
CONFIG_FORMATS: tuple[str, ...] = ("omegaconf", "yaml", "json")
OVERRIDE_MODES: tuple[str, ...] = ("strict", "open")
DEFAULT_CMD = "python {script} --config {config}"

_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class RunspecRun:
    """How the script is launched (``[tool.runspec.run]``).

    ``launch = "python"`` is accepted as a synonym of ``"direct"`` (plain
    python); :attr:`is_direct` covers both.
    """

    launch: Launch = "torchrun"
    cmd: str | None = None
    workdir: str | None = None

    @property
    def is_direct(self) -> bool:
        """True for ``direct`` and its synonym ``python``."""
        return self.launch in ("direct", "python")


@dataclass(frozen=True)
class RunspecConfig:
    """Where the recipe's configs live (``[tool.runspec.config]``).

    ``overrides`` says how overrides of keys the YAML lacks are treated:
    ``"strict"`` (an error unless written ``+key=...``; right for a complete
    config) or ``"open"`` (added and marked as new; right for a partial YAML
    over a config the recipe builds in code). A typo of an existing key is an
    error in both modes.
    """

    dir: str = "./config"
    default: str = "default"
    format: ConfigFormat = "omegaconf"
    overrides: OverrideMode = "strict"


@dataclass(frozen=True)
class RunspecResources:
    """Default resources (``[tool.runspec.resources]``).

    ``gpus_per_node = "gpu"`` means every GPU of the node: the profile or the
    cluster decides the count. ``0`` is a CPU-only recipe.
    """

    nodes: int = 1
    gpus_per_node: GpusPerNode = 8


@dataclass(frozen=True)
class Runspec:
    """A recipe script's self-description, parsed from its PEP 723 block."""

    script_path: Path
    schema: str = "1"
    docs: str = ""
    name: str = ""
    image: str | None = None
    setup: str = ""
    run: RunspecRun = field(default_factory=RunspecRun)
    config: RunspecConfig = field(default_factory=RunspecConfig)
    resources: RunspecResources = field(default_factory=RunspecResources)
    env: Mapping[str, str] = field(default_factory=lambda: _EMPTY)

    def __post_init__(self) -> None:
        if not isinstance(self.env, MappingProxyType):
            object.__setattr__(self, "env", MappingProxyType(dict(self.env)))

    def __hash__(self) -> int:
        return hash(
            (self.script_path, self.schema, self.docs, self.name, self.image, self.setup)
            + (self.run, self.config, self.resources, tuple(sorted(self.env.items())))
        )

    @property
    def config_dir(self) -> Path:
        """The config directory, absolute (the script's folder / ``config.dir``)."""
        return (self.script_path.parent / self.config.dir).resolve()

    @property
    def display_name(self) -> str:
        """``name``, or the script's file name when the recipe has none."""
        return self.name or self.script_path.stem

    def to_dict(self) -> dict[str, Any]:
        """A plain, JSON-friendly dict of every field."""
        return {
            "name": self.name,
            "script_path": str(self.script_path),
            "schema": self.schema,
            "docs": self.docs,
            "image": self.image,
            "setup": self.setup,
            "run": {"launch": self.run.launch, "cmd": self.run.cmd, "workdir": self.run.workdir},
            "config": {
                "dir": self.config.dir,
                "default": self.config.default,
                "format": self.config.format,
                "overrides": self.config.overrides,
                "config_dir": str(self.config_dir),
            },
            "resources": {
                "nodes": self.resources.nodes,
                "gpus_per_node": self.resources.gpus_per_node,
            },
            "env": dict(self.env),
        }

    def _rows(self) -> list[tuple[str, str]]:
        rows = [
            ("name", self.display_name),
            ("script", str(self.script_path)),
            ("image", self.image or "(none: runs in the current environment)"),
            ("launch", self.run.launch),
            ("cmd", self.run.cmd or f"(default) {DEFAULT_CMD}"),
        ]
        if self.run.workdir:
            rows.append(("workdir", self.run.workdir))
        rows.append(("resources", f"{self.resources.nodes} node(s) x {self.resources.gpus_per_node} GPU(s)"))
        rows.append(("config dir", f"{self.config_dir} (default: {self.config.default})"))
        if self.env:
            rows.append(("env", ", ".join(f"{k}={v}" for k, v in self.env.items())))
        if self.setup:
            rows.append(("setup", self.setup))
        if self.docs:
            rows.append(("docs", self.docs))
        return rows

    def __str__(self) -> str:
        width = max(len(k) for k, _ in self._rows())
        return "\n".join(f"{k.ljust(width)}  {v}" for k, v in self._rows())

    def _repr_html_(self) -> str:
        cells = []
        for key, value in self._rows():
            shown = html.escape(value)
            if key == "docs" and value.startswith(("http://", "https://")):
                shown = f'<a href="{html.escape(value)}" target="_blank">{shown}</a>'
            cells.append(f"<tr><th style='text-align:left'>{html.escape(key)}</th><td>{shown}</td></tr>")
        return f"<table class='nrs-runspec'>{''.join(cells)}</table>"
