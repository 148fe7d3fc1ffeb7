"""The layers contract `make lint` runs (import-linter, ``[tool.importlinter]`` in pyproject.toml)
holds on the code as it is, and fails when a lower app imports a higher one, at module level or
inside a function. An import of a project module written inside a function says why, in a
comment on the line above it (or on its own line): a hidden import needs a reason.

Each check runs ``lint-imports`` on a copy of the apps in a temporary directory, so the tree
under test is never written to.
"""

from __future__ import annotations

import ast
import io
import shutil
import subprocess
import sys
import tokenize
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
APPS = CONFIG["root_packages"]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

needs_lint_imports = pytest.mark.skipif(
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
        "directory",
        "passkeys",
        "signin",
        "reset",
        "access_pass",
        "notices",
        "sso",
        "tickets",
        "demo_crm",
    ]
    readme = (ROOT / "README.md").read_text()
    assert " < ".join(f"`{app}`" for app in order) in readme


@needs_lint_imports
def test_the_contract_holds_on_the_code(tmp_path):
    result = _lint(_copy(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@needs_lint_imports
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


# --- Imports inside functions say why -----------------------------------------------------------
def _imports_in_functions(source: str) -> list[tuple[int, int, str]]:
    """(first line, last line, module) of each import of a project module (or a relative one)
    written inside a function or method of ``source``."""
    found = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if in_function and isinstance(child, ast.Import | ast.ImportFrom):
                if isinstance(child, ast.Import):
                    names = [alias.name for alias in child.names]
                elif child.level:
                    names = ["." * child.level + (child.module or "")]
                else:
                    names = [child.module or ""]
                for name in names:
                    if name.startswith(".") or name.split(".")[0] in APPS:
                        found.append((child.lineno, child.end_lineno or child.lineno, name))
                        break
            visit(child, inside)

    visit(ast.parse(source), False)
    return found


def _hidden_imports(source: str) -> list[tuple[int, str]]:
    """(line, module) of the function-level project imports in ``source`` with no comment on the
    line above or on their own lines. A run of such imports shares the comment above its first."""
    comments = {
        token.start[0]
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT
    }
    imports = _imports_in_functions(source)
    explained: set[int] = set()  # last lines of the imports that have a reason
    hidden = []
    for first, last, name in imports:
        if (
            first - 1 in comments
            or first - 1 in explained
            or comments & set(range(first, last + 1))
        ):
            explained.add(last)
        else:
            hidden.append((first, name))
    return hidden


def _app_modules() -> list[Path]:
    return sorted(
        path
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.relative_to(ROOT).parts
    )


def test_every_import_inside_a_function_of_the_apps_says_why():
    hidden = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in _app_modules()
        for line, name in _hidden_imports(path.read_text())
    ]
    assert not hidden, (
        "Imports of project modules inside functions without a comment saying why (hoist them "
        "to the module's top, or say on the line above what would loop):\n" + "\n".join(hidden)
    )


@pytest.mark.parametrize(
    ("source", "hidden"),
    [
        ("def f():\n    from signin import tasks\n", [(2, "signin")]),
        ("def f():\n    from . import tasks\n", [(2, ".")]),
        ("class A:\n    def f(self):\n        import accounts.codes\n", [(3, "accounts.codes")]),
        (
            "def f():\n    # Imported here: tasks imports us.\n    from signin import tasks\n",
            [],
        ),
        ("def f():\n    from signin import tasks  # noqa: F401 (registers them)\n", []),
        ("def f():\n    # one reason\n    from signin import a\n    from signin import b\n", []),
        ("def f():\n    from django.db import models\n    from decimal import Decimal\n", []),
        ("from signin import tasks\n\n\ndef f():\n    return tasks\n", []),
    ],
    ids=[
        "no reason",
        "relative, no reason",
        "in a method",
        "reason above",
        "reason on its line",
        "a run shares one reason",
        "not a project module",
        "module level",
    ],
)
def test_a_hidden_import_is_found(source, hidden):
    assert _hidden_imports(source) == hidden
