"""One import style inside the package: relative.

ruff has no rule that prefers relative imports (flake8-tidy-imports only bans
them), so this walks the package's syntax trees instead.
"""

from __future__ import annotations

import ast
from pathlib import Path

import nemo_runspec_nb

PACKAGE = Path(nemo_runspec_nb.__file__).parent


def _absolute_self_imports(source: str) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        if any(name == "nemo_runspec_nb" or name.startswith("nemo_runspec_nb.") for name in names):
            lines.append(node.lineno)
    return lines


def test_the_checker_sees_both_absolute_forms():
    absolute = "from nemo_runspec_nb.config import x\nimport nemo_runspec_nb.launch\n"
    assert _absolute_self_imports(absolute) == [1, 2]
    assert _absolute_self_imports("from .config import x\nfrom ..launch import y\nimport os\n") == []


def test_package_modules_import_each_other_relatively():
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for line in _absolute_self_imports(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], "use a relative import (from ..config import x) at: " + ", ".join(offenders)
