"""``RecipeForm``: compose, check, preview and launch a recipe from widgets.

The override editor (:class:`~.editor.OverrideEditor`) is generated from the
composed config and builds its inputs only when a section is opened or a
search matches, so a 2,000-key config costs a few dozen widget models up front.

Every change recomposes the job (``Recipe.compose``) and shows the result or
the error (``OverrideError``, ``ProfileError``, ...) under the form.
"""

from __future__ import annotations

import html
import os
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
from IPython.display import clear_output, display

from ..errors import RunspecError
from ._editor import OverrideEditor, flatten, text_dotlist
from ._monitor import JobMonitor
from ._widgets import StepLine, classed, error_html, new_keys_html

if TYPE_CHECKING:
    from .._facade import ComposedJob, Preview, Recipe
    from ..launch import JobHandle

__all__ = ["LOCAL", "RecipeForm", "form"]

LOCAL = "(this machine)"
# Keys of the job config the form manages itself (or that are bookkeeping).
_MANAGED = ("run.env", "run.cli", "run.recipe", "run.mode", "run.profile")


def _button(description: str, icon: str, css: str, layout: Any, **kwargs: Any) -> widgets.Button:
    return classed(widgets.Button(description=description, icon=icon, layout=layout, **kwargs), css)


class RecipeForm(widgets.VBox):  # type: ignore[misc]  # ipywidgets ships no type hints
    """A form over one recipe: config, profile (run/batch), resources, overrides, Preview, Launch.

    Args:
        recipe: the :class:`~nemo_runspec_nb.Recipe`.
        config: the config to start with (default: the runspec's default).
        profile: the env.toml profile to start with (default: none, this machine).
        poll: refresh period of the job monitor after Launch.
        max_sections: section headers shown at once (the rest are reachable through search).
        max_inputs: inputs a section or a search shows at once.

    After Preview, ``preview`` holds the :class:`Preview`; after Launch, ``handle``
    and ``monitor`` hold the job and its :class:`JobMonitor`. ``job`` is the last
    successful composition and ``error`` the last error text ("" when valid).

    """

    def __init__(
        self,
        recipe: Recipe,
        *,
        config: str | None = None,
        profile: str | None = None,
        poll: float = 1.0,
        max_sections: int = 24,
        max_inputs: int = 30,
    ) -> None:
        self.recipe = recipe
        self.poll = poll
        self.job: ComposedJob | None = None
        self.error = ""
        self.preview: Preview | None = None
        self.handle: JobHandle | None = None
        self.monitor: JobMonitor | None = None
        self._execution: dict[str, Any] = {}
        self._quiet = False
        self._button_layout = widgets.Layout(width="auto")

        configs = recipe.configs()
        default = recipe.runspec.config.default
        start_config = config or (default if default in configs else (configs[0] if configs else None))
        self.config = classed(
            widgets.Dropdown(description="config", options=configs, value=start_config), "nrs-config-dropdown"
        )
        profiles = recipe.profiles()
        self.profile = classed(
            widgets.Dropdown(
                description="profile", options=[LOCAL, *profiles], value=profile if profile else LOCAL
            ),
            "nrs-profile-dropdown",
        )
        self.mode = classed(
            widgets.ToggleButtons(
                options=["batch", "run"],
                value="batch",
                tooltips=["detached: submit and return", "attached: the job runs while you watch"],
            ),
            "nrs-mode-toggle",
        )
        self.mode.disabled = not profile
        self.nodes = classed(
            widgets.BoundedIntText(description="nodes", min=1, max=100_000, layout=self._button_layout),
            "nrs-resource-nodes",
        )
        self.gpus = classed(
            widgets.BoundedIntText(description="GPUs/node", min=0, max=1024, layout=self._button_layout),
            "nrs-resource-gpus",
        )
        self.editor = OverrideEditor(self._changed, max_sections=max_sections, max_inputs=max_inputs)
        self.overrides_text = classed(
            widgets.Textarea(
                placeholder="more overrides: dotlist lines (a.b=1, +new=x, ~gone) or YAML; # comments ok",
                description="overrides",
                continuous_update=False,
                rows=3,
            ),
            "nrs-overrides-text",
        )
        self.overrides_text.layout.width = "min(100%, 48em)"
        self._default_override_mode = self._recipe_override_mode()
        self.open_overrides = classed(
            widgets.Checkbox(
                value=self._default_override_mode == "open",
                description="allow new keys (open overrides)",
                indent=False,
                tooltip="overrides may add keys the YAML lacks (keys the recipe defines in code); "
                "typos of existing keys stay errors",
            ),
            "nrs-open-overrides",
        )
        self.message = classed(widgets.HTML(), "nrs-validation")
        self.preview_button = _button("Preview", "eye", "nrs-preview-button", self._button_layout)
        self.launch_button = _button(
            "Launch", "rocket", "nrs-launch-button", self._button_layout, button_style="primary"
        )
        self.code_button = _button("Show code", "code", "nrs-code-button", self._button_layout)
        self.progress = classed(widgets.HTML(), "nrs-form-progress")
        self.output = classed(widgets.Output(), "nrs-form-output")
        self.monitor_box = classed(widgets.VBox(), "nrs-form-monitor")

        self.config.observe(self._config_changed, names="value")
        self.profile.observe(self._profile_changed, names="value")
        self.mode.observe(self._changed, names="value")
        self.nodes.observe(self._changed, names="value")
        self.gpus.observe(self._changed, names="value")
        self.overrides_text.observe(self._changed, names="value")
        self.open_overrides.observe(self._changed, names="value")
        self.preview_button.on_click(self._on_preview)
        self.launch_button.on_click(self._on_launch)
        self.code_button.on_click(self._on_code)

        title = widgets.HTML(
            f"<b>{html.escape(recipe.name)}</b> <code>{html.escape(str(recipe.runspec.script_path))}</code>"
        )
        super().__init__(
            [
                title,
                widgets.HBox([self.config, self.profile, self.mode]),
                widgets.HBox([self.nodes, self.gpus]),
                widgets.HTML(
                    "<b>overrides</b> <i>(open a section or search; changed values become overrides)</i>"
                ),
                self.editor,
                self.overrides_text,
                self.open_overrides,
                self.message,
                widgets.HBox([self.preview_button, self.launch_button, self.code_button]),
                self.progress,
                self.output,
                self.monitor_box,
            ]
        )
        self.add_class("nrs-recipe-form")
        self._rebuild_editor()

    # -- what the form says --------------------------------------------------------------------
    @property
    def selected_profile(self) -> str | None:
        """The chosen profile (None: this machine)."""
        return None if self.profile.value in (None, LOCAL) else str(self.profile.value)

    @property
    def override_mode(self) -> str:
        """``open`` when the "allow new keys" box is ticked, else ``strict``."""
        return "open" if self.open_overrides.value else "strict"

    def _recipe_override_mode(self) -> str:
        from ..config import resolve_override_mode

        try:
            return resolve_override_mode(runspec=self.recipe.runspec, env_file=self.recipe.session.env_file)
        except RunspecError:
            return "strict"  # composing shows the error

    def _mode_argument(self) -> str | None:
        """The mode to pass on: None while it is the recipe's (or env.toml's) own."""
        return None if self.override_mode == self._default_override_mode else self.override_mode

    @property
    def selected_mode(self) -> str:
        """``local`` without a profile, else ``batch`` or ``run``."""
        return "local" if self.selected_profile is None else str(self.mode.value)

    def dotlist(self) -> list[str]:
        """The overrides of the editor and the resource fields, as dotlist tokens."""
        tokens = self.editor.dotlist()
        execution = self._execution
        for key, widget in (("nodes", self.nodes), ("gpus_per_node", self.gpus)):
            if widget.value != execution.get(key):
                tokens.append(f"run.env.{key}={widget.value}")
        return tokens

    def text_overrides(self) -> list[str]:
        """The free-text box as dotlist lines (a YAML mapping is flattened)."""
        return text_dotlist(self.overrides_text.value)

    def compose(self, _base: ComposedJob | None = None) -> ComposedJob | None:
        """Compose with everything the form says; shows the result or the error. Returns the job."""
        try:
            if _base is not None and not self.dotlist() and not self.overrides_text.value.strip():
                job = _base  # nothing to add to the composition the editor was built from
            else:
                job = self._compose_now()
        except RunspecError as exc:
            self.job, self.error = None, str(exc)
            self.message.value = error_html(self.error)
            self.launch_button.disabled = True
            return None
        self.job, self.error = job, ""
        count = len(self.dotlist()) + len(self.text_overrides())
        where = self.selected_profile or "this machine"
        self.message.value = (
            f"<span class='nrs-ok' style='color:#1a7f37'>&#10003; valid: {len(self.editor.leaves)} keys, "
            f"{count} override(s), runs on {html.escape(where)} ({self.selected_mode})</span>"
        ) + new_keys_html(job.new_keys)
        self.launch_button.disabled = False
        return job

    def _compose_now(self) -> ComposedJob:
        from ..config import OverrideSet, overrides_from_text

        return self.recipe.compose(
            self.config.value,
            [
                OverrideSet("widget", tuple(self.dotlist())),
                overrides_from_text(self.overrides_text.value, "widget"),
            ],
            self.selected_profile,
            self.selected_mode,
            source="widget",
            override_mode=self._mode_argument(),
        )

    def code(self) -> tuple[str, str]:
        """The equivalent ``%%recipe`` cell and ``runspec`` command line."""
        script = self.recipe.runspec.script_path
        try:
            path = os.path.relpath(script)
        except ValueError:
            path = str(script)
        flags = []
        if self.config.value:
            flags += ["-c", str(self.config.value)]
        if self.selected_profile:
            flags += ["-r" if self.selected_mode == "run" else "-b", self.selected_profile]
        if self._mode_argument() is not None:
            flags += ["--overrides", self.override_mode]
        tokens = self.dotlist() + self.text_overrides()
        head = " ".join(shlex.quote(part) for part in [path, *flags])
        cell = f"%%recipe {head}\n" + "\n".join(tokens) if tokens else f"%recipe {head}"
        cli = " ".join(["runspec", "run", head, *(shlex.quote(t) for t in tokens)])
        return cell, cli

    # -- editor --------------------------------------------------------------------------------
    def set_override(self, key: str, value: Any) -> None:
        """Set one leaf of the override editor as if typed into its input."""
        self.editor.set_override(key, value)

    def _rebuild_editor(self) -> None:
        """Compose without edits (config + profile), fill the resources and the editor from it."""
        from omegaconf import OmegaConf

        try:
            base = self.recipe.compose(
                self.config.value,
                (),
                self.selected_profile,
                self.selected_mode,
                source="widget",
                override_mode=self._mode_argument(),
            )
        except RunspecError as exc:
            self._execution = {}
            self.editor.load({})
            self.message.value = error_html(str(exc))
            self.job, self.error = None, str(exc)
            self.launch_button.disabled = True
            return
        self._execution = base.execution
        self._quiet = True
        try:
            self.nodes.value = int(self._execution.get("nodes") or 1)
            self.gpus.value = int(self._execution.get("gpus_per_node") or 0)
        finally:
            self._quiet = False
        container = OmegaConf.to_container(base.job_config, resolve=False)
        assert isinstance(container, dict)
        self.editor.load(
            {
                key: value
                for key, value in flatten(container)
                if key and not any(key == m or key.startswith(m + ".") for m in _MANAGED)
            }
        )
        self.compose(_base=base)

    # -- events --------------------------------------------------------------------------------
    def _config_changed(self, _change: Any = None) -> None:
        self._rebuild_editor()

    def _profile_changed(self, _change: Any = None) -> None:
        self.mode.disabled = self.selected_profile is None
        self._rebuild_editor()

    def _changed(self, _change: Any = None) -> None:
        if not self._quiet:
            self.compose()

    def _on_preview(self, _button: Any = None) -> None:
        self.progress.value = "<i>composing the preview...</i>"
        job = self.compose()
        self.progress.value = ""
        if job is None:
            return
        try:
            self.preview = job.preview()
        except RunspecError as exc:
            self.message.value = error_html(str(exc))
            return
        with self.output:
            clear_output()  # type: ignore[no-untyped-call]
            display(self.preview)  # type: ignore[no-untyped-call]

    def _on_code(self, _button: Any = None) -> None:
        cell, cli = self.code()
        with self.output:
            clear_output()  # type: ignore[no-untyped-call]
            display(  # type: ignore[no-untyped-call]
                widgets.HTML(
                    "<div class='nrs-code'><b>notebook cell</b>"
                    f"<pre class='nrs-code-cell'>{html.escape(cell)}</pre>"
                    f"<b>command line</b><pre class='nrs-code-cli'>{html.escape(cli)}</pre></div>"
                )
            )

    def _on_launch(self, _button: Any = None) -> None:
        self.launch_button.disabled = True
        line = StepLine(
            self.progress, ("composing", "writing the job dir and submitting", "starting the monitor")
        )
        try:
            line.show(1)
            job = self.compose()
            if job is None:
                return
            line.show(2)
            try:
                self.handle = job.launch(progress=line.packing(2))
            except RunspecError as exc:
                self.message.value = error_html(f"launch failed: {exc}")
                return
            line.show(3)
            if self.monitor is not None:
                self.monitor.stop()
            self.monitor = JobMonitor(self.handle, poll=self.poll)
            self.monitor_box.children = (self.monitor,)
        finally:
            line.clear()
            self.launch_button.disabled = self.job is None

    def __repr__(self) -> str:
        profile = self.selected_profile
        return f"RecipeForm({self.recipe.name!r}, config={self.config.value!r}, profile={profile!r})"


def form(recipe: Recipe | str | Path, **kwargs: Any) -> RecipeForm:
    """A :class:`RecipeForm` for a recipe or a script path."""
    from .._facade import Recipe

    return RecipeForm(recipe if isinstance(recipe, Recipe) else Recipe(recipe), **kwargs)
