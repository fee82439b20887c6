"""Where a job finds its code: in place, or a package made by ``launch._packaging``.

``LaunchRequest.packager`` may hold one of our packagers (``make_packager(profile)``).
At submit time it packages the recipe into ``JOB_DIR/package``; a tarball is
unpacked into ``JOB_DIR/code`` (the cluster shares this file system through the
local tunnel), a self-contained script is used where it was written. ``run.sh``
then runs the packaged script with the package root on ``PYTHONPATH``. A
preview predicts the same paths without packaging anything.
"""

from __future__ import annotations

import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import PackagingError
from ._commands import resolve_workdir
from ._packaging import PACKAGER_KINDS

if TYPE_CHECKING:
    from ._request import LaunchRequest

PACKAGE_DIR = "package"
CODE_DIR = "code"


@dataclass(frozen=True)
class JobCode:
    """The paths ``run.sh`` uses."""

    script: Path
    config: Path
    workdir: Path
    pythonpath: Path | None = None
    kind: str = "none"


def is_our_packager(packager: Any) -> bool:
    """True for one of our packagers (``launch._packaging``), not a nemo-run one or None."""
    return (
        packager is not None
        and getattr(packager, "kind", None) in PACKAGER_KINDS
        and hasattr(packager, "package")
    )


def _in_place(request: LaunchRequest) -> JobCode:
    return JobCode(request.script_path, request.train_config, resolve_workdir(request.runspec))


def _workdir(request: LaunchRequest, script: Path) -> Path:
    workdir = request.runspec.run.workdir
    return (script.parent / workdir).resolve() if workdir else script.parent


def _repo_relative(script: Path) -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=script.parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except OSError:
        return script.name
    if out.returncode != 0 or not out.stdout.strip():
        return script.name
    try:
        return script.resolve().relative_to(Path(out.stdout.strip()).resolve()).as_posix()
    except ValueError:
        return script.name


def predict_code(request: LaunchRequest) -> JobCode:
    """The paths the job will use, without packaging (for previews)."""
    packager = request.packager
    if not is_our_packager(packager) or packager.kind == "none":
        return _in_place(request)
    if packager.kind == "self_contained":
        root = request.job_dir / PACKAGE_DIR
        script = root / request.script_path.name
        config = root / request.train_config.name
    else:
        root = request.job_dir / CODE_DIR
        script = root / _repo_relative(request.script_path)
        config = root / "_runspec" / request.train_config.name
    return JobCode(script, config, _workdir(request, script), root, packager.kind)


def prepare_code(request: LaunchRequest) -> JobCode:
    """Package (and unpack) the recipe as ``request.packager`` says; return the paths to run."""
    packager = request.packager
    if not is_our_packager(packager) or packager.kind == "none":
        return _in_place(request)
    config = request.train_config
    packaged = packager.package(
        request.script_path, request.job_dir / PACKAGE_DIR, config=config if config.exists() else None
    )
    if packaged.tarball is not None:
        root = request.job_dir / CODE_DIR
        root.mkdir(parents=True, exist_ok=True)
        try:
            with tarfile.open(packaged.tarball, "r:gz") as tar:
                tar.extractall(root, filter="data")
        except (tarfile.TarError, OSError) as exc:
            raise PackagingError(f"cannot unpack the code package: {exc}", path=packaged.tarball) from exc
    else:
        root = Path(packaged.root)
    script = root / packaged.entrypoint
    job_config = root / packaged.config if packaged.config else config
    return JobCode(script, job_config, _workdir(request, script), root, packaged.kind)
