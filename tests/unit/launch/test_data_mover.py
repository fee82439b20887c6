"""Code shipped to a pod through environment variables, unpacked by a real process."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from nemo_runspec_nb.errors import LaunchError, PackagingError
from nemo_runspec_nb.launch._data_mover import MAX_TOTAL_CHARS, chunk_names, pack_env, unpack_command


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _archive(source: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(source, arcname=".")
    return buffer.getvalue()


@pytest.fixture
def source(tmp_path: Path) -> Path:
    root = tmp_path / "code"
    (root / "pkg").mkdir(parents=True)
    (root / "recipe.py").write_text("print('hello from the pod')\n")
    (root / "pkg" / "__init__.py").write_text("VALUE = 42\n")
    (root / "pkg" / "blob.bin").write_bytes(os.urandom(300_000))  # several chunks
    return root


def _pod(command: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """A pod is a fresh process that sees only its environment (plus PATH to find python3)."""
    return subprocess.run(
        ["bash", "-c", command],
        env={"PATH": os.environ["PATH"], **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def test_chunks_reassemble_into_the_same_tree_in_another_process(source: Path, tmp_path: Path):
    archive = _archive(source)
    env = pack_env(archive, chunk_chars=64 * 1024)
    assert int(env["NRS_CODE_CHUNKS"]) >= 6
    assert all(len(value) <= 64 * 1024 for name, value in env.items() if name[9:].isdigit())
    assert env["NRS_CODE_SHA256"] == hashlib.sha256(archive).hexdigest()
    target = tmp_path / "pod" / "code"
    done = _pod(unpack_command(str(target)) + f" && cd {target} && python3 recipe.py", env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "hello from the pod\n"
    assert _tree(target) == _tree(source)


def test_a_missing_chunk_stops_the_pod_before_the_recipe(source: Path, tmp_path: Path):
    env = pack_env(_archive(source), chunk_chars=64 * 1024)
    del env["NRS_CODE_2"]
    done = _pod(unpack_command(str(tmp_path / "t")) + " && echo RECIPE RAN", env, tmp_path)
    assert done.returncode == 3
    assert "missing chunk(s) 2 of" in done.stderr
    assert "RECIPE RAN" not in done.stdout


def test_mixed_chunks_fail_the_digest(source: Path, tmp_path: Path):
    env = pack_env(_archive(source), chunk_chars=64 * 1024)
    env["NRS_CODE_0"], env["NRS_CODE_1"] = env["NRS_CODE_1"], env["NRS_CODE_0"]
    done = _pod(unpack_command(str(tmp_path / "t")), env, tmp_path)
    assert done.returncode == 3
    assert "SHA-256 does not match" in done.stderr


def test_a_member_that_escapes_the_target_is_refused(tmp_path: Path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("../escaped.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"bad"))
    done = _pod(unpack_command(str(tmp_path / "t")), pack_env(buffer.getvalue()), tmp_path)
    assert done.returncode == 3
    assert "would land outside" in done.stderr
    assert not (tmp_path / "escaped.txt").exists()


def test_a_symlink_out_of_the_target_is_refused(tmp_path: Path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("etc")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc"
        tar.addfile(info)
    done = _pod(unpack_command(str(tmp_path / "t")), pack_env(buffer.getvalue()), tmp_path)
    assert done.returncode == 3
    assert "refusing link etc -> /etc" in done.stderr


def test_without_the_variables_the_pod_says_it_got_no_code(tmp_path: Path):
    done = _pod(unpack_command(str(tmp_path / "t")), {}, tmp_path)
    assert done.returncode == 3
    assert "NRS_CODE_CHUNKS is missing" in done.stderr


def test_an_archive_too_large_for_the_environment_is_a_packaging_error():
    with pytest.raises(PackagingError) as info:
        pack_env(b"x" * (MAX_TOTAL_CHARS // 4 * 3 + 10))
    assert isinstance(info.value, LaunchError)
    assert "packager_patterns" in str(info.value)


def test_chunk_names_finds_every_carrier_and_nothing_else():
    env = {**pack_env(b"abc" * 10, chunk_chars=8), "PATH": "/bin", "NRS_CODEX": "other"}
    assert sorted(chunk_names(env)) == sorted(n for n in env if n.startswith("NRS_CODE_"))
