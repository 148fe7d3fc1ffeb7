"""The layers contract `make lint` runs (import-linter, ``[tool.importlinter]`` in pyproject.toml)
holds on the code as it is, and fails when a lower app imports a higher one, at module level or
inside a function.

Each check runs ``lint-imports`` on a copy of the apps in a temporary directory, so the tree
under test is never written to.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
APPS = CONFIG["root_packages"]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(
    not LINT_IMPORTS.exists(), reason="import-linter is not installed (requirements-dev.txt)"
)


def _copy(tmp_path: Path) -> Path:
    for app in APPS:
        shutil.copytree(ROOT / app, tmp_path / app, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", "pyproject.toml", "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_layers_are_in_the_order_the_readme_states():
    contract = CONFIG["contracts"][0]
    assert contract["type"] == "layers"
    order = list(reversed(contract["layers"]))
    assert order == [
        "portal",
        "audit",
        "messaging",
        "accounts",
        "signin",
        "reset",
        "notices",
        "sso",
        "tickets",
    ]
    readme = (ROOT / "README.md").read_text()
    assert " < ".join(f"`{app}`" for app in order) in readme


def test_the_contract_holds_on_the_code(tmp_path):
    result = _lint(_copy(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line"),
    [
        ("accounts/selectors.py", "from tickets.models import Ticket  # noqa\n"),
        ("portal/views.py", "def _later():\n    from signin.models import Lock  # noqa\n"),
        ("signin/views.py", "from notices import selectors as _notices  # noqa\n"),
    ],
    ids=["accounts imports tickets", "portal imports signin in a function", "signin: notices"],
)
def test_an_upward_import_breaks_the_contract(tmp_path, module, line):
    root = _copy(tmp_path)
    target = root / module
    target.write_text(target.read_text() + "\n\n" + line)
    result = _lint(root)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 broken" in result.stdout
    importer = module.removesuffix(".py").replace("/", ".")
    assert importer in result.stdout, result.stdout
