"""A recipe script and what can be done with it: list configs, compose, launch; the recipe catalog."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config._override_syntax import override_sets
from ..errors import ConfigError, ProfileError
from ..runspec import CATALOG_COLUMNS, Runspec, catalog_records, config_names, discover, parse
from ._composed import ComposedJob
from ._session import Session

if TYPE_CHECKING:
    import pandas as pd

    from ..launch import JobHandle

__all__ = ["MODES", "Recipe", "catalog"]

MODES = ("local", "run", "batch")
#: Keyword arguments of :meth:`Recipe.launch` that go to :meth:`ComposedJob.launch`.
_LAUNCH_OPTIONS = ("detach", "on_output", "timeout", "progress")


def catalog(root: str | Path = ".") -> pd.DataFrame:
    """A DataFrame with one row per recipe under ``root``.

    Columns: name, path, launch, image, nodes, gpus_per_node, config_dir,
    configs (the config names found in the config dir). Recipes that fail to
    parse are left out; ``df.attrs["errors"]`` holds their errors.
    """
    import pandas as pd

    found = discover(root)
    frame = pd.DataFrame(catalog_records(found), columns=list(CATALOG_COLUMNS))
    frame.attrs["errors"] = list(found.errors)
    return frame


class Recipe:
    """A recipe script and what can be done with it: list configs, compose, launch.

    Args:
        source: a script path or an already parsed :class:`Runspec`.
        session: where to find env.toml, the jobs dir and the artifact registry
            (default: a new :class:`Session` that also searches the recipe's folder).

    """

    def __init__(self, source: str | Path | Runspec, *, session: Session | None = None) -> None:
        self.runspec = source if isinstance(source, Runspec) else parse(source)
        self.session = session or Session(start=self.runspec.script_path.parent)

    def __repr__(self) -> str:
        return f"Recipe({self.runspec.display_name!r}, script={str(self.runspec.script_path)!r})"

    def __str__(self) -> str:
        return str(self.runspec)

    def _repr_html_(self) -> str:
        configs = ", ".join(self.configs()) or "(none found)"
        profiles = ", ".join(self.profiles()) or "(no env.toml: runs on this machine)"
        extra = (
            f"<tr><th style='text-align:left'>configs</th><td>{html.escape(configs)}</td></tr>"
            f"<tr><th style='text-align:left'>profiles</th><td>{html.escape(profiles)}</td></tr>"
        )
        return self.runspec._repr_html_().replace("</table>", extra + "</table>")

    @property
    def name(self) -> str:
        """The recipe's name (the script's stem when it has none)."""
        return self.runspec.display_name

    def configs(self) -> list[str]:
        """Config names in the recipe's config dir (without suffix)."""
        return config_names(self.runspec)

    def profiles(self) -> list[str]:
        """Profiles of the session's env.toml."""
        return self.session.profiles()

    def compose(
        self,
        config: str | Path | None = None,
        overrides: Any = (),
        profile: str | None = None,
        mode: str = "local",
        *,
        source: str = "cli",
        argv: Sequence[str] = (),
        passthrough: Sequence[str] = (),
        override_mode: str | None = None,
    ) -> ComposedJob:
        """Compose the job: config (+ ``defaults:``), profile, overrides; nothing runs yet.

        Args:
            config: a config name from :meth:`configs` or a path (default: the runspec's default).
            overrides: dotlist strings, a YAML mapping, override text (see
                :func:`~nemo_runspec_nb.config.overrides_from_text`) or ``OverrideSet`` objects.
            profile: an env.toml profile (None: run on this machine).
            mode: ``local`` (this machine, detached), ``run`` (attached: launch waits)
                or ``batch`` (submit and return).
            source: provenance label of plain overrides (``cli``, ``cell``, ``widget``).
            argv: the command line, kept in ``run.cli.argv``.
            passthrough: arguments for the script, kept in ``run.cli.passthrough``.
            override_mode: ``"open"`` lets ``key=value`` add keys the YAML lacks (shown as
                new keys; typos of existing keys stay errors), ``"strict"`` does not.
                None: env.toml ``[config] overrides``, else the recipe's, else strict.

        Raises:
            ConfigError, OverrideError, ProfileError: with the file/line or key and a suggestion.

        """
        from ..config import compose_job_config

        if mode not in MODES:
            raise ConfigError(f"unknown mode {mode!r}", key="mode", hint=f"Use one of: {', '.join(MODES)}")
        if mode in ("run", "batch") and not profile:
            raise ConfigError(
                f"mode {mode!r} needs a profile",
                key="profile",
                hint=f"Pick one of: {', '.join(self.profiles()) or '(no env.toml)'}; or use mode='local'",
            )
        if profile and self.session.env_file is None:
            raise ProfileError(
                f"profile {profile!r} asked for, but no env.toml was found",
                key=profile,
                hint="Add an env.toml next to the recipes, set NEMOTRON_ENV_FILE or pass Session(env_file=)",
            )
        composed = compose_job_config(
            self.runspec,
            config=config,
            overrides=override_sets(overrides, source),
            profile=profile,
            mode=mode,  # type: ignore[arg-type]
            env_file=self.session.env_file,
            argv=argv,
            passthrough=passthrough,
            override_mode=override_mode,
        )
        return ComposedJob(self, composed, profile=profile, mode=mode)

    def launch(self, *args: Any, **kwargs: Any) -> JobHandle:
        """``compose(...)`` then ``launch()``; returns the job handle at once.

        Positional arguments and keywords such as ``overrides``, ``profile``, ``mode`` and
        ``override_mode`` go to :meth:`compose`; ``detach``, ``on_output``, ``timeout`` and
        ``progress`` go to :meth:`ComposedJob.launch`.
        """
        launch_options = {k: kwargs.pop(k) for k in _LAUNCH_OPTIONS if k in kwargs}
        return self.compose(*args, **kwargs).launch(**launch_options)

