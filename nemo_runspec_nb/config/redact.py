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
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

from omegaconf import DictConfig, ListConfig, OmegaConf

__all__ = ["MASK", "is_secret_key", "redact", "redact_leaf", "redact_text"]

MASK = "****"

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
