"""Container images as enroot squash files on a cluster.

Pyxis starts a container much faster from a local ``.sqsh`` file than from a
registry. :func:`ensure_squashed_image` makes sure the file for an image
exists under a cluster directory, importing it with ``enroot import`` only
when it is missing (or when forced), through anything shaped like a
nemo-run tunnel: ``tunnel.run(cmd)`` returning an object with ``.stdout`` and
``.return_code`` (LocalTunnel, SSHTunnel, or a test double). Given a build
partition (the profile's ``build_partition``/``build_time``), the import runs
on a node of it through ``salloc ... srun`` instead of on the login node.

File names come from :func:`container_to_sqsh_name`, the same names the seed
gives its squash files so existing caches are found: a scheme prefix
(``docker://``, ``dockerd://``, ...) is dropped and every character outside
``[A-Za-z0-9]`` becomes ``_``, so ``nvcr.io/nvidia/nemo:25.11`` ->
``nvcr_io_nvidia_nemo_25_11.sqsh``. The mapping is deterministic, so every
user of a shared directory finds the same file. A file under the name this
module used before (``nvcr.io+nvidia+nemo+25.11.sqsh``: ``/``, ``:``, ``@``,
``#`` as ``+``) is still found and used when the seed-named one is missing;
new imports are written under the seed name only.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from typing import Protocol

from ..errors import PackagingError

__all__ = [
    "CommandResult",
    "TunnelLike",
    "container_to_sqsh_name",
    "enroot_uri",
    "ensure_squashed_image",
    "get_squash_path",
]

_ENROOT_SCHEMES = ("docker://", "dockerd://", "podman://", "docker-archive://", "oci-archive://")
"""The image sources ``enroot import`` understands; :func:`enroot_uri` keeps them intact."""
_SEPARATORS = re.compile(r"[/:@#]+")
_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]")
_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]")


class CommandResult(Protocol):
    """What a tunnel's ``run`` returns (fabric/invoke ``Result`` shape)."""

    stdout: str
    return_code: int


class TunnelLike(Protocol):
    """The part of a nemo-run tunnel this module uses."""

    def run(self, command: str) -> CommandResult:
        """Run ``command`` in a shell on the cluster."""
        ...


def _strip_scheme(image: str) -> str:
    image = image.strip()
    for scheme in _ENROOT_SCHEMES:
        if image.startswith(scheme):
            return image[len(scheme) :]
    return image


def _image_ref(image: str) -> str:
    if not isinstance(image, str) or not _strip_scheme(image):
        raise PackagingError(f"not a container image: {image!r}", key="image")
    return _strip_scheme(image)


def container_to_sqsh_name(image: str) -> str:
    """Squash file name for ``image``: ``nvcr.io/nvidia/nemo:25.11`` -> ``nvcr_io_nvidia_nemo_25_11.sqsh``."""
    return f"{_NOT_ALNUM.sub('_', _image_ref(image))}.sqsh"


def _legacy_sqsh_name(image: str) -> str:
    """Earlier name, still found: ``nvcr.io/nvidia/nemo:25.11`` -> ``nvcr.io+nvidia+nemo+25.11.sqsh``."""
    name = _UNSAFE.sub("_", _SEPARATORS.sub("+", _image_ref(image))).strip("+")
    return f"{name}.sqsh"


def get_squash_path(image: str, squash_dir: str) -> str:
    """Where the squash file for ``image`` lives in ``squash_dir`` (a path on the cluster)."""
    if not squash_dir:
        raise PackagingError("squash_dir is empty", key="squash_dir", hint="Set squash_dir in the profile")
    return posixpath.join(squash_dir, container_to_sqsh_name(image))


def enroot_uri(image: str) -> str:
    """``image`` as ``enroot import`` expects it.

    A reference with one of enroot's own schemes (``docker://``,
    ``dockerd://``, ``podman://``, ``docker-archive://``, ``oci-archive://``)
    is passed on as it is. A plain reference becomes
    ``docker://[REGISTRY#]IMAGE[:TAG]``: the first path component is a
    registry when it has a ``.`` or ``:`` or is ``localhost`` (Docker's own
    rule); otherwise the image is on Docker Hub.
    """
    ref = image.strip()
    scheme, sep, _ = ref.partition("://")
    if sep:
        if f"{scheme}://" not in _ENROOT_SCHEMES:
            raise PackagingError(
                f"enroot cannot import {image!r}: unknown scheme {scheme}://",
                key="image",
                hint="Use a plain image reference or one of " + ", ".join(_ENROOT_SCHEMES),
            )
        return ref
    first, sep, rest = ref.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost") and "#" not in ref:
        return f"docker://{first}#{rest}"
    return f"docker://{ref}"


def _run(tunnel: TunnelLike, command: str, what: str) -> CommandResult:
    try:
        return tunnel.run(command)
    except Exception as exc:  # tunnels raise their own types (invoke UnexpectedExit, paramiko errors)
        raise PackagingError(f"{what} failed on the cluster: {exc}".strip()) from exc


_DEFAULT_BUILD_TIME = "01:00:00"


def _import_command(image: str, path: str, build_partition: str | None, build_time: str | None) -> str:
    """``enroot import`` for ``image`` into ``path``, inside a ``salloc`` when a build partition is named."""
    command = f"enroot import --output {shlex.quote(path)} {shlex.quote(enroot_uri(image))}"
    if build_time and not build_partition:
        raise PackagingError(
            "build_time is set but build_partition is not",
            key="build_time",
            hint="Set build_partition in the profile to build the squash file on that partition, "
            "or drop build_time to import on the login node",
        )
    if not build_partition:
        return command
    allocation = [
        f"--partition={build_partition}",
        f"--time={build_time or _DEFAULT_BUILD_TIME}",
        "--nodes=1",
        "--ntasks=1",
    ]
    return f"salloc {' '.join(shlex.quote(a) for a in allocation)} srun {command}"


def ensure_squashed_image(
    tunnel: TunnelLike,
    image: str,
    squash_dir: str,
    *,
    force: bool = False,
    build_partition: str | None = None,
    build_time: str | None = None,
) -> str:
    """Make sure ``squash_dir`` holds the squash file for ``image``; return its path.

    Checks for the file first and runs ``enroot import`` only when it is
    missing or ``force`` is true (then the old file is removed first). An
    ``image`` that already is a ``.sqsh`` path is returned as it is. The
    check prints a word instead of relying on an exit code, so it works with
    tunnels that raise on non-zero exits and with those that do not.

    With ``build_partition`` the import runs on a node of that partition,
    ``salloc --partition=P --time=T --nodes=1 --ntasks=1 srun enroot import
    ...``, instead of where the tunnel lands (the login node); ``build_time``
    is the allocation's time limit (``01:00:00`` when not given).
    """
    if image.endswith(".sqsh"):
        return image  # already a squash file
    path = get_squash_path(image, squash_dir)
    quoted = shlex.quote(path)
    import_command = _import_command(image, path, build_partition, build_time)
    if not force:
        legacy = posixpath.join(squash_dir, _legacy_sqsh_name(image))
        probe = _run(
            tunnel,
            f"if [ -f {quoted} ]; then echo present; elif [ -f {shlex.quote(legacy)} ]; then echo legacy; "
            "else echo missing; fi",
            "checking",
        )
        answer = str(probe.stdout).strip().splitlines()[-1:]
        if answer == ["present"]:
            return path
        if answer == ["legacy"]:
            return legacy
    command = f"mkdir -p {shlex.quote(squash_dir)} && rm -f {quoted} && {import_command}"
    result = _run(tunnel, command, "enroot import")
    if result.return_code != 0:
        output = f"{result.stdout or ''}\n{getattr(result, 'stderr', '') or ''}"
        tail = " / ".join(output.strip().splitlines()[-3:])
        where = f" on partition {build_partition!r}" if build_partition else ""
        raise PackagingError(
            f"enroot import of {image!r}{where} failed with exit code {result.return_code}"
            + (f": {tail}" if tail else ""),
            path=path,
            hint="Check that enroot is installed on the cluster and that you can pull the image there"
            + (" (and that you may allocate on the build partition)" if build_partition else ""),
        )
    return path
