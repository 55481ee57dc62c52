"""tipro.tripletex is HTTP only: importing it (or any module of it) pulls in no Flask and no
database, directly or through another module. Checked in a fresh interpreter, from sys.modules."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import tipro.tripletex

PACKAGE = Path(tipro.tripletex.__file__).parent
MODULES = ["tipro.tripletex"] + [
    f"tipro.tripletex.{path.stem}"
    for path in sorted(PACKAGE.glob("*.py"))
    if path.stem != "__init__"
]
FORBIDDEN = ("flask", "flask_sqlalchemy", "flask_login", "flask_wtf", "sqlalchemy", "tipro.models")


@pytest.mark.parametrize("module", MODULES)
def test_importing_pulls_in_no_flask_and_no_models(module):
    script = (
        "import importlib, json, sys\n"
        f"importlib.import_module({module!r})\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    loaded = json.loads(out)
    offenders = [m for m in loaded if m.split(".")[0] in FORBIDDEN or m.startswith(FORBIDDEN)]
    assert offenders == []


def test_the_package_has_only_http_modules():
    assert {m.rsplit(".", 1)[-1] for m in MODULES[1:]} == {
        "api",
        "client",
        "errors",
        "redact",
        "types",
    }
