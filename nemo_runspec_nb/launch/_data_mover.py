"""Ship a code archive to cloud pods through environment variables.

A cloud pod (Lepton, DGX Cloud) sees no file of the submitting machine, but it does get the
job's environment. The archive (a ``.tar.gz`` from the packager) is base64-encoded and cut into
chunks, each one environment variable below Linux's per-string limit (128 KiB), with the count
and a SHA-256 beside them::

    NRS_CODE_CHUNKS=3  NRS_CODE_SHA256=<hex>  NRS_CODE_0=...  NRS_CODE_1=...  NRS_CODE_2=...

:func:`unpack_command` is the shell line the pod runs first: a standard-library Python snippet
(the pod need not have this package) that joins the chunks, checks the digest, and extracts
into the target directory refusing any member that would land outside it. A missing chunk or
a digest mismatch stops the job with a message, before the recipe runs.
"""

from __future__ import annotations

import base64
import hashlib
import shlex
from collections.abc import Mapping

from ..errors import PackagingError

__all__ = ["CHUNK_CHARS", "MAX_TOTAL_CHARS", "PREFIX", "chunk_names", "pack_env", "unpack_command"]

PREFIX = "NRS_CODE"
CHUNK_CHARS = 96 * 1024
"""Characters per chunk: with the name, well below MAX_ARG_STRLEN (131,072 bytes)."""
MAX_TOTAL_CHARS = 1536 * 1024
"""All chunks together: the environment shares ARG_MAX (2 MiB on Linux) with the command line."""


def pack_env(archive: bytes, *, prefix: str = PREFIX, chunk_chars: int = CHUNK_CHARS) -> dict[str, str]:
    """The environment variables that carry ``archive`` (see the module docstring).

    Raises:
        PackagingError: the encoded archive exceeds :data:`MAX_TOTAL_CHARS`; the hint says how
            to make it smaller or ship the code another way.

    """
    if chunk_chars <= 0:
        raise ValueError("chunk_chars must be positive")
    encoded = base64.b64encode(archive).decode("ascii")
    if len(encoded) > MAX_TOTAL_CHARS:
        raise PackagingError(
            f"the code archive is too large to ship in environment variables: {len(archive):,} bytes "
            f"({len(encoded):,} encoded, limit {MAX_TOTAL_CHARS:,})",
            key="packager",
            hint="Exclude data and checkpoints from the package (packager_patterns), or bake the code "
            'into the container image and set packager = "none"',
        )
    chunks = [encoded[i : i + chunk_chars] for i in range(0, len(encoded), chunk_chars)] or [""]
    env = {f"{prefix}_{index}": chunk for index, chunk in enumerate(chunks)}
    env[f"{prefix}_CHUNKS"] = str(len(chunks))
    env[f"{prefix}_SHA256"] = hashlib.sha256(archive).hexdigest()
    return env


# Runs in the pod under any Python 3.8+; no imports beyond the standard library.
_UNPACK = r"""
import base64, hashlib, io, os, sys, tarfile
prefix, target = sys.argv[1], os.path.realpath(sys.argv[2])
def fail(message):
    sys.stderr.write("code unpack: " + message + "\n")
    sys.exit(3)
try:
    count = int(os.environ[prefix + "_CHUNKS"])
except (KeyError, ValueError):
    fail(prefix + "_CHUNKS is missing or not a number: the job was not given its code")
missing = [str(i) for i in range(count) if prefix + "_" + str(i) not in os.environ]
if missing:
    fail("missing chunk(s) " + ", ".join(missing) + " of " + str(count))
data = base64.b64decode("".join(os.environ[prefix + "_" + str(i)] for i in range(count)))
if hashlib.sha256(data).hexdigest() != os.environ.get(prefix + "_SHA256"):
    fail("the archive's SHA-256 does not match " + prefix + "_SHA256: chunks were cut or mixed")
os.makedirs(target, exist_ok=True)
with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
    members = archive.getmembers()
    for member in members:
        where = os.path.realpath(os.path.join(target, member.name))
        if where != target and not where.startswith(target + os.sep):
            fail("refusing " + member.name + ": it would land outside " + target)
        if member.issym() or member.islnk():
            link = os.path.realpath(os.path.join(os.path.dirname(where), member.linkname))
            if member.islnk():
                link = os.path.realpath(os.path.join(target, member.linkname))
            if link != target and not link.startswith(target + os.sep):
                fail("refusing link " + member.name + " -> " + member.linkname)
        if member.isdev() or member.isfifo():
            fail("refusing device or fifo " + member.name)
    if hasattr(tarfile, "data_filter"):
        archive.extractall(target, members, filter="data")
    else:
        archive.extractall(target, members)
for i in range(count):
    os.environ.pop(prefix + "_" + str(i), None)
"""


def unpack_command(target: str, *, prefix: str = PREFIX, python: str = "python3") -> str:
    """The shell line a pod runs before the recipe: rebuild the archive and extract it into ``target``."""
    return (
        f"{shlex.quote(python)} -c {shlex.quote(_UNPACK.strip())} {shlex.quote(prefix)} {shlex.quote(target)}"
    )


def chunk_names(env: Mapping[str, str], *, prefix: str = PREFIX) -> list[str]:
    """The variables of ``env`` that carry code chunks (to keep them out of previews and logs)."""
    return [name for name in env if name.startswith(prefix + "_")]
