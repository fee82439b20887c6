import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from nemo_runspec_nb.errors import LaunchError, ProfileError
from nemo_runspec_nb.launch import (
    CodePackager,
    GitPackager,
    PassThroughPackager,
    PatternPackager,
    SelfContainedPackager,
    make_packager,
)
from nemo_runspec_nb.launch._packaging import LAUNCHER_NAME

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env={**os.environ, **GIT_ENV})


def write(root: Path, rel: str, text: str = "x = 1\n") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A committed repo: a recipe, a helper package, an ignored log, then one untracked file."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root, ".gitignore", "*.log\nbuild/\n")
    write(root, "recipes/train.py", "from common import helpers\nprint(helpers.VALUE)\n")
    write(root, "common/__init__.py", "")
    write(root, "common/helpers.py", "VALUE = 42\n")
    write(root, "configs/train.yaml", "lr: 0.1\n")
    write(root, "run.log", "ignored\n")
    write(root, "build/out.bin", "ignored\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    write(root, "notes/untracked.md", "# new\n")
    return root


def members(tarball: Path) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(tarball) as tar:
        return {m.name: m for m in tar.getmembers()}


def unpack(tarball: Path, dest: Path) -> Path:
    dest.mkdir()
    subprocess.run(["tar", "-xzf", str(tarball), "-C", str(dest)], check=True)
    return dest


# ------------------------------------------------------------------ code


def test_code_tarball_holds_tracked_and_untracked_files_but_not_ignored_ones(repo, tmp_path):
    out = tmp_path / "job"
    pkg = CodePackager().package(repo / "recipes/train.py", out)
    names = set(members(pkg.tarball))
    assert pkg.tarball == out / "code.tar.gz"
    assert pkg.kind == "code"
    assert pkg.root == repo.resolve()
    assert pkg.entrypoint == "recipes/train.py"
    assert {
        ".gitignore",
        "recipes/train.py",
        "common/helpers.py",
        "notes/untracked.md",
        LAUNCHER_NAME,
    } <= names
    assert not {"run.log", "build/out.bin"} & names
    assert not any(n.startswith(".git/") for n in names)
    assert set(pkg.files) == names
    assert pkg.command == ("sh", LAUNCHER_NAME)


def test_code_package_runs_from_its_unpacked_directory(repo, tmp_path):
    pkg = CodePackager().package(repo / "recipes/train.py", tmp_path / "job", args=("--flag",))
    dest = unpack(pkg.tarball, tmp_path / "unpacked")
    env = {**os.environ, "RUNSPEC_LAUNCHER": sys.executable}
    env.pop("PYTHONPATH", None)
    out = subprocess.run(
        list(pkg.command[:-1]), cwd=dest, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout == "42\n"
    assert pkg.command[-1] == "--flag"
    launcher = members(pkg.tarball)[LAUNCHER_NAME]
    assert launcher.mode & 0o111


@pytest.mark.parametrize("cls", [CodePackager, GitPackager])
def test_tarball_name_can_follow_nemo_runs_convention(repo, tmp_path, cls):
    pkg = cls(tarball_name="train.tar.gz").package(repo / "recipes/train.py", tmp_path / "job")
    assert pkg.tarball == tmp_path / "job" / "train.tar.gz"
    assert pkg.tarball.is_file()


def test_code_adds_the_config_under_runspec_dir(repo, tmp_path):
    config = write(tmp_path, "elsewhere/train.yaml", "lr: 0.5\n")
    pkg = CodePackager().package(repo / "recipes/train.py", tmp_path / "job", config=config)
    assert pkg.config == "_runspec/train.yaml"
    with tarfile.open(pkg.tarball) as tar:
        assert tar.extractfile("_runspec/train.yaml").read() == b"lr: 0.5\n"


def test_code_leaves_out_deleted_files_job_dirs_and_the_output_dir(repo, tmp_path):
    (repo / "configs/train.yaml").unlink()
    write(repo, ".nemotron/jobs/old/code.tar.gz", "old")
    pkg = CodePackager().package(repo / "recipes/train.py", repo / "out/job1")
    names = set(members(pkg.tarball))
    assert "configs/train.yaml" not in names
    assert not any(n.startswith((".nemotron/", "out/")) for n in names)
    assert pkg.warnings == ("1 tracked file(s) deleted from the working tree were left out",)


def test_code_keeps_symlinks_inside_the_repo(repo, tmp_path):
    (repo / "common/alias.py").symlink_to("helpers.py")
    pkg = CodePackager().package(repo / "recipes/train.py", tmp_path / "job")
    link = members(pkg.tarball)["common/alias.py"]
    assert link.issym() and link.linkname == "helpers.py"


def test_code_refuses_a_symlink_pointing_outside_the_repo(repo, tmp_path):
    (repo / "data").symlink_to("../../outside")
    with pytest.raises(LaunchError, match="symlink 'data' points outside the repository") as info:
        CodePackager().package(repo / "recipes/train.py", tmp_path / "job")
    assert info.value.path == repo / "data"


def test_code_refuses_an_absolute_symlink(repo, tmp_path):
    (repo / "abs").symlink_to(repo / "common")
    with pytest.raises(LaunchError, match="symlink 'abs' points to the absolute path"):
        CodePackager().package(repo / "recipes/train.py", tmp_path / "job")


def test_code_refuses_a_link_that_escapes_through_another_link(repo, tmp_path):
    (repo / "common/up").symlink_to("..")  # stays inside on its own
    (tmp_path / "outside").mkdir()
    (repo / "common/esc").symlink_to("up/../outside")  # lexically inside, really outside
    with pytest.raises(LaunchError, match="symlink 'common/esc' resolves outside the repository"):
        CodePackager().package(repo / "recipes/train.py", tmp_path / "job")


def test_code_reports_progress_up_to_the_total(repo, tmp_path):
    calls = []
    pkg = CodePackager(progress=lambda done, total: calls.append((done, total))).package(
        repo / "recipes/train.py", tmp_path / "job"
    )
    total = len(pkg.files)
    assert calls[0] == (0, total)
    assert calls[-1] == (total, total)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_code_outside_a_repo_says_which_packagers_work(tmp_path):
    script = write(tmp_path / "loose", "train.py")
    with pytest.raises(
        LaunchError, match='packager "code" needs the recipe to be inside a git repository'
    ) as info:
        CodePackager().package(script, tmp_path / "job")
    assert "self_contained" in info.value.hint and "none" in info.value.hint


def test_a_broken_repository_reports_what_git_says(tmp_path):
    script = write(tmp_path / "broken", "train.py")
    (tmp_path / "broken" / ".git").write_text("garbage\n")
    with pytest.raises(
        LaunchError, match=r'packager "code": git cannot read the repository: .*invalid gitfile'
    ):
        CodePackager().package(script, tmp_path / "job")


def test_code_refuses_an_ignored_recipe(repo, tmp_path):
    script = write(repo, "scratch.log")
    with pytest.raises(LaunchError, match="ignored by git"):
        CodePackager().package(script, tmp_path / "job")


def test_missing_script_is_a_launch_error(repo, tmp_path):
    with pytest.raises(LaunchError, match="recipe script not found"):
        CodePackager().package(repo / "nope.py", tmp_path / "job")


# ------------------------------------------------------------------ git


def test_git_packager_takes_committed_files_only_and_warns_about_changes(repo, tmp_path):
    write(repo, "common/helpers.py", "VALUE = 43\n")
    pkg = GitPackager().package(repo / "recipes/train.py", tmp_path / "job")
    names = set(members(pkg.tarball))
    assert {"recipes/train.py", "common/helpers.py", LAUNCHER_NAME} <= names
    assert "notes/untracked.md" not in names
    with tarfile.open(pkg.tarball) as tar:
        assert tar.extractfile("common/helpers.py").read() == b"VALUE = 42\n"
    assert any("uncommitted changes" in w for w in pkg.warnings)


def test_git_packager_adds_launcher_and_config(repo, tmp_path):
    config = write(tmp_path, "cfg/train.yaml", "lr: 1\n")
    pkg = GitPackager().package(repo / "recipes/train.py", tmp_path / "job", config=config)
    names = set(members(pkg.tarball))
    assert {LAUNCHER_NAME, "_runspec/train.yaml"} <= names
    dest = unpack(pkg.tarball, tmp_path / "unpacked")
    env = {**os.environ, "RUNSPEC_LAUNCHER": sys.executable}
    out = subprocess.run(list(pkg.command), cwd=dest, env=env, capture_output=True, text=True, check=True)
    assert out.stdout == "42\n"


def test_git_packager_needs_the_recipe_committed(repo, tmp_path):
    script = write(repo, "recipes/new.py")
    with pytest.raises(LaunchError, match="not committed"):
        GitPackager().package(script, tmp_path / "job")


def test_git_packager_refuses_committed_links_leaving_the_repo(repo, tmp_path):
    (repo / "escape").symlink_to("../elsewhere")
    git(repo, "add", "escape")
    git(repo, "commit", "-q", "-m", "link")
    with pytest.raises(LaunchError, match="symlink 'escape' points outside"):
        GitPackager().package(repo / "recipes/train.py", tmp_path / "job")


def test_git_packager_outside_a_repo(tmp_path):
    script = write(tmp_path, "train.py")
    with pytest.raises(LaunchError, match='packager "git" needs the recipe to be inside a git repository'):
        GitPackager().package(script, tmp_path / "job")


# ------------------------------------------------------------------ pattern, none


def test_pattern_packager_takes_matching_files_and_the_recipe(repo, tmp_path):
    pkg = PatternPackager(("common/**/*.py", "configs/*.yaml")).package(
        repo / "recipes/train.py", tmp_path / "j"
    )
    assert set(members(pkg.tarball)) == {
        "common/__init__.py",
        "common/helpers.py",
        "configs/train.yaml",
        "recipes/train.py",
        LAUNCHER_NAME,
    }


def test_pattern_packager_refuses_patterns_leaving_the_root(repo, tmp_path):
    with pytest.raises(ProfileError, match="must stay inside"):
        PatternPackager(("../*.py",)).package(repo / "recipes/train.py", tmp_path / "j")


def test_pass_through_copies_nothing(repo, tmp_path):
    pkg = PassThroughPackager().package(repo / "recipes/train.py", tmp_path / "job", args=("a",))
    script = str((repo / "recipes/train.py").resolve())
    assert pkg.tarball is None
    assert pkg.command == ("python", script, "a")
    assert not (tmp_path / "job").exists()


# ------------------------------------------------------------------ chooser


@pytest.mark.parametrize(
    ("profile", "cls"),
    [
        ({"packager": "code"}, CodePackager),
        ({"packager": "git"}, GitPackager),
        ({"packager": "self_contained"}, SelfContainedPackager),
        ({"packager": "none"}, PassThroughPackager),
        ({"packager": "pattern", "packager_patterns": ["*.py"]}, PatternPackager),
        ({}, PassThroughPackager),
        ({"executor": "local"}, PassThroughPackager),
        ({"executor": "slurm"}, CodePackager),
    ],
)
def test_make_packager_follows_the_profile(profile, cls):
    assert isinstance(make_packager(profile), cls)


def test_make_packager_passes_progress_on():
    def progress(done: int, total: int) -> None:
        pass

    assert make_packager({"packager": "code"}, progress=progress).progress is progress


def test_make_packager_suggests_the_closest_kind():
    with pytest.raises(ProfileError, match="unknown packager 'slef_contained'") as info:
        make_packager({"packager": "slef_contained"})
    assert info.value.key == "packager"
    assert "Did you mean 'self_contained'?" in info.value.hint


@pytest.mark.parametrize("patterns", [None, [], [""], [1]])
def test_pattern_packager_needs_patterns(patterns):
    profile = (
        {"packager": "pattern"}
        if patterns is None
        else {"packager": "pattern", "packager_patterns": patterns}
    )
    with pytest.raises(ProfileError, match="needs packager_patterns") as info:
        make_packager(profile)
    assert info.value.key == "packager_patterns"


# ------------------------------------------------------------------ self-contained


def run_alone(directory: Path, script: str) -> str:
    """Run a packaged script with nothing but its own directory around it."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(
        [sys.executable, "-I", script], cwd=directory, env=env, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    write(
        root,
        "recipes/train.py",
        "#!/usr/bin/env python\n"
        "# /// script\n"
        "# [tool.runspec]\n"
        '# name = "train"\n'
        "# ///\n"
        '"""Train."""\n'
        "from __future__ import annotations\n"
        "\n"
        "import json\n"
        "import lib.models\n"
        "from lib import data as d\n"
        "from lib.data import load\n"
        "\n"
        "\n"
        "def main() -> None:\n"
        "    import lib.late\n"
        "    print(json.dumps([lib.models.NAME, d.load(), load(), lib.late.X, lib.models.uses_util()]))\n"
        "\n"
        "\n"
        'if __name__ == "__main__":\n'
        "    main()\n",
    )
    write(root, "lib/__init__.py", "")
    write(
        root,
        "lib/models.py",
        'from .util import twice\nNAME = "m"\n\ndef uses_util():\n    return twice(2)\n',
    )
    write(root, "lib/util.py", "def twice(x):\n    return 2 * x\n")
    write(root, "lib/data.py", "from . import util\n\ndef load():\n    return util.twice(5)\n")
    write(root, "lib/late.py", "X = 'it\\'s \\\\ \\'\\'\\' tricky'\n")
    write(root, "lib/unused.py", "raise SystemExit('never imported')\n")
    write(root, "recipes/train.yaml", "lr: 1\n")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    return root


def test_self_contained_script_runs_without_its_repo(project, tmp_path):
    out = tmp_path / "job"
    pkg = SelfContainedPackager().package(
        project / "recipes/train.py", out, config=project / "recipes/train.yaml"
    )
    assert pkg.files == ("train.py", "train.yaml")
    assert pkg.command == ("python", "train.py")
    assert (out / "train.yaml").read_text() == "lr: 1\n"
    assert run_alone(out, "train.py") == "[\"m\", 10, 10, \"it's \\\\ ''' tricky\", 4]\n"


def test_self_contained_inlines_each_module_once_in_dependency_order(project, tmp_path):
    pkg = SelfContainedPackager().package(project / "recipes/train.py", tmp_path / "job")
    text = (tmp_path / "job" / pkg.entrypoint).read_text()
    header = next(line for line in text.splitlines() if "inlined in dependency order" in line)
    assert header.endswith(": lib, lib.util, lib.models, lib.data, lib.late")
    assert "lib.unused" not in text


def test_self_contained_keeps_the_head_of_the_script_first(project, tmp_path):
    SelfContainedPackager().package(project / "recipes/train.py", tmp_path / "job")
    lines = (tmp_path / "job/train.py").read_text().splitlines()
    assert lines[:7] == [
        "#!/usr/bin/env python",
        "# /// script",
        "# [tool.runspec]",
        '# name = "train"',
        "# ///",
        '"""Train."""',
        "from __future__ import annotations",
    ]


def test_self_contained_leaves_a_script_without_local_imports_unchanged(tmp_path):
    script = write(tmp_path / "src", "train.py", "import os\nprint(os.sep)\n")
    SelfContainedPackager().package(script, tmp_path / "job")
    assert (tmp_path / "job/train.py").read_text() == "import os\nprint(os.sep)\n"


def test_self_contained_handles_import_cycles_and_namespace_packages(tmp_path):
    root = tmp_path / "p"
    write(root, "main.py", "import ns.a\nprint(ns.a.f())\n")
    write(root, "ns/a.py", "from ns import b\n\ndef f():\n    return b.g() + 1\n\ndef h():\n    return 1\n")
    write(root, "ns/b.py", "import ns.a\n\ndef g():\n    return ns.a.h() + 10\n")
    pkg = SelfContainedPackager().package(root / "main.py", tmp_path / "job")
    assert run_alone(tmp_path / "job", pkg.entrypoint) == "12\n"


def test_self_contained_reports_syntax_errors_with_file_and_line(tmp_path):
    root = tmp_path / "p"
    write(root, "main.py", "import broken\n")
    write(root, "broken.py", "x = 1\ndef (:\n")
    with pytest.raises(LaunchError, match="cannot inline: syntax error") as info:
        SelfContainedPackager().package(root / "main.py", tmp_path / "job")
    assert info.value.path == root / "broken.py"
    assert info.value.line == 2


def test_self_contained_missing_config(project, tmp_path):
    with pytest.raises(LaunchError, match="config file not found"):
        SelfContainedPackager().package(
            project / "recipes/train.py", tmp_path / "j", config=project / "no.yaml"
        )
