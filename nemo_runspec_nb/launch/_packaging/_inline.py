"""``packager = "self_contained"``: one script with its in-repo imports inlined, plus its config."""

from __future__ import annotations

import ast
import shutil
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from ...errors import PackagingError
from ._base import PackagedCode, PackagerKind, check_config, check_script, repo_root


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
        raise PackagingError(f"cannot inline: syntax error: {exc.msg}", path=path, line=exc.lineno) from None


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
        script = check_script(script)
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
            config = check_config(config)
            if config.name == script.name:
                raise PackagingError("the config file has the same name as the script", path=config)
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
            repo = repo_root(script.parent)
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
