"""The client package stays free of Flask so it can be used from jobs, the CLI and benchmarks."""

from __future__ import annotations

import ast
from pathlib import Path

import tipro.tripletex

PACKAGE = Path(tipro.tripletex.__file__).parent


def test_no_module_in_tipro_tripletex_imports_flask():
    offenders = []
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0].startswith("flask")]
    assert offenders == []
