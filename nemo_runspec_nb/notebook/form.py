"""``RecipeForm``: compose, check, preview and launch a recipe from widgets.

The override editor is generated from the composed config but builds its
inputs only when asked: a section's inputs are created when the section is
opened, and the search box creates inputs for the (first few) matching keys.
A 2,000-key config therefore costs a few dozen widget models up front.
Buttons and section headers share one ``Layout``, so each costs one model.

Every change recomposes the job (``Recipe.compose``) and shows the result or
the error (``OverrideError``, ``ProfileError``, ...) under the form.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import shlex
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets
from IPython.display import clear_output, display

from ..errors import RunspecError
from .monitor import JobMonitor

if TYPE_CHECKING:
    from ..launch import JobHandle
    from ..recipe import ComposedJob, Preview, Recipe

__all__ = ["RecipeForm", "format_value"]

LOCAL = "(this machine)"
# Keys of the job config the form manages itself (or that are bookkeeping).
_MANAGED = ("run.env", "run.cli", "run.recipe", "run.mode", "run.profile")


def format_value(value: Any) -> str:
    """A value as the right-hand side of a dotlist override (strings quoted only when needed)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple | Mapping):
        return json.dumps(value)
    text = str(value)
    import yaml

    try:
        plain = yaml.safe_load(text) == text and not any(c.isspace() or c in "#'\"" for c in text)
    except yaml.YAMLError:
        plain = False
    return text if plain and text else json.dumps(text)


def _flatten(node: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, Mapping) and node:
        for key, value in node.items():
            yield from _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, node


def _error_html(text: str) -> str:
    return (
        "<pre class='nrs-error' style='color:#cf222e;white-space:pre-wrap;margin:0'>"
        f"&#10007; {html.escape(text)}</pre>"
    )


def _css_key(key: str) -> str:
    return "nrs-leaf-" + "".join(c if c.isalnum() else "-" for c in key)


class RecipeForm(widgets.VBox):  # type: ignore[misc]  # ipywidgets ships no type hints
    """A form over one recipe: config, profile (run/batch), resources, overrides, Preview, Launch.

    Args:
        recipe: the :class:`~nemo_runspec_nb.recipe.Recipe`.
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
        self.max_sections = max_sections
        self.max_inputs = max_inputs
        self.job: ComposedJob | None = None
        self.error = ""
        self.preview: Preview | None = None
        self.handle: JobHandle | None = None
        self.monitor: JobMonitor | None = None
        self.edits: dict[str, Any] = {}
        self._leaves: dict[str, Any] = {}
        self._sections: dict[str, list[str]] = {}
        self._inputs: dict[str, widgets.Widget] = {}
        self._open: dict[str, widgets.VBox] = {}
        self._quiet = False
        self._button_layout = widgets.Layout(width="auto")
        self._section_layout = widgets.Layout(width="auto", margin="1px 0")

        configs = recipe.configs()
        default = recipe.runspec.config.default
        start_config = config or (default if default in configs else (configs[0] if configs else None))
        self.config = widgets.Dropdown(description="config", options=configs, value=start_config)
        self.config.add_class("nrs-config-dropdown")
        profiles = recipe.profiles()
        self.profile = widgets.Dropdown(
            description="profile", options=[LOCAL, *profiles], value=profile if profile else LOCAL
        )
        self.profile.add_class("nrs-profile-dropdown")
        self.mode = widgets.ToggleButtons(
            options=["batch", "run"],
            value="batch",
            tooltips=["detached: submit and return", "attached: the job runs while you watch"],
        )
        self.mode.add_class("nrs-mode-toggle")
        self.mode.disabled = not profile
        self.nodes = widgets.BoundedIntText(
            description="nodes", min=1, max=100_000, layout=self._button_layout
        )
        self.nodes.add_class("nrs-resource-nodes")
        self.gpus = widgets.BoundedIntText(
            description="GPUs/node", min=0, max=1024, layout=self._button_layout
        )
        self.gpus.add_class("nrs-resource-gpus")
        self.search = widgets.Text(
            placeholder="search keys, e.g. lr", description="find", continuous_update=False
        )
        self.search.add_class("nrs-override-search")
        self.results = widgets.VBox()
        self.results.add_class("nrs-search-results")
        self.sections = widgets.VBox()
        self.sections.add_class("nrs-override-sections")
        self.sections.layout.align_items = "flex-start"
        self.overrides_text = widgets.Textarea(
            placeholder="more overrides: dotlist lines (a.b=1, +new=x, ~gone) or YAML; # comments ok",
            description="overrides",
            continuous_update=False,
            rows=3,
        )
        self.overrides_text.add_class("nrs-overrides-text")
        self.overrides_text.layout.width = "min(100%, 48em)"
        self.message = widgets.HTML()
        self.message.add_class("nrs-validation")
        self.preview_button = widgets.Button(description="Preview", icon="eye", layout=self._button_layout)
        self.preview_button.add_class("nrs-preview-button")
        self.launch_button = widgets.Button(
            description="Launch", icon="rocket", button_style="primary", layout=self._button_layout
        )
        self.launch_button.add_class("nrs-launch-button")
        self.code_button = widgets.Button(description="Show code", icon="code", layout=self._button_layout)
        self.code_button.add_class("nrs-code-button")
        self.progress = widgets.HTML()
        self.progress.add_class("nrs-form-progress")
        self.output = widgets.Output()
        self.output.add_class("nrs-form-output")
        self.monitor_box = widgets.VBox()
        self.monitor_box.add_class("nrs-form-monitor")

        self.config.observe(self._config_changed, names="value")
        self.profile.observe(self._profile_changed, names="value")
        self.mode.observe(self._changed, names="value")
        self.nodes.observe(self._changed, names="value")
        self.gpus.observe(self._changed, names="value")
        self.overrides_text.observe(self._changed, names="value")
        self.search.observe(self._search_changed, names="value")
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
                self.search,
                self.results,
                self.sections,
                self.overrides_text,
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
    def selected_mode(self) -> str:
        """``local`` without a profile, else ``batch`` or ``run``."""
        return "local" if self.selected_profile is None else str(self.mode.value)

    def dotlist(self) -> list[str]:
        """The overrides of the editor and the resource fields, as dotlist tokens."""
        tokens = [f"{key}={format_value(value)}" for key, value in self.edits.items()]
        execution = self._base_execution
        for key, widget in (("nodes", self.nodes), ("gpus_per_node", self.gpus)):
            if widget.value != execution.get(key):
                tokens.append(f"run.env.{key}={widget.value}")
        return tokens

    def text_overrides(self) -> list[str]:
        """The free-text box as dotlist lines (a YAML mapping is flattened)."""
        from ..recipe import overrides_from_text

        text = self.overrides_text.value
        parsed = overrides_from_text(text, "widget")
        if isinstance(parsed.entries, str):
            import yaml

            try:
                data = yaml.safe_load(parsed.entries)
            except yaml.YAMLError:
                return [text]
            if isinstance(data, Mapping):
                return [f"{k}={format_value(v)}" for k, v in _flatten(data)]
            return [text]
        return list(parsed.entries) if not isinstance(parsed.entries, Mapping) else []

    def compose(self, _base: ComposedJob | None = None) -> ComposedJob | None:
        """Compose with everything the form says; shows the result or the error. Returns the job."""
        try:
            if _base is not None and not self.dotlist() and not self.overrides_text.value.strip():
                job = _base  # nothing to add to the composition the editor was built from
            else:
                job = self._compose_now()
        except RunspecError as exc:
            self.job, self.error = None, str(exc)
            self.message.value = _error_html(self.error)
            self.launch_button.disabled = True
            return None
        self.job, self.error = job, ""
        count = len(self.dotlist()) + len(self.text_overrides())
        where = self.selected_profile or "this machine"
        self.message.value = (
            f"<span class='nrs-ok' style='color:#1a7f37'>&#10003; valid: {len(self._leaves)} keys, "
            f"{count} override(s), runs on {html.escape(where)} ({self.selected_mode})</span>"
        )
        self.launch_button.disabled = False
        return job

    def _compose_now(self) -> ComposedJob:
        from ..config import OverrideSet
        from ..recipe import overrides_from_text

        return self.recipe.compose(
            self.config.value,
            [
                OverrideSet("widget", tuple(self.dotlist())),
                overrides_from_text(self.overrides_text.value, "widget"),
            ],
            self.selected_profile,
            self.selected_mode,
            source="widget",
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
        tokens = self.dotlist() + self.text_overrides()
        head = " ".join(shlex.quote(part) for part in [path, *flags])
        cell = f"%%recipe {head}\n" + "\n".join(tokens) if tokens else f"%recipe {head}"
        cli = " ".join(["runspec", "run", head, *(shlex.quote(t) for t in tokens)])
        return cell, cli

    # -- editor --------------------------------------------------------------------------------
    @property
    def _base_execution(self) -> dict[str, Any]:
        return getattr(self, "_execution", {})

    def _rebuild_editor(self) -> None:
        """Read the leaves of the config (with the profile, without edits) and list the sections."""
        from omegaconf import OmegaConf

        try:
            base = self.recipe.compose(
                self.config.value, (), self.selected_profile, self.selected_mode, source="widget"
            )
        except RunspecError as exc:
            self._leaves, self._sections, self._execution = {}, {}, {}
            self.sections.children = ()
            self.message.value = _error_html(str(exc))
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
        leaves = {
            key: value
            for key, value in _flatten(container)
            if key and not any(key == m or key.startswith(m + ".") for m in _MANAGED)
        }
        self._leaves = leaves
        self.edits = {k: v for k, v in self.edits.items() if k in leaves}
        sections: dict[str, list[str]] = {}
        for key in leaves:
            sections.setdefault(key.split(".", 1)[0], []).append(key)
        self._sections = sections
        self._inputs.clear()
        self._open.clear()
        headers: list[widgets.Widget] = []
        for name in list(sections)[: self.max_sections]:
            headers.append(self._section_header(name))
        hidden = len(sections) - len(headers)
        if hidden > 0:
            headers.append(widgets.HTML(f"<i>{hidden} more section(s): use the search box</i>"))
        self.sections.children = tuple(headers)
        self._search_changed()
        self.compose(_base=base)

    def _section_header(self, name: str) -> widgets.Button:
        count = len(self._sections[name])
        button = widgets.Button(
            description=f"\u25b8 {name} ({count})", layout=self._section_layout, tooltip=f"open {name}"
        )
        button.add_class("nrs-section-toggle")
        button.add_class(f"nrs-section-{''.join(c if c.isalnum() else '-' for c in name)}")
        button.on_click(lambda _b, n=name: self.toggle_section(n))
        return button

    def toggle_section(self, name: str) -> None:
        """Open (creating its inputs) or close a section of the override editor."""
        children = list(self.sections.children)
        header = next(c for c in children if isinstance(c, widgets.Button) and c.tooltip == f"open {name}")
        count = len(self._sections[name])
        if name in self._open:
            children.remove(self._open.pop(name))
            header.description = f"\u25b8 {name} ({count})"
        else:
            keys = self._sections[name]
            body = widgets.VBox([self._input(k) for k in keys[: self.max_inputs]])
            if count > self.max_inputs:
                body.children += (widgets.HTML(f"<i>{count - self.max_inputs} more: use the search box</i>"),)
            body.add_class("nrs-section-body")
            body.layout.margin = "0 0 0 1.5em"
            self._open[name] = body
            children.insert(children.index(header) + 1, body)
            header.description = f"\u25be {name} ({count})"
        self.sections.children = tuple(children)

    def _input(self, key: str) -> widgets.Widget:
        """The input of one leaf (created once, then reused by sections and search)."""
        if key in self._inputs:
            return self._inputs[key]
        value = self._leaves[key]
        style = {"description_width": "14em"}
        current = self.edits.get(key, value)
        widget: widgets.Widget
        if isinstance(value, bool):
            widget = widgets.Checkbox(value=bool(current), description=key, style=style, indent=True)
        elif isinstance(value, int):
            widget = widgets.IntText(value=int(current), description=key, style=style)
        elif isinstance(value, float):
            widget = widgets.FloatText(value=float(current), description=key, style=style)
        else:
            text = "" if current is None else current if isinstance(current, str) else json.dumps(current)
            widget = widgets.Text(
                value=text,
                description=key,
                style=style,
                continuous_update=False,
                placeholder="null" if value is None else "",
            )
        widget.add_class("nrs-leaf")
        widget.add_class(_css_key(key))
        widget.observe(lambda change, k=key: self._leaf_changed(k, change["new"]), names="value")
        self._inputs[key] = widget
        return widget

    def _leaf_changed(self, key: str, new: Any) -> None:
        original = self._leaves[key]
        if isinstance(original, list | dict) and isinstance(new, str):
            with contextlib.suppress(ValueError):
                new = json.loads(new)
        elif original is None and new == "":
            new = None
        if new == original:
            self.edits.pop(key, None)
        else:
            self.edits[key] = new
        self.compose()

    def set_override(self, key: str, value: Any) -> None:
        """Set one leaf as if typed in its input (creates the input)."""
        if key not in self._leaves:
            from ..errors import did_you_mean

            raise KeyError(f"{key!r} is not a key of the config. {did_you_mean(key, self._leaves)}".strip())
        widget = self._input(key)
        if isinstance(widget, widgets.Text) and not isinstance(value, str):
            value = "" if value is None else json.dumps(value)
        widget.value = value

    def _search_changed(self, _change: Any = None) -> None:
        query = self.search.value.strip().lower()
        if not query:
            self.results.children = ()
            return
        found = [k for k in self._leaves if query in k.lower()]
        shown = [self._input(k) for k in found[: self.max_inputs]]
        note = f"{len(found)} key(s) match" + (
            f", first {self.max_inputs} shown" if len(found) > len(shown) else ""
        )
        label = widgets.HTML(f"<i>{html.escape(note)}</i>")
        self.results.children = (label, *shown)

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
            self.message.value = _error_html(str(exc))
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
        steps = "composing", "writing the job dir and submitting", "starting the monitor"
        try:
            self._step(1, steps)
            job = self.compose()
            if job is None:
                return
            self._step(2, steps)
            try:
                self.handle = job.launch()
            except RunspecError as exc:
                self.message.value = _error_html(f"launch failed: {exc}")
                return
            self._step(3, steps)
            if self.monitor is not None:
                self.monitor.stop()
            self.monitor = JobMonitor(self.handle, poll=self.poll)
            self.monitor_box.children = (self.monitor,)
        finally:
            self.progress.value = ""
            self.launch_button.disabled = self.job is None

    def _step(self, number: int, steps: tuple[str, ...]) -> None:
        percent = int(100 * (number - 1) / len(steps))
        self.progress.value = (
            f"<div style='display:flex;gap:1em;align-items:center'><progress value='{percent}' max='100'>"
            f"</progress><i>{html.escape(steps[number - 1])}... ({number}/{len(steps)})</i></div>"
        )

    def __repr__(self) -> str:
        profile = self.selected_profile
        return f"RecipeForm({self.recipe.name!r}, config={self.config.value!r}, profile={profile!r})"


def form(recipe: Recipe | str | Path, **kwargs: Any) -> RecipeForm:
    """A :class:`RecipeForm` for a recipe or a script path."""
    from ..recipe import Recipe

    return RecipeForm(recipe if isinstance(recipe, Recipe) else Recipe(recipe), **kwargs)
