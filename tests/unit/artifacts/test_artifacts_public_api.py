from __future__ import annotations

import subprocess
import sys

import nemo_runspec_nb.artifacts as artifacts


def test_exported_names() -> None:
    assert set(artifacts.__all__) == {
        "ArtifactFileSystem",
        "ArtifactManifest",
        "ArtifactRef",
        "ArtifactRegistry",
        "ArtifactTracker",
        "WandbBackend",
        "artifact_env",
        "lineage",
        "log_artifact",
        "parse_art_url",
        "parse_ref",
        "registry",
        "setup_artifact_tracking",
        "table",
        "versions",
    }
    for name in artifacts.__all__:
        assert getattr(artifacts, name) is not None


def test_unknown_attribute() -> None:
    try:
        artifacts.nope  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "has no attribute 'nope'" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")


def test_importing_artifacts_stays_light() -> None:
    code = (
        "import sys, nemo_runspec_nb, nemo_runspec_nb.artifacts as a\n"
        "heavy = [m for m in ('pandas', 'wandb', 'fsspec', 'numpy', 's3fs') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_art_filesystem_loads_fsspec_on_first_use() -> None:
    code = (
        "import sys, nemo_runspec_nb.artifacts as a\n"
        "assert 'fsspec' not in sys.modules\n"
        "a.ArtifactFileSystem\n"
        "print('fsspec' in sys.modules, 'wandb' in sys.modules, 'pandas' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True False False"


def test_art_filesystem_appears_on_the_package_when_its_module_loads() -> None:
    code = (
        "import nemo_runspec_nb.artifacts as a\n"
        "print('ArtifactFileSystem' in vars(a))\n"
        "import nemo_runspec_nb.artifacts._filesystem as impl\n"  # as fsspec's entry point may import it
        "cls = impl.ArtifactFileSystem\n"
        "print(vars(a)['ArtifactFileSystem'] is cls, cls.__module__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True", "nemo_runspec_nb.artifacts"]
