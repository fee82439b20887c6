"""Recipe-script arguments in the forms users type, as Hydra-style dotlist tokens.

``key=value``, ``+key=value``, ``~key`` pass through; ``--key value``, ``--key=value``,
``--flag`` (true) and ``--no-flag`` (false) become ``key=value`` tokens (a ``key=value`` token
right after ``--flag`` is an override of its own, not the flag's value); ``-`` in a flag name
becomes ``_`` (``--max-steps 10`` is ``max_steps=10``) and dots nest (``--optim.lr 1e-4``).
The tokens are then applied by the config package's one override parser.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..errors import OverrideError

_FLAG_NAME = re.compile(r"^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$")
_DOTLIST = re.compile(r"^[+~]{0,2}[A-Za-z_][\w.]*(=|$)")


def _key(name: str, token: str, position: int) -> str:
    if not _FLAG_NAME.match(name):
        raise OverrideError(
            f"not an option name: {token!r} (argument {position})",
            key=name or None,
            hint="Options look like --key value, --key=value, --flag or --no-flag; keys nest with dots",
        )
    return ".".join(part.replace("-", "_") for part in name.split("."))


def _takes_value(following: str | None) -> bool:
    """``--key X``: X is the value unless it is another option or a ``key=value`` token.

    A negative number is a value; ``--name a=b`` reads ``a=b`` as an override (write ``--name=a=b``).
    """
    if following is None or following.startswith("--"):
        return False
    if "=" in following and _DOTLIST.match(following):
        return False
    return not (following.startswith("-") and not re.match(r"^-\d", following))


def to_dotlist(args: Sequence[str]) -> list[str]:
    """Normalise recipe arguments to dotlist tokens (see the module docstring).

    Raises:
        OverrideError: a ``--`` option whose name is not a key, naming the argument.

    """
    tokens: list[str] = []
    items = list(args)
    index = 0
    while index < len(items):
        token = items[index]
        position = index + 1
        index += 1
        if not token.startswith("--"):
            tokens.append(token)
            continue
        body = token[2:]
        if "=" in body:
            name, value = body.split("=", 1)
            tokens.append(f"{_key(name, token, position)}={value}")
            continue
        following = items[index] if index < len(items) else None
        if _takes_value(following):
            assert following is not None
            tokens.append(f"{_key(body, token, position)}={following}")
            index += 1
        elif body.startswith("no-") and len(body) > 3:
            tokens.append(f"{_key(body[3:], token, position)}=false")
        else:
            tokens.append(f"{_key(body, token, position)}=true")
    return tokens
