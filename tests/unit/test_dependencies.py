"""Every third-party package the project imports is declared in pyproject.toml,
so that a fresh machine installs what the code needs (and the lock file pins it)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIRST_PARTY = {"api", "models", "procurement", "labels", "tests"}
SHIPPED = ("api", "models", "procurement", "labels")


def _declared(names: list[str]) -> set[str]:
    return {re.split(r"[\s\[<>=!~;]", spec, maxsplit=1)[0].lower().replace("_", "-") for spec in names}


def _imported_top_levels(folders: tuple[str, ...]) -> dict[str, str]:
    """Top-level module -> one file importing it."""
    found: dict[str, str] = {}
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return {
        module: where
        for module, where in found.items()
        if module not in FIRST_PARTY and module not in sys.stdlib_module_names and module != "__future__"
    }


def _undeclared(folders: tuple[str, ...], declared: set[str]) -> list[str]:
    distributions = packages_distributions()
    missing = []
    for module, where in sorted(_imported_top_levels(folders).items()):
        names = {d.lower().replace("_", "-") for d in distributions.get(module, [module])}
        if not names & declared:
            missing.append(f"{module} (imported in {where}; distribution {', '.join(sorted(names))})")
    return missing


def test_every_package_the_shipped_code_imports_is_a_declared_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert _undeclared(SHIPPED, _declared(project["dependencies"])) == []


def test_every_package_the_tests_import_is_declared_for_tests():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = _declared(project["dependencies"] + project["optional-dependencies"]["test"])
    assert _undeclared(("tests",), declared) == []


def test_the_lock_files_pin_what_pyproject_pins():
    """A pin changed in pyproject.toml without `make lock` would install something untested."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for lock, specs in (
        ("run.lock", project["dependencies"]),
        ("test.lock", project["dependencies"] + project["optional-dependencies"]["test"]),
    ):
        pinned = {
            name.lower().replace("_", "-"): version
            for name, version in re.findall(
                r"^([A-Za-z0-9_.\-]+)==([^\s\\;]+)", (ROOT / "requirements" / lock).read_text(), re.M
            )
        }
        for spec in specs:
            name, _, version = re.sub(r"\[[^\]]*\]", "", spec).partition("==")
            assert pinned.get(name.lower().replace("_", "-")) == version, f"{lock}: {spec}"
