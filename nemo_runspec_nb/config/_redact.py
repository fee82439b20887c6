"""Mask secret-looking values before anything is shown.

Every preview and display (job.yaml, train.yaml, provenance tables, the
environment of a job, sbatch text) goes through :func:`redact` or
:func:`redact_text`. A key looks secret when one of its words (split on
``_``, ``-``, ``.`` and camelCase, case-insensitive) is KEY, TOKEN, SECRET,
PASSWORD, PASSWD, CREDENTIAL(S) or APIKEY: ``WANDB_API_KEY``, ``hf_token``,
``dbPassword``; not ``max_tokens`` or ``tokenizer``.

Only literal text is masked: numbers and booleans are not secrets, and a value
that is a single interpolation (``${oc.env:HF_TOKEN}``) says where the secret
comes from without revealing it, so it is shown as is. In lists, items of the
form ``NAME=value`` (an ``env_vars`` list, say) are masked when NAME looks
secret.

Files are sealed, not masked (:func:`seal_secrets`): every value :func:`redact`
would mask becomes ``${oc.env:NAME}``, and the values are handed back by
variable name, for the job's owner-only secrets file. A recipe that loads its
config with ``OmegaConf.load(path)`` and resolves it gets the real value inside
the job; nothing we write holds it. A leaf ``run.env.env_vars.NAME`` seals to
``NAME`` itself (the job gets that variable anyway); any other key ``a.b_key``
to ``RUNSPEC_SECRET_A_B_KEY``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

from omegaconf import DictConfig, ListConfig, OmegaConf

__all__ = [
    "MASK",
    "SECRET_ENV_PREFIX",
    "is_secret_key",
    "redact",
    "redact_leaf",
    "redact_text",
    "seal_secrets",
]

MASK = "****"
SECRET_ENV_PREFIX = "RUNSPEC_SECRET_"
"""Prefix of the variables :func:`seal_secrets` names after a config key."""

_SECRET_WORDS = frozenset(
    {"key", "token", "secret", "secrets", "password", "passwd", "credential", "credentials", "apikey"}
)
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_SINGLE_INTERPOLATION = re.compile(r"^\$\{[^${}]*(?:\$\{[^{}]*\}[^${}]*)*\}$")
# NAME=value items, including override tokens such as "+wandb.api_key=..." or "env.HF_TOKEN=...".
_ASSIGNMENT = re.compile(r"^([+~]{0,2}[A-Za-z_][A-Za-z0-9_.\[\]-]*)=(.*)$", re.S)
_TEXT_ASSIGNMENT = re.compile(r"""\b([A-Za-z_][A-Za-z0-9_]*)=("[^"\n]*"|'[^'\n]*'|[^\s;&|]+)""")

T = TypeVar("T")


def is_secret_key(key: object) -> bool:
    """True when ``key`` (a name, or the last segment of a dotted key) names a secret."""
    name = str(key).rsplit(".", 1)[-1]
    name = re.sub(r"\[\d+\]$", "", name)
    return any(word.lower() in _SECRET_WORDS for word in _WORD.findall(name))


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        if not value or _SINGLE_INTERPOLATION.match(value):
            return value
        return MASK
    if isinstance(value, bytes) and value:
        return MASK
    return value


def _mask_assignment(item: Any) -> Any:
    if isinstance(item, str):
        match = _ASSIGNMENT.match(item)
        if match and is_secret_key(match.group(1).lstrip("+~")):
            return f"{match.group(1)}={_mask(match.group(2))}"
    return item


def _redact_plain(obj: Any, secret: bool = False) -> Any:
    if isinstance(obj, Mapping):
        return {k: _redact_plain(v, secret or is_secret_key(k)) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        items = [_redact_plain(_mask_assignment(v), secret) for v in obj]
        return items if isinstance(obj, list) else tuple(items)
    return _mask(obj) if secret else obj


def redact(obj: T) -> T:
    """Return a copy of ``obj`` with the values of secret-looking keys masked.

    Works on ``DictConfig``/``ListConfig`` (returns the same kind, interpolations
    left unresolved), mappings, lists and scalars. The input is not modified.
    """
    if isinstance(obj, (DictConfig, ListConfig)):
        plain = OmegaConf.to_container(obj, resolve=False)
        return OmegaConf.create(_redact_plain(plain))  # type: ignore[no-any-return]
    return _redact_plain(obj)  # type: ignore[no-any-return]


def redact_leaf(key: str, value: Any) -> Any:
    """Mask one leaf given its dotted key (used by provenance tables)."""
    if is_secret_key(key):
        return _redact_plain(value, True)
    return _redact_plain(value)


def redact_text(text: str) -> str:
    """Mask ``NAME=value`` assignments with secret-looking names in free text (scripts, commands)."""

    def _replace(match: re.Match[str]) -> str:
        name, value = match.group(1), match.group(2)
        if not is_secret_key(name):
            return match.group(0)
        quote = value[0] if value[:1] in "\"'" and len(value) > 1 else ""
        inner = value[1:-1] if quote else value
        return f"{name}={quote}{_mask(inner)}{quote}"

    return _TEXT_ASSIGNMENT.sub(_replace, text)


_ENV_VARS_PREFIX = "run.env.env_vars."
_NOT_ENV_CHAR = re.compile(r"[^A-Za-z0-9]+")


def _sealed_name(key: str) -> str:
    key = key.lstrip("+~")
    name = key[len(_ENV_VARS_PREFIX) :]
    if key.startswith(_ENV_VARS_PREFIX) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        return name
    return SECRET_ENV_PREFIX + _NOT_ENV_CHAR.sub("_", key).strip("_").upper()


class _Sealer:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def placeholder(self, key: str, value: str) -> str:
        base = name = _sealed_name(key)
        counter = 2
        while self.env.get(name, value) != value:  # the same name for another value: a new name
            name = f"{base}_{counter}"
            counter += 1
        self.env[name] = value
        return "${oc.env:" + name + "}"

    def leaf(self, key: str, value: Any) -> Any:
        if isinstance(value, str) and _mask(value) == MASK:
            return self.placeholder(key, value)
        return value

    def item(self, item: Any) -> Any:
        if isinstance(item, str):
            match = _ASSIGNMENT.match(item)
            if match and is_secret_key(match.group(1).lstrip("+~")):
                return f"{match.group(1)}={self.leaf(match.group(1), match.group(2))}"
        return item

    def walk(self, obj: Any, key: str, secret: bool) -> Any:
        if isinstance(obj, Mapping):
            out = {}
            for k, v in obj.items():
                sub = f"{key}.{k}" if key else str(k)
                out[k] = self.walk(v, sub, secret or is_secret_key(k))
            return out
        if isinstance(obj, (list, tuple)):
            items = [self.walk(self.item(v), f"{key}[{i}]", secret) for i, v in enumerate(obj)]
            return items if isinstance(obj, list) else tuple(items)
        return self.leaf(key, obj) if secret else obj


def seal_secrets(obj: T, env: dict[str, str] | None = None) -> tuple[T, dict[str, str]]:
    """Replace every value :func:`redact` would mask with ``${oc.env:NAME}``; return ``(sealed, values)``.

    ``values`` maps each NAME to the secret it stands for (pass the same ``env`` dict to seal
    several trees consistently: one value, one name). Works on the same inputs as
    :func:`redact`; the input is not modified. Sealing a sealed tree changes nothing.

    >>> sealed, values = seal_secrets({"a": {"api_key": "sk-1"}, "lr": 0.1})
    >>> sealed
    {'a': {'api_key': '${oc.env:RUNSPEC_SECRET_A_API_KEY}'}, 'lr': 0.1}
    >>> values
    {'RUNSPEC_SECRET_A_API_KEY': 'sk-1'}
    """
    values: dict[str, str] = {} if env is None else env
    sealer = _Sealer(values)
    if isinstance(obj, (DictConfig, ListConfig)):
        plain = OmegaConf.to_container(obj, resolve=False)
        return OmegaConf.create(sealer.walk(plain, "", False)), values
    return sealer.walk(obj, "", False), values
