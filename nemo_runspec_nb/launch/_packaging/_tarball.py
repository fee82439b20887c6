"""Package a recipe's code for a job: a tarball of its repo, or one self-contained script.

Every packager turns ``(script, out_dir)`` into a :class:`PackagedCode`: plain
data (tarball path, file list, launcher command) that the nemo-run adapter
wraps into whatever nemo-run needs. Nothing here imports nemo_run.

=================  ==========================================================
``packager``       what the job receives
=================  ==========================================================
``"code"``         :class:`CodePackager`: the files git tracks plus untracked
                   files git does not ignore (the working tree as you see it),
                   of the repo holding the recipe, as ``code.tar.gz``
``"git"``          :class:`GitPackager`: committed files at ``HEAD`` only
                   (nemo-run's ``GitArchivePackager`` semantics)
``"pattern"``      :class:`PatternPackager`: files matching the globs in
                   ``packager_patterns``
``"self_contained"`` :class:`SelfContainedPackager`: the script with its
                   in-repo imports inlined, plus its config, in a directory
``"none"``         :class:`PassThroughPackager`: nothing is copied; the job
                   runs the script where it is
=================  ==========================================================

Tarballs carry a small launcher, :data:`LAUNCHER_NAME`, at their root; the
command ``sh runspec_launch.sh ARGS`` run from the unpacked directory puts
that directory on ``PYTHONPATH`` and runs the recipe with
``$RUNSPEC_LAUNCHER`` (default ``python``; set it to e.g.
``torchrun --nproc-per-node=8`` to change how the script is started).
"""

from __future__ import annotations

import ast
import os
import posixpath
import shutil
import stat
import subprocess
import tempfile
import tokenize
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import ClassVar, Literal, Protocol, get_args

from ..errors import LaunchError, ProfileError, did_you_mean

__all__ = [
    "LAUNCHER_NAME",
    "PACKAGER_KINDS",
    "CodePackager",
    "GitPackager",
    "PackagedCode",
    "Packager",
    "PackagerKind",
    "PassThroughPackager",
    "PatternPackager",
    "ProgressCallback",
    "SelfContainedPackager",
    "make_packager",
]

PackagerKind = Literal["code", "self_contained", "git", "pattern", "none"]
PACKAGER_KINDS: tuple[str, ...] = get_args(PackagerKind)
ProgressCallback = Callable[[int, int], None]
"""``progress(done, total)``: files written so far out of all files to write."""

LAUNCHER_NAME = "runspec_launch.sh"
TARBALL_NAME = "code.tar.gz"
"""Default tarball file name; nemo-run names it ``<name>.tar.gz`` (set ``tarball_name``)."""
EXTRAS_DIR = "_runspec"
"""Directory inside a tarball that holds the config file passed to ``package()``."""

_NOT_A_REPO_HINT = 'Use packager = "self_contained" or "none" in the profile for a recipe outside a git repo'


@dataclass(frozen=True)
class PackagedCode:
    """What a packager produced; the adapter turns it into a nemo-run packager and command.

    ``command`` is run from the directory the package is unpacked into (for
    ``"none"``, from anywhere: it holds absolute paths). ``files`` are paths
    relative to ``root`` as they appear in the package, launcher and config
    included. ``config`` is the config file's path inside the package.
    """

    kind: PackagerKind
    root: Path
    entrypoint: str
    command: tuple[str, ...]
    files: tuple[str, ...] = ()
    tarball: Path | None = None
    config: str | None = None
    warnings: tuple[str, ...] = ()


class Packager(Protocol):
    """Anything with ``package(script, out_dir, config=..., args=...) -> PackagedCode``."""

    kind: ClassVar[PackagerKind]

    def package(
        self, script: Path, out_dir: Path, *, config: Path | None = None, args: Sequence[str] = ()
    ) -> PackagedCode:
        """Package ``script`` (and ``config``) into ``out_dir``."""
        ...


def make_packager(profile: Mapping[str, object], *, progress: ProgressCallback | None = None) -> Packager:
    """The packager an env.toml profile asks for with ``packager = "..."``.

    Without a ``packager`` key, a local profile (``executor`` missing or
    ``"local"``) gets ``"none"`` (the job runs the script in place) and every
    other executor gets ``"code"``. ``"pattern"`` needs ``packager_patterns``,
    a list of globs relative to the repo root (or the recipe's directory
    outside a repo).
    """
    kind = profile.get("packager")
    if kind is None:
        kind = "none" if profile.get("executor", "local") == "local" else "code"
    if not isinstance(kind, str) or kind not in PACKAGER_KINDS:
        choices = f"Choose one of: {', '.join(PACKAGER_KINDS)}"
        hint = f"{did_you_mean(str(kind), PACKAGER_KINDS)} {choices}".strip()
        raise ProfileError(f"unknown packager {kind!r}", key="packager", hint=hint)
    if kind == "code":
        return CodePackager(progress=progress)
    if kind == "git":
        return GitPackager(progress=progress)
    if kind == "self_contained":
        return SelfContainedPackager()
    if kind == "none":
        return PassThroughPackager()
    patterns = profile.get("packager_patterns")
    if isinstance(patterns, str):
        patterns = [patterns]
    if (
        not isinstance(patterns, Sequence)
        or not patterns
        or not all(isinstance(p, str) and p for p in patterns)
    ):
        raise ProfileError(
            'packager = "pattern" needs packager_patterns, a non-empty list of globs',
            key="packager_patterns",
            hint='e.g. packager_patterns = ["recipes/**/*.py", "configs/*.yaml"]',
        )
    return PatternPackager(tuple(patterns), progress=progress)


# --------------------------------------------------------------------------- git helpers


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError:
        raise LaunchError("git is not installed", hint=_NOT_A_REPO_HINT) from None


def _repo_root(directory: Path) -> Path | None:
    return _find_repo(directory)[0]


def _find_repo(directory: Path) -> tuple[Path | None, str]:
    """``(repo root, "")``, or ``(None, git's complaint)`` when ``directory`` is in no usable repo."""
    result = _git(directory, "rev-parse", "--show-toplevel")
    if result.returncode != 0:
        return None, os.fsdecode(result.stderr).strip()
    return Path(os.fsdecode(result.stdout.rstrip(b"\n"))).resolve(), ""


def _require_repo(script: Path, kind: str) -> Path:
    root, complaint = _find_repo(script.parent)
    if root is None:
        if complaint and "not a git repository" not in complaint:  # e.g. "dubious ownership"
            raise LaunchError(f'packager "{kind}": git cannot read the repository: {complaint}', path=script)
        raise LaunchError(
            f'packager "{kind}" needs the recipe to be inside a git repository',
            path=script,
            hint=_NOT_A_REPO_HINT,
        )
    return root


def _check_script(script: Path) -> Path:
    script = Path(script).resolve()
    if not script.is_file():
        raise LaunchError("recipe script not found", path=script)
    return script


def _split_z(output: bytes) -> list[str]:
    return [os.fsdecode(p) for p in output.split(b"\0") if p]


# --------------------------------------------------------------------------- tarballs


def _check_symlink(root: Path, rel: str, target: str) -> None:
    """Refuse a link that would point outside ``root`` once unpacked elsewhere."""
    if posixpath.isabs(target):
        raise LaunchError(
            f"symlink {rel!r} points to the absolute path {target!r}",
            path=root / rel,
            hint="Make it a relative link inside the repository, or ignore it in .gitignore",
        )
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(rel), target))
    if resolved == ".." or resolved.startswith("../"):
        raise LaunchError(
            f"symlink {rel!r} points outside the repository (to {target!r})",
            path=root / rel,
            hint="Copy the target into the repository, or ignore the link in .gitignore",
        )


def _launcher_text(entrypoint: str) -> str:
    quoted = "'" + entrypoint.replace("'", "'\"'\"'") + "'"
    return (
        "#!/bin/sh\n"
        "# Written by nemo_runspec_nb: runs the recipe from the unpacked package.\n"
        "# RUNSPEC_LAUNCHER picks the program (default: python), e.g. 'torchrun --nproc-per-node=8'.\n"
        'cd "$(dirname "$0")" || exit 1\n'
        'export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"\n'
        f'exec ${{RUNSPEC_LAUNCHER:-python}} {quoted} "$@"\n'
    )


def _stage_extras(staging: Path, entrypoint: str, config: Path | None) -> tuple[list[str], str | None]:
    """Write the launcher (and a copy of ``config``) into ``staging``; return their arc names."""
    launcher = staging / LAUNCHER_NAME
    launcher.write_text(_launcher_text(entrypoint), encoding="utf-8")
    launcher.chmod(0o755)
    names = [LAUNCHER_NAME]
    config_arc = None
    if config is not None:
        config = Path(config)
        if not config.is_file():
            raise LaunchError("config file not found", path=config)
        config_arc = f"{EXTRAS_DIR}/{config.name}"
        (staging / EXTRAS_DIR).mkdir()
        shutil.copyfile(config, staging / config_arc)
        names.append(config_arc)
    return names, config_arc


def _tar(
    root: Path,
    files: Sequence[str],
    staging: Path,
    extras: Sequence[str],
    tarball: Path,
    progress: ProgressCallback | None,
) -> None:
    """``tar czf`` the ``files`` of ``root`` plus the staged ``extras``, reporting progress."""
    listing = staging.parent / (staging.name + ".list")
    listing.write_bytes(b"".join(os.fsencode(f) + b"\0" for f in files))
    total = len(files) + len(extras)
    argv = [
        "tar",
        "--create",
        "--gzip",
        f"--file={tarball}",
        "--no-recursion",
        "--owner=0",
        "--group=0",
        "--numeric-owner",
        f"--directory={root}",
        "--null",
        "--verbatim-files-from",
        f"--files-from={listing}",
        f"--directory={staging}",
        "--",
        *extras,
    ]
    env = {**os.environ, "LC_ALL": "C"}
    try:
        if progress is None:
            proc = subprocess.run(argv, capture_output=True, env=env, check=False)
            returncode, stderr = proc.returncode, proc.stderr
        else:
            returncode, stderr = _tar_with_progress(argv, env, total, progress)
    finally:
        listing.unlink(missing_ok=True)
    # tar exits 1 when a file changed while it was read: the archive is complete.
    if returncode not in (0, 1):
        tail = os.fsdecode(stderr).strip().splitlines()[-3:]
        raise LaunchError(f"tar failed with exit code {returncode}: {' / '.join(tail)}", path=tarball)


def _tar_with_progress(
    argv: list[str], env: dict[str, str], total: int, progress: ProgressCallback
) -> tuple[int, bytes]:
    step = max(1, total // 100)
    progress(0, total)
    with tempfile.TemporaryFile() as err:
        verbose = [*argv[:1], "--verbose", *argv[1:]]
        with subprocess.Popen(verbose, stdout=subprocess.PIPE, stderr=err, env=env) as proc:
            assert proc.stdout is not None
            for done, _ in enumerate(proc.stdout, start=1):  # one line per archived member
                if done % step == 0 and done < total:
                    progress(done, total)
        returncode = proc.returncode
        err.seek(0)
        stderr = err.read()
    progress(total, total)
    return returncode, stderr


def _build_tarball(
    kind: PackagerKind,
    root: Path,
    script: Path,
    files: list[str],
    out_dir: Path,
    config: Path | None,
    args: Sequence[str],
    progress: ProgressCallback | None,
    warnings: list[str],
    tarball_name: str,
) -> PackagedCode:
    entrypoint = script.relative_to(root).as_posix()
    if LAUNCHER_NAME in files:
        files = [f for f in files if f != LAUNCHER_NAME]
        warnings.append(f"the repository's own {LAUNCHER_NAME} was left out: the package has its own")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tarball = out_dir / tarball_name
    staging = Path(tempfile.mkdtemp(prefix=".runspec-staging-", dir=out_dir))
    try:
        extras, config_arc = _stage_extras(staging, entrypoint, config)
        _tar(root, files, staging, extras, tarball, progress)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return PackagedCode(
        kind=kind,
        root=root,
        entrypoint=entrypoint,
        command=("sh", LAUNCHER_NAME, *args),
        files=(*files, *extras),
        tarball=tarball,
        config=config_arc,
        warnings=tuple(warnings),
    )


def _working_tree_files(
    root: Path, candidates: Sequence[str], out_dir: Path, exclude_dirs: Sequence[str], warnings: list[str]
) -> list[str]:
    """Drop missing files and excluded dirs from ``candidates``; refuse escaping symlinks."""
    skip_prefixes = tuple(d.rstrip("/") + "/" for d in exclude_dirs)
    try:
        out_rel = Path(out_dir).resolve().relative_to(root).as_posix() + "/"
    except ValueError:
        out_rel = None
    if out_rel is not None and out_rel != "./":
        skip_prefixes += (out_rel,)
    excluded = {d.rstrip("/") for d in exclude_dirs}
    kept: list[str] = []
    seen: set[str] = set()
    missing = 0
    for rel in candidates:
        if rel in seen or rel.startswith(skip_prefixes) or excluded.intersection(rel.split("/")):
            continue
        seen.add(rel)
        full = f"{root}/{rel}"  # plain strings: this loop runs once per file of the repo
        try:
            mode = os.lstat(full).st_mode
        except FileNotFoundError:
            missing += 1
            continue
        if stat.S_ISLNK(mode):
            _check_symlink(root, rel, str(Path(full).readlink()))
            real = os.path.realpath(full)
            if os.path.commonpath([real, str(root)]) != str(root):
                raise LaunchError(
                    f"symlink {rel!r} resolves outside the repository (to {real!r})",
                    path=full,
                    hint="Copy the target into the repository, or ignore the link in .gitignore",
                )
        kept.append(rel)
    if missing:
        warnings.append(f"{missing} tracked file(s) deleted from the working tree were left out")
    return kept


@dataclass(frozen=True)
class CodePackager:
    """The repo holding the recipe, as its working tree looks, in a tar.gz with a launcher.

    Files: ``git ls-files -co --exclude-standard`` (tracked plus untracked but
    not ignored), minus tracked files deleted from the working tree, minus
    anything under ``exclude_dirs`` (default: any ``.nemotron`` directory,
    where job directories live) or under ``out_dir``. Symlinks are archived as
    links and must stay inside the repo; submodules are not descended into.
    """

    kind: ClassVar[PackagerKind] = "code"
    progress: ProgressCallback | None = None
    tarball_name: str = TARBALL_NAME
    exclude_dirs: tuple[str, ...] = (".nemotron",)

    def package(
        self, script: Path, out_dir: Path, *, config: Path | None = None, args: Sequence[str] = ()
    ) -> PackagedCode:
        """Write ``out_dir/code.tar.gz`` and describe it."""
        script = _check_script(script)
        root = _require_repo(script, self.kind)
        listed = _git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
        if listed.returncode != 0:
            raise LaunchError(f"git ls-files failed: {os.fsdecode(listed.stderr).strip()}", path=root)
        warnings: list[str] = []
        files = _working_tree_files(root, _split_z(listed.stdout), out_dir, self.exclude_dirs, warnings)
        if script.relative_to(root).as_posix() not in files:
            raise LaunchError(
                "the recipe script is ignored by git, so the package would not contain it",
                path=script,
                hint='Un-ignore it, or use packager = "self_contained"',
            )
        return _build_tarball(
            self.kind, root, script, files, out_dir, config, args, self.progress, warnings, self.tarball_name
        )


@dataclass(frozen=True)
class PatternPackager:
    """Files matching ``patterns`` (globs, ``**`` allowed) plus the recipe, in a tar.gz.

    Globs are relative to the repo root, or to the recipe's directory when it
    is not in a git repo. ``.git`` is never included; symlinks must stay
    inside that root.
    """

    patterns: tuple[str, ...]
    progress: ProgressCallback | None = None
    tarball_name: str = TARBALL_NAME
    kind: ClassVar[PackagerKind] = "pattern"

    def package(
        self, script: Path, out_dir: Path, *, config: Path | None = None, args: Sequence[str] = ()
    ) -> PackagedCode:
        """Write ``out_dir/code.tar.gz`` and describe it."""
        script = _check_script(script)
        root = _repo_root(script.parent) or script.parent
        found: set[str] = {script.relative_to(root).as_posix()}
        for pattern in self.patterns:
            if posixpath.isabs(pattern) or ".." in PurePosixPath(pattern).parts:
                raise ProfileError(
                    f"packager pattern {pattern!r} must stay inside {root}",
                    key="packager_patterns",
                    hint="Use a glob relative to the repository root",
                )
            for match in root.glob(pattern):
                rel = match.relative_to(root)
                if rel.parts and rel.parts[0] == ".git":
                    continue
                if match.is_symlink() or match.is_file():
                    found.add(rel.as_posix())
        warnings: list[str] = []
        files = _working_tree_files(root, sorted(found), out_dir, (), warnings)
        return _build_tarball(
            self.kind, root, script, files, out_dir, config, args, self.progress, warnings, self.tarball_name
        )


@dataclass(frozen=True)
class GitPackager:
    """Committed files at ``HEAD`` of the recipe's repo (``git archive``), plus a launcher.

    Uncommitted changes are not included (a warning says so); the recipe
    itself must be committed.
    """

    progress: ProgressCallback | None = None
    tarball_name: str = TARBALL_NAME
    kind: ClassVar[PackagerKind] = "git"

    def package(
        self, script: Path, out_dir: Path, *, config: Path | None = None, args: Sequence[str] = ()
    ) -> PackagedCode:
        """Write ``out_dir/code.tar.gz`` from ``HEAD`` and describe it."""
        script = _check_script(script)
        root = _require_repo(script, self.kind)
        tree = _git(root, "ls-tree", "-r", "-z", "--full-tree", "HEAD")
        if tree.returncode != 0:
            raise LaunchError(
                "the repository has no commit to package",
                path=root,
                hint='Commit the recipe first, or use packager = "code" to package the working tree',
            )
        files: list[str] = []
        for entry in tree.stdout.split(b"\0"):
            if not entry:
                continue
            meta, _, name = entry.partition(b"\t")
            mode, kind, sha = meta.split(b" ")
            rel = os.fsdecode(name)
            if kind != b"blob":
                continue  # submodules are not archived by git either
            if mode == b"120000":
                target = _git(root, "cat-file", "blob", sha.decode()).stdout
                _check_symlink(root, rel, os.fsdecode(target))
            files.append(rel)
        entrypoint = script.relative_to(root).as_posix()
        if entrypoint not in files:
            raise LaunchError(
                "the recipe script is not committed, so git archive would not contain it",
                path=script,
                hint='Commit it, or use packager = "code" to package the working tree',
            )
        warnings = []
        dirty = _git(root, "status", "--porcelain", "--untracked-files=no")
        if dirty.stdout.strip():
            warnings.append("uncommitted changes to tracked files are not in the package (git packager)")
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        tarball = out_dir / self.tarball_name
        total = len(files) + 1 + (config is not None)
        if self.progress:
            self.progress(0, total)
        staging = Path(tempfile.mkdtemp(prefix=".runspec-staging-", dir=out_dir))
        try:
            extras, config_arc = _stage_extras(staging, entrypoint, config)
            argv = ["archive", "--format=tar.gz", f"--output={tarball}"]
            if config_arc is not None:
                argv += [f"--prefix={EXTRAS_DIR}/", f"--add-file={staging / config_arc}", "--prefix="]
            argv += [f"--add-file={staging / LAUNCHER_NAME}", "HEAD"]
            archived = _git(root, *argv)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        if archived.returncode != 0:
            raise LaunchError(f"git archive failed: {os.fsdecode(archived.stderr).strip()}", path=root)
        if self.progress:
            self.progress(total, total)
        return PackagedCode(
            kind=self.kind,
            root=root,
            entrypoint=entrypoint,
            command=("sh", LAUNCHER_NAME, *args),
            files=(*files, *extras),
            tarball=tarball,
            config=config_arc,
            warnings=tuple(warnings),
        )


@dataclass(frozen=True)
class PassThroughPackager:
    """Copies nothing: the job runs ``python /abs/script.py`` where the script is."""

    kind: ClassVar[PackagerKind] = "none"

    def package(
        self, script: Path, out_dir: Path, *, config: Path | None = None, args: Sequence[str] = ()
    ) -> PackagedCode:
        """Describe running ``script`` in place; ``out_dir`` is not touched."""
        script = _check_script(script)
        return PackagedCode(
            kind=self.kind,
            root=script.parent,
            entrypoint=str(script),
            command=("python", str(script), *args),
            config=str(Path(config).resolve()) if config is not None else None,
        )


# --------------------------------------------------------------------------- self-contained


@dataclass(frozen=True)
class _Module:
    name: str
    origin: str  # path relative to its search root, for tracebacks
    is_package: bool
    source: str


def _read_source(path: Path) -> str:
    with tokenize.open(path) as handle:  # honours coding cookies, normalises newlines
        return handle.read()


def _parse(source: str, path: Path) -> ast.Module:
    try:
        return ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        raise LaunchError(f"cannot inline: syntax error: {exc.msg}", path=path, line=exc.lineno) from None


def _imported_names(tree: ast.Module, module: str, is_package: bool) -> list[str]:
    """Every dotted name an import in ``tree`` may load, parents first (relative ones resolved)."""
    names: list[str] = []
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".") if package else []
                if module == "__main__" or node.level - 1 > len(parts):
                    continue  # relative import in a script (or past the top): Python fails too
                base_parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*base_parts, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            if not base:
                continue
            names.append(base)
            names += [f"{base}.{alias.name}" for alias in node.names if alias.name != "*"]
    expanded: list[str] = []
    for name in names:
        parts = name.split(".")
        expanded += [".".join(parts[: i + 1]) for i in range(len(parts))]
    return list(dict.fromkeys(expanded))


@dataclass
class _Inliner:
    roots: tuple[Path, ...]
    found: dict[str, _Module | None] = field(default_factory=dict)
    order: list[_Module] = field(default_factory=list)
    namespaces: set[str] = field(default_factory=set)

    def locate(self, name: str) -> tuple[Path, Path, bool] | None:
        """``(file_or_dir, root, is_package)`` for an in-repo module, ``None`` otherwise.

        The top-level name picks the first root that has it (like sys.path);
        a directory without ``__init__.py`` counts only as the parent of a
        module that exists.
        """
        parts = name.split(".")
        for root in self.roots:
            top = root / parts[0]
            if not (top.is_dir() or top.with_suffix(".py").is_file()):
                continue
            base = root.joinpath(*parts)
            if (base / "__init__.py").is_file():
                return base / "__init__.py", root, True
            if base.with_suffix(".py").is_file():
                return base.with_suffix(".py"), root, False
            if base.is_dir():
                return base, root, True
            return None
        return None

    def visit(self, name: str) -> bool:
        """Inline ``name`` and what it imports, after its dependencies; False if not in the repo."""
        if name in self.found:
            return self.found[name] is not None
        located = self.locate(name)
        if located is None or located[0].is_dir():  # a bare directory only comes in as a parent
            self.found[name] = None
            return False
        path, root, is_package = located
        source = _read_source(path)
        module = _Module(name, path.relative_to(root).as_posix(), is_package, source)
        self.found[name] = module  # before the dependencies: import cycles end here
        parent = name.rpartition(".")[0]
        for dep in ([parent] if parent else []) + _imported_names(_parse(source, path), name, is_package):
            self.visit(dep)
        parts = name.split(".")
        for i in range(1, len(parts)):
            prefix = ".".join(parts[:i])
            if self.found.get(prefix) is None and prefix not in self.namespaces:
                self.namespaces.add(prefix)
                self.order.append(_Module(prefix, "/".join(parts[:i]) + "/", True, ""))
        self.order.append(module)
        return True


def _string_literal(text: str) -> str:
    """A readable triple-quoted literal for ``text`` (``repr`` when that is not exact)."""
    body = text.replace("\\", "\\\\").replace("\r", "\\r").replace("\0", "\\x00")
    if "'''" in body or body.endswith("'"):
        body = body.replace("'", "\\'")
    literal = "'''" + body + "'''"
    try:
        if ast.literal_eval(literal) == text:
            return literal
    except (SyntaxError, ValueError):
        pass
    return repr(text)


_LOADER = """\
def _runspec_install_inlined_modules():
    import importlib.abc
    import importlib.util
    import sys

    sources = {
%(entries)s
    }

    class InlinedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
        def find_spec(self, name, path=None, target=None):
            if name not in sources:
                return None
            is_package, origin, _ = sources[name]
            return importlib.util.spec_from_loader(name, self, origin=origin, is_package=is_package)

        def create_module(self, spec):
            return None

        def exec_module(self, module):
            _, origin, source = sources[module.__name__]
            exec(compile(source, origin, "exec"), module.__dict__)

    sys.meta_path.insert(0, InlinedModules())


_runspec_install_inlined_modules()
del _runspec_install_inlined_modules
"""


def _head_length(lines: list[str], tree: ast.Module) -> int:
    """Lines that must stay first: comments (shebang, PEP 723 block), docstring, __future__ imports."""
    end = 0
    for index, node in enumerate(tree.body):
        is_doc = index == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        is_future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
        if not (is_doc or is_future):
            break
        end = node.end_lineno or node.lineno
    if end == 0:
        if not tree.body:
            return len(lines)
        first = tree.body[0]
        decorators = getattr(first, "decorator_list", [])
        end = min([first.lineno, *(d.lineno for d in decorators)]) - 1
    return end


@dataclass(frozen=True)
class SelfContainedPackager:
    """One script that runs without its repo: in-repo imports inlined, plus its config.

    Imports (``import a.b``, ``from a import b``, relative imports inside
    inlined packages, including imports inside functions) are followed when
    the module resolves to a ``.py`` file under a search root: the script's
    directory, then the repo root and its ``src/`` (or ``search_paths`` when
    given). Each module is inlined once, in dependency order, into a table at
    the top of the script that a small import hook serves from, so
    ``import a.b`` and ``from a import b`` behave exactly as in the repo;
    standard-library and third-party imports are left alone. The rest of the
    script follows unchanged.
    """

    search_paths: tuple[Path, ...] | None = None
    kind: ClassVar[PackagerKind] = "self_contained"

    def package(
        self, script: Path, out_dir: Path, *, config: Path | None = None, args: Sequence[str] = ()
    ) -> PackagedCode:
        """Write ``out_dir/<script name>`` (and a copy of ``config``) and describe them."""
        script = _check_script(script)
        inliner = _Inliner(self._roots(script))
        source = _read_source(script)
        tree = _parse(source, script)
        for name in _imported_names(tree, "__main__", False):
            inliner.visit(name)
        text = self._render(source, tree, inliner.order)
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / script.name).write_text(text, encoding="utf-8")
        files = [script.name]
        config_name = None
        if config is not None:
            config = Path(config)
            if not config.is_file():
                raise LaunchError("config file not found", path=config)
            if config.name == script.name:
                raise LaunchError("the config file has the same name as the script", path=config)
            shutil.copyfile(config, out_dir / config.name)
            config_name = config.name
            files.append(config_name)
        return PackagedCode(
            kind=self.kind,
            root=out_dir.resolve(),
            entrypoint=script.name,
            command=("python", script.name, *args),
            files=tuple(files),
            config=config_name,
            warnings=(),
        )

    def _roots(self, script: Path) -> tuple[Path, ...]:
        if self.search_paths is not None:
            candidates = [Path(p).resolve() for p in self.search_paths]
        else:
            candidates = [script.parent]
            repo = _repo_root(script.parent)
            if repo is not None:
                candidates += [repo, repo / "src"]
        return tuple(dict.fromkeys(p for p in candidates if p.is_dir()))

    @staticmethod
    def _render(source: str, tree: ast.Module, modules: list[_Module]) -> str:
        if not modules:
            return source
        lines = source.splitlines(keepends=True)
        head = _head_length(lines, tree)
        entries = "\n".join(
            f"        {m.name!r}: ({m.is_package!r}, {m.origin!r}, {_string_literal(m.source)}),"
            for m in modules
        )
        listed = ", ".join(m.name for m in modules)
        block = (
            f"# --- nemo_runspec_nb: in-repo modules inlined in dependency order: {listed}\n"
            + _LOADER % {"entries": entries}
            + "# --- end of inlined modules\n"
        )
        head_text = "".join(lines[:head])
        if head_text and not head_text.endswith("\n"):
            head_text += "\n"
        return head_text + ("\n" if head_text else "") + block + "\n" + "".join(lines[head:])
