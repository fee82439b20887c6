"""runspec/ imports nothing but the standard library (and tomli on Python < 3.11)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import nemo_runspec_nb.runspec

ALLOWED_THIRD_PARTY = {"tomli"}


def test_spec_imports_only_the_standard_library():
    folder = Path(nemo_runspec_nb.runspec.__file__).parent
    offenders = []
    for path in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in ALLOWED_THIRD_PARTY:
                    offenders.append(f"{path.name}: {name}")
    assert offenders == []
    assert len(list(folder.glob("*.py"))) >= 5  # the walk really saw the package
