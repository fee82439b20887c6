"""Interpolations the pipeline understands: ``${art:NAME,FIELD}``, ``${auto_mount:...}``, ``${run.*}``.

Nothing is resolved while configs load; resolution happens when a job config
is resolved through a :class:`ResolverSession`::

    session = ResolverSession(registry=my_registry)
    resolved = session.resolve(job_config)      # DictConfig, fully resolved
    session.git_mounts                          # what ${auto_mount:...} asked for

``${art:NAME,FIELD}``
    NAME is first looked up as a ``run.NAME: <artifact-ref>`` entry of the
    config being resolved (``run: {data: tiny-data:latest}``), else used as an
    artifact ref itself (``${art:tiny-data:latest,path}``). FIELD is ``path``
    (the default), ``version``, ``name``, ``type``, or any metadata key
    (``metadata.KEY`` also works). The registry is injected: any object with
    ``get(ref)`` returning something with ``name``, ``version``, ``type``,
    ``path`` and ``metadata`` (the artifacts package's registry is one).
``${auto_mount:git+URL@REF[,TARGET]}``
    Records a git checkout to stage with the job on the session and returns
    the marker ``__auto_mount__:<repo>`` that executors filter out of mounts.
``${run.*}``
    Ordinary OmegaConf node references inside a job config; when the ``run``
    section is dropped (train.yaml) :mod:`._run_refs` substitutes them from it.

Pinning (:meth:`ResolverSession.pin_artifacts`) resolves only the ``${art:...}``
of a config and leaves every other interpolation as written: that is how
train.yaml names the concrete artifact versions a launch used.

OmegaConf's resolver registry is process-global, so the registered functions
hold no state: they find the session bound, for the duration of a resolve, in
a :class:`contextvars.ContextVar` (each thread and asyncio task sees its own).
Registering is idempotent and happens on first use.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from ..errors import (
    ArtifactError,
    ArtifactNotFoundError,
    ArtifactVersionNotFoundError,
    ConfigError,
    RunspecError,
    did_you_mean,
)
from ._run_refs import is_artifact_reference

__all__ = [
    "AUTO_MOUNT_MARKER",
    "ArtifactLike",
    "ArtifactRegistryLike",
    "GitMount",
    "ResolverSession",
    "active_session",
    "parse_git_mount",
    "register_resolvers",
]

AUTO_MOUNT_MARKER = "__auto_mount__:"
ART_FIELDS = ("path", "version", "name", "type")
_ART_REF = re.compile(r"\$\{art:([^{}]*)\}")


@runtime_checkable
class ArtifactLike(Protocol):
    """What ``${art:...}`` reads from a registry entry."""

    @property
    def name(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def type(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def metadata(self) -> Mapping[str, Any]: ...


class ArtifactRegistryLike(Protocol):
    """The one registry method resolvers need: ``get("name:version-or-alias")``."""

    def get(self, ref: str) -> Any: ...


@dataclass(frozen=True)
class GitMount:
    """A git checkout requested by ``${auto_mount:git+URL@REF[,TARGET]}``."""

    name: str
    url: str
    ref: str
    target: str = ""


_ACTIVE: ContextVar[ResolverSession | None] = ContextVar("nemo_runspec_nb_resolver_session", default=None)


def active_session() -> ResolverSession | None:
    """The session bound by :meth:`ResolverSession.activate` in this context, if any."""
    return _ACTIVE.get()


def _current(expression: str) -> ResolverSession:
    session = _ACTIVE.get()
    if session is None:
        raise ConfigError(
            f"{expression} can only be resolved inside a ResolverSession",
            key=expression,
            hint="Resolve with ResolverSession(registry=...).resolve(config)",
        )
    return session


def _art_resolver(name: Any, field: Any = "path", *, _root_: Any = None) -> Any:
    session = _current(f"${{art:{name},{field}}}")
    return session._guard(lambda: session.art(str(name), str(field), _root_))


def _auto_mount_resolver(spec: Any, target: Any = "") -> Any:
    session = _current(f"${{auto_mount:{spec}}}")
    return session._guard(lambda: session.auto_mount(str(spec), str(target) if target is not None else ""))


def register_resolvers() -> None:
    """Register ``art`` and ``auto_mount`` with OmegaConf (idempotent; replaces foreign ones)."""
    register = getattr(OmegaConf, "register_resolver", None)
    for name, function in (("art", _art_resolver), ("auto_mount", _auto_mount_resolver)):
        if register is not None:
            register(name, function, replace=True)
        else:  # pragma: no cover - OmegaConf < 2.4
            OmegaConf.register_new_resolver(name, function, replace=True)


def parse_git_mount(spec: str, target: str = "") -> GitMount:
    """Parse ``git+URL@REF`` (the last ``@`` separates the ref; ``user@host`` URLs work)."""
    example = "Write ${auto_mount:git+https://github.com/org/repo.git@main,/opt/repo}"
    if not spec.startswith("git+"):
        raise ConfigError(f"auto_mount spec must start with 'git+': {spec!r}", key="auto_mount", hint=example)
    url, at, ref = spec[4:].rpartition("@")
    if not at or not url or not ref or "/" not in url:
        raise ConfigError(f"auto_mount spec needs git+URL@REF: {spec!r}", key="auto_mount", hint=example)
    name = url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    name = name[:-4] if name.endswith(".git") else name
    return GitMount(name=name, url=url, ref=ref, target=target.strip())


class ResolverSession:
    """Resolver state for one composition: injected registry, artifact cache, git mounts.

    Args:
        registry: an object with ``get(ref)`` (see :class:`ArtifactRegistryLike`);
            without one, ``${art:...}`` raises a ConfigError saying so.

    """

    def __init__(self, registry: ArtifactRegistryLike | None = None) -> None:
        self.registry = registry
        self.artifacts: dict[str, Any] = {}
        self.git_mounts: dict[str, GitMount] = {}
        self._error: RunspecError | None = None

    def __repr__(self) -> str:
        return (
            f"ResolverSession(registry={type(self.registry).__name__ if self.registry else None}, "
            f"artifacts={sorted(self.artifacts)}, git_mounts={sorted(self.git_mounts)})"
        )

    def clear(self) -> None:
        """Forget cached artifacts and recorded git mounts."""
        self.artifacts.clear()
        self.git_mounts.clear()

    @contextlib.contextmanager
    def activate(self) -> Iterator[ResolverSession]:
        """Bind this session for ``${art:}``/``${auto_mount:}`` while the block runs."""
        register_resolvers()
        token = _ACTIVE.set(self)
        try:
            yield self
        finally:
            _ACTIVE.reset(token)

    def resolve(self, config: DictConfig | ListConfig | Mapping[str, Any]) -> DictConfig:
        """Resolve every interpolation of ``config``; returns a new DictConfig.

        Raises:
            ArtifactError: an unknown artifact or field (with the closest names).
            ConfigError: any other interpolation that cannot be resolved, naming its key.

        """
        node = config if isinstance(config, (DictConfig, ListConfig)) else OmegaConf.create(dict(config))
        self._error = None
        with self.activate():
            try:
                plain = OmegaConf.to_container(node, resolve=True)
            except OmegaConfBaseException as exc:
                raise self._translate(exc) from None
        result = OmegaConf.create(plain)
        assert isinstance(result, DictConfig)
        return result

    def _guard(self, call: Any) -> Any:
        try:
            return call()
        except RunspecError as exc:
            self._error = exc
            raise

    def _translate(self, exc: OmegaConfBaseException) -> RunspecError:
        full_key = str(getattr(exc, "full_key", "") or "")
        error, self._error = self._error, None
        if error is not None:
            if full_key:
                error.message = f"{error.message} (at config key '{full_key}')"
                error.args = (str(error),)
            return error
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return ConfigError(
            f"cannot resolve '{full_key or '?'}': {message}",
            key=full_key or None,
            hint="Check the interpolation's spelling and that the key it points at exists",
        )

    # -- ${art:NAME,FIELD} ---------------------------------------------------------------

    def artifact(
        self, ref: str, *, alias: str | None = None, run_refs: Mapping[str, str] | None = None
    ) -> Any:
        """The registry entry for ``ref`` (cached for the session's life)."""
        cached = self.artifacts.get(ref)
        if cached is not None:
            return cached
        shown = alias or ref
        run_refs = run_refs or {}
        hints = []
        if alias is None:
            entries = sorted(k for k, v in run_refs.items() if is_artifact_reference(v))
            close = did_you_mean(ref, entries)
            if close:
                hints.append(f"{close[:-1]} (a run.* entry)?")
            if entries:
                hints.append(f"run.* artifact entries: {', '.join(entries)}")
        if self.registry is None:
            raise ConfigError(
                f"${{art:{shown},...}} needs an artifact registry, and this session has none",
                key=f"art:{shown}",
                hint="Create the session with ResolverSession(registry=...)",
            )
        try:
            found = self.registry.get(ref)
        except ArtifactError as exc:
            cls: type[ArtifactError] = ArtifactError
            if isinstance(exc, ArtifactVersionNotFoundError):
                cls = ArtifactVersionNotFoundError
            elif isinstance(exc, ArtifactNotFoundError):
                cls = ArtifactNotFoundError
            hint = " ".join([*hints, exc.hint]).strip()
            raise cls(f"${{art:{shown},...}}: {exc.message}", key=f"art:{shown}", hint=hint) from exc
        except LookupError as exc:
            detail = exc.args[0] if exc.args else ref
            raise ArtifactNotFoundError(
                f"${{art:{shown},...}}: no artifact {detail!r} in the registry",
                key=f"art:{shown}",
                hint=" ".join(hints),
            ) from exc
        self.artifacts[ref] = found
        return found

    def art(self, name: str, field: str = "path", root: Any = None) -> Any:
        """Resolve ``${art:NAME,FIELD}`` against ``root`` (the config being resolved)."""
        run_refs = _run_refs(root)
        ref = run_refs.get(name) or _interpolated_run_ref(root, name)
        artifact = (
            self.artifact(ref, alias=name, run_refs=run_refs)
            if ref
            else self.artifact(name, run_refs=run_refs)
        )
        return _field(artifact, name, field)

    def pin_artifacts(self, config: DictConfig, *, strict: bool = True) -> tuple[DictConfig, tuple[str, ...]]:
        """``config`` with each ``${art:NAME,FIELD}`` replaced by its value; other interpolations stay.

        ``config`` is the root ``NAME`` is looked up in (its ``run.NAME`` refs). Returns the
        pinned config and notes: with ``strict=False`` an artifact that cannot be resolved (not
        published yet) keeps its interpolation and its error becomes a note; ``strict=True``
        raises it. A config without ``${art:`` comes back as it is.
        """
        plain = OmegaConf.to_container(config, resolve=False)
        assert isinstance(plain, dict)
        if not _mentions_art(plain):
            return config, ()
        notes: list[str] = []

        def value_of(args: str) -> Any:
            name, _, field_name = args.partition(",")
            return self.art(name.strip(), field_name.strip() or "path", config)

        def pin(value: Any) -> Any:
            if isinstance(value, dict):
                return {k: pin(v) for k, v in value.items()}
            if isinstance(value, list):
                return [pin(v) for v in value]
            if not isinstance(value, str) or "${art:" not in value:
                return value
            whole = _ART_REF.fullmatch(value.strip())
            try:
                if whole:
                    return value_of(whole.group(1))
                return _ART_REF.sub(lambda m: str(value_of(m.group(1))), value)
            except RunspecError as exc:
                if strict:
                    raise
                notes.append(str(exc))
                return value

        pinned = OmegaConf.create(pin(plain))
        assert isinstance(pinned, DictConfig)
        return pinned, tuple(dict.fromkeys(notes))

    # -- ${auto_mount:git+URL@REF[,TARGET]} -----------------------------------------------

    def auto_mount(self, spec: str, target: str = "") -> str:
        """Record the git mount and return its marker (``__auto_mount__:<repo>``)."""
        mount = parse_git_mount(spec, target)
        self.git_mounts[mount.name] = mount
        return f"{AUTO_MOUNT_MARKER}{mount.name}"


def _run_refs(root: Any) -> dict[str, str]:
    """Plain string entries of the ``run`` section (``run.data: tiny-data:latest``), unresolved."""
    if not isinstance(root, DictConfig):
        return {}
    run = root._get_node("run") if "run" in root else None
    if not isinstance(run, DictConfig):
        return {}
    refs: dict[str, str] = {}
    for key in run:
        child = run._get_node(key)
        value = child._value() if child is not None else None
        if isinstance(value, str) and "${" not in value:
            refs[str(key)] = value
    return refs


def _interpolated_run_ref(root: Any, name: str) -> str | None:
    """``run.NAME: ${oc.env:DATA_REF}``: resolve that one entry (it must give a string)."""
    if not isinstance(root, DictConfig) or "run" not in root:
        return None
    run = root._get_node("run")
    child = run._get_node(name) if isinstance(run, DictConfig) and name in run else None
    if child is None or not isinstance(child._value(), str):
        return None
    value = OmegaConf.select(root, f"run.{name}")
    return value if isinstance(value, str) and value else None


def _field(artifact: Any, name: str, field: str) -> Any:
    if field in ART_FIELDS:
        value = getattr(artifact, field)
        return str(value) if field == "path" else value
    metadata: Mapping[str, Any] = getattr(artifact, "metadata", None) or {}
    key = field[len("metadata.") :] if field.startswith("metadata.") else field
    if key in metadata:
        value = metadata[key]
        return OmegaConf.create(value) if isinstance(value, (dict, list)) else value
    fields = [*ART_FIELDS, *sorted(metadata)]
    hint = f"{did_you_mean(key, fields)} Available fields: {', '.join(fields)}".strip()
    raise ArtifactError(
        f"${{art:{name},{field}}}: artifact '{getattr(artifact, 'name', name)}' has no field '{key}'",
        key=f"art:{name},{field}",
        hint=hint,
    )


def _mentions_art(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_mentions_art(v) for v in value.values())
    if isinstance(value, list):
        return any(_mentions_art(v) for v in value)
    return isinstance(value, str) and "${art:" in value
