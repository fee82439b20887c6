"""What a job dir gets: ``train.yaml`` (the config the script reads), ``job.yaml``, a fresh dir name.

``train.yaml`` (:func:`extract_train_config`) is the job config with ``run``
removed except its artifact refs, ``${run.*}`` substituted, and for remote runs
local paths rewritten to where the code lands in the container.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from ._layout import ProjectLayout
from ._overrides import plain_config
from ._redact import seal_secrets
from ._run_refs import is_artifact_reference, resolve_run_interpolations

__all__ = ["extract_train_config", "generate_job_dir", "save_configs"]

REMOTE_CODE_DIR = "/nemo_run/code"
REMOTE_RUN_DIR = "/nemo_run"

_NEMO_RUN_DIR_REF = re.compile(r"^\$\{oc\.env:NEMO_RUN_DIR[^}]*\}")


def _rewrite_for_remote(obj: Any, repo_root: str) -> Any:
    if isinstance(obj, Mapping):
        return {k: _rewrite_for_remote(v, repo_root) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_rewrite_for_remote(v, repo_root) for v in obj]
    if not isinstance(obj, str):
        return obj
    if "${oc.env:PWD}" in obj:
        return obj.replace("${oc.env:PWD}", REMOTE_CODE_DIR)
    match = _NEMO_RUN_DIR_REF.match(obj)
    if match:
        return REMOTE_RUN_DIR + obj[match.end() :]
    if obj == repo_root or obj.startswith(repo_root + "/"):
        rest = obj[len(repo_root) :].lstrip("/")
        return f"{REMOTE_CODE_DIR}/{rest}" if rest else REMOTE_CODE_DIR
    return obj


def extract_train_config(
    job_config: DictConfig | Mapping[str, Any],
    *,
    for_remote: bool = False,
    repo_root: Path | str | None = None,
) -> DictConfig:
    """The config the script reads (train.yaml).

    ``run`` is removed except its artifact-ref entries (``run.data: tiny-data:latest``,
    needed by ``${art:data,...}``); ``${run.*}`` references are substituted from it;
    every other interpolation stays. With ``for_remote=True``, ``${oc.env:PWD}`` and
    absolute paths under ``repo_root`` (default: cwd) become ``/nemo_run/code/...``
    and ``${oc.env:NEMO_RUN_DIR,...}`` becomes ``/nemo_run``.
    """
    data = plain_config(job_config)
    run = data.pop("run", None)
    run = run if isinstance(run, dict) else {}
    if for_remote:
        root = str(Path(repo_root) if repo_root is not None else Path.cwd()).rstrip("/")
        data = _rewrite_for_remote(data, root)
    data = resolve_run_interpolations(data, run)
    refs = {k: v for k, v in run.items() if is_artifact_reference(v)}
    if refs:
        data["run"] = refs
    result = OmegaConf.create(data)
    assert isinstance(result, DictConfig)
    return result


# --------------------------------------------------------------------------- job dirs


def generate_job_dir(
    recipe_name: str, base_dir: Path | str | None = None, *, now: datetime | None = None
) -> Path:
    """A fresh ``<base>/.nemotron/jobs/<YYYYmmdd-HHMMSS>-<recipe>`` path (not created).

    ``/`` and other unsafe characters in the name become ``-``; when that
    directory already exists a ``-2``, ``-3`` ... suffix keeps it unique.
    """
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    return ProjectLayout(base).new_job_dir(recipe_name, now)


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_configs(
    job_config: DictConfig | Mapping[str, Any],
    train_config: DictConfig | Mapping[str, Any],
    job_dir: Path | str,
) -> tuple[Path, Path]:
    """Write ``job.yaml`` and ``train.yaml`` into ``job_dir`` (created), each atomically.

    Interpolations are written unresolved. Secret-looking values are never written: they are
    sealed (:func:`~._redact.seal_secrets`) into ``${oc.env:NAME}``, so
    the job must get NAME from its secrets file; the recipe facade seals the configs itself and
    passes the values on to the job. Returns ``(job_yaml, train_yaml)``.
    """
    directory = Path(job_dir)
    directory.mkdir(parents=True, exist_ok=True)
    job_path = directory / "job.yaml"
    train_path = directory / "train.yaml"
    names: dict[str, str] = {}
    for path, cfg in ((job_path, job_config), (train_path, train_config)):
        node = cfg if isinstance(cfg, DictConfig) else OmegaConf.create(dict(cfg))
        sealed, _ = seal_secrets(node, names)
        _atomic_write(path, OmegaConf.to_yaml(sealed, resolve=False))
    return job_path, train_path
