"""What a recipe command was asked to do, as typed immutable values.

:class:`RecipeMeta` describes a recipe for help screens (configs, artifact
inputs); :class:`RecipeConfig` is one invocation: which script, which config,
where (profile and mode), overrides and passthrough arguments. Both are plain
frozen dataclasses built from the CLI's :class:`GlobalContext`; composing and
launching go through :class:`~nemo_runspec_nb.Recipe`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from ..config import GlobalContext, Mode
from ..errors import ConfigError, RunspecError
from ..runspec import Runspec, config_names, parse

if TYPE_CHECKING:
    from .._facade import ComposedJob, Recipe, Session

__all__ = ["RecipeConfig", "RecipeMeta", "check_options"]


def check_options(ctx: GlobalContext) -> GlobalContext:
    """Check option combinations: not both ``--run`` and ``--batch``; ``--stage`` needs a profile.

    Raises:
        ConfigError: naming the options and what to do instead.

    """
    if ctx.run and ctx.batch:
        raise ConfigError(
            f"--run {ctx.run} and --batch {ctx.batch} cannot both be given",
            key="--run/--batch",
            hint="Use --run PROFILE to wait for the job or --batch PROFILE to submit and return",
        )
    if ctx.stage and not ctx.profile:
        raise ConfigError(
            "--stage needs a profile",
            key="--stage",
            hint="Add --run PROFILE or --batch PROFILE (see 'runspec profiles')",
        )
    return ctx


@dataclass(frozen=True)
class RecipeMeta:
    """A recipe as its help screen shows it.

    Attributes:
        runspec: the parsed ``[tool.runspec]`` block.
        configs: config names in the config dir, sorted.
        artifact_inputs: ``run.NAME -> artifact ref`` entries of the default
            config (the inputs a user can point at another version).
        examples: a few ``key=value`` overrides taken from the default config.

    """

    runspec: Runspec
    configs: tuple[str, ...] = ()
    artifact_inputs: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    examples: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The recipe's name."""
        return self.runspec.display_name

    @property
    def default_config(self) -> str:
        """The config used without ``-c``."""
        return self.runspec.config.default

    @classmethod
    def from_script(cls, script: str | Path | Runspec) -> RecipeMeta:
        """Read a recipe's block and default config (a broken default config gives no inputs/examples)."""
        runspec = script if isinstance(script, Runspec) else parse(script)
        data = _default_config_data(runspec)
        run = data.get("run")
        run = run if isinstance(run, dict) else {}
        inputs = {f"run.{k}": str(v) for k, v in run.items() if _is_artifact_ref(v)}
        return cls(
            runspec=runspec,
            configs=tuple(config_names(runspec)),
            artifact_inputs=MappingProxyType(inputs),
            examples=tuple(_examples(data)),
        )


def _default_config_data(runspec: Runspec) -> dict[str, Any]:
    from ..config import find_config_file
    from ..config._loader import load_config_data

    try:
        path = find_config_file(runspec.config.default, runspec.config_dir, format=runspec.config.format)
        return load_config_data(path)
    except RunspecError:
        return {}


def _is_artifact_ref(value: Any) -> bool:
    from ..config import is_artifact_reference

    return is_artifact_reference(value)


def _examples(data: Mapping[str, Any], limit: int = 2) -> list[str]:
    found: list[str] = []

    def walk(node: Mapping[str, Any], prefix: str) -> None:
        for key, value in node.items():
            if len(found) >= limit:
                return
            dotted = f"{prefix}{key}"
            if isinstance(value, Mapping):
                walk(value, f"{dotted}.")
            elif isinstance(value, bool | int | float) or (isinstance(value, str) and "${" not in value):
                text = str(value).lower() if isinstance(value, bool) else str(value)
                if text and " " not in text:
                    found.append(f"{dotted}={text}")

    walk({k: v for k, v in data.items() if k not in ("run", "defaults")}, "")
    return found


def _masked(argv: Sequence[str]) -> tuple[str, ...]:
    """The command line with secret values masked (``+wandb.api_key=...`` -> ``+wandb.api_key=****``).

    argv is recorded in job.yaml and shown in previews, so a secret typed as an
    override must not reach it (the override itself still carries the value).
    """
    from ..config import MASK, is_secret_key

    out = []
    for token in argv:
        key, eq, _ = token.partition("=")
        secret = eq and not key.startswith("-") and is_secret_key(key.lstrip("+~"))
        out.append(f"{key}={MASK}" if secret else token)
    return tuple(out)


# Fields of a RecipeConfig taken unchanged from the GlobalContext (attributes or properties).
_FROM_CONTEXT = ("config", "profile", "mode", "dry_run", "stage", "force_squash", "overrides")


@dataclass(frozen=True)
class RecipeConfig:
    """One invocation of a recipe command, normalized from the CLI options.

    Attributes:
        script: the recipe script.
        config: config name or path (None: the recipe's default).
        profile: env.toml profile (None: this machine).
        mode: ``local``, ``run`` (attached) or ``batch`` (detached).
        dry_run: show the job, launch nothing.
        stage: write the job dir without submitting.
        force_squash: re-squash the container image.
        dotlist: ``key=value`` overrides in command-line order.
        passthrough: other arguments, for the script.
        env_file: the env.toml given with ``--env-file`` (None: searched for).
        argv: the command line, recorded in job.yaml.
        overrides: override mode, ``"strict"`` or ``"open"`` (None: env.toml, else the recipe's).

    """

    script: Path
    config: str | None = None
    profile: str | None = None
    mode: Mode = "local"
    dry_run: bool = False
    stage: bool = False
    force_squash: bool = False
    dotlist: tuple[str, ...] = ()
    passthrough: tuple[str, ...] = ()
    env_file: Path | None = None
    argv: tuple[str, ...] = ()
    overrides: str | None = None

    @classmethod
    def from_context(
        cls,
        script: str | Path,
        ctx: GlobalContext,
        *,
        env_file: str | Path | None = None,
        argv: Sequence[str] = (),
    ) -> RecipeConfig:
        """Build from a :class:`GlobalContext` (the CLI's parsed options).

        Raises:
            ConfigError: both ``--run`` and ``--batch``, or ``--stage`` without a profile.

        """
        check_options(ctx)
        return cls(
            Path(script),
            **{name: getattr(ctx, name) for name in _FROM_CONTEXT},
            dotlist=tuple(ctx.dotlist),
            passthrough=tuple(ctx.passthrough),
            env_file=Path(env_file) if env_file is not None else None,
            argv=_masked(argv),
        )

    def with_overrides(self, *dotlist: str) -> RecipeConfig:
        """A copy with more ``key=value`` overrides (applied after the existing ones)."""
        return dataclasses.replace(self, dotlist=(*self.dotlist, *dotlist))

    def session(self) -> Session:
        """The session: ``env_file`` if given, else env.toml found from the cwd or the script's folder."""
        from .._facade import Session

        return Session(self.env_file, start=self.script.absolute().parent)

    def recipe(self) -> Recipe:
        """The :class:`Recipe` of ``script`` in :meth:`session`."""
        from .._facade import Recipe

        if not self.script.is_file():
            raise ConfigError(
                f"recipe script not found: {self.script}",
                path=self.script,
                hint="Give the path of a recipe .py file (see 'runspec list DIR')",
            )
        return Recipe(self.script, session=self.session())

    def compose(self) -> ComposedJob:
        """Compose the job (nothing runs).

        Raises:
            SpecError, ConfigError, OverrideError, ProfileError: one line, naming the file/key.

        """
        return self.recipe().compose(
            config=self.config,
            overrides=list(self.dotlist),
            profile=self.profile,
            mode=self.mode,
            source="cli",
            argv=self.argv,
            passthrough=self.passthrough,
            override_mode=self.overrides,
        )
