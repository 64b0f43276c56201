"""SQL lives in repositories. import-linter (`make lint`) sees only whole packages, so it cannot
tell a use case's `AsyncSession` type hint from a query it builds: this test reads the imports."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Modules of a feature that must not build queries: they call a repository instead.
NO_SQL_MODULES = ("service.py", "rules.py", "handlers.py", "workers.py", "routes.py")
SQL_PACKAGES = ("sqlalchemy", "sqlmodel")
# A session type for the signatures is not SQL.
ALLOWED = {"sqlalchemy.ext.asyncio"}


def feature_modules() -> list[Path]:
    modules = [
        path
        for pattern in ("services/*/*/*.py", "gateway/*/*.py")
        for path in ROOT.glob(pattern)
        if path.name in NO_SQL_MODULES and "migrations" not in path.parts
    ]
    return sorted(modules)


def sql_imports(path: Path, *, root: Path = ROOT) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        found += [
            f"{path.relative_to(root)}:{node.lineno} imports {name}"
            for name in names
            if name.split(".")[0] in SQL_PACKAGES and name not in ALLOWED
        ]
    return found


def test_feature_modules_outside_repositories_build_no_sql() -> None:
    modules = feature_modules()
    assert modules, "no feature modules found: has the layout moved?"
    offences = [offence for path in modules for offence in sql_imports(path)]
    assert offences == []


def test_the_check_sees_a_query_import(tmp_path: Path) -> None:
    module = tmp_path / "service.py"
    module.write_text(
        "from sqlalchemy import select\nfrom sqlalchemy.ext.asyncio import AsyncSession\n"
    )
    assert [line.split(" imports ")[1] for line in sql_imports(module, root=tmp_path)] == [
        "sqlalchemy"
    ]
