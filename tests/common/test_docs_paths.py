"""The README's map and docs/ name the modules where things live; a path that no longer exists
is a map that drifted. Every project path they name, in backticks or in a table, must exist."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOP_LEVEL = (
    "services",
    "gateway",
    "devstack",
    "bench",
    "tests",
    "deploy",
    "huoli",
    "docs",
    "clients",
)
# `services/scoring/ledger/`, `gateway/app.py`, `services/members/tiers/service.py:42`, or the
# dotted form `services.common.process`; a placeholder such as `services/<name>/` is no path.
PATH = re.compile(
    r"`((?:%s)(?:/[\w.\-]+)+/?)(?::\d+(?:-\d+)?)?`" % "|".join(TOP_LEVEL)  # noqa: UP031
)
MODULE = re.compile(r"`((?:services|gateway|devstack|huoli)(?:\.\w+)+)`")


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def named_paths(text: str) -> set[str]:
    return set(PATH.findall(text))


def named_modules(text: str) -> set[str]:
    return set(MODULE.findall(text))


def module_exists(dotted: str) -> bool:
    """A module, a package, or a name defined in one (`services.common.process.open_process`)."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        base = ROOT.joinpath(*parts[:end])
        if base.with_suffix(".py").is_file() or (base / "__init__.py").is_file():
            return end >= len(parts) - 1
    return False


def test_every_path_the_docs_name_exists() -> None:
    missing = [
        f"{document.relative_to(ROOT)}: {path}"
        for document in documents()
        for path in sorted(named_paths(document.read_text(encoding="utf-8")))
        if not (ROOT / path.rstrip("/")).exists()
    ]
    assert missing == []


def test_every_module_the_docs_name_exists() -> None:
    missing = [
        f"{document.relative_to(ROOT)}: {module}"
        for document in documents()
        for module in sorted(named_modules(document.read_text(encoding="utf-8")))
        if not module_exists(module)
    ]
    assert missing == []


def test_the_docs_name_paths_and_the_check_sees_a_wrong_one() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(named_paths(readme)) >= 20, "the README's map should name the modules"
    assert named_paths("see `services/nowhere/at_all.py:12` and `gateway/app.py`") == {
        "services/nowhere/at_all.py",
        "gateway/app.py",
    }
    assert not module_exists("services.nowhere.at_all")
    assert module_exists("services.common.process.open_process")


# A file outside the repository (`../shared/EVENTS.md`) is one a reader of a clone does not have;
# neither is a contract document the repository does not hold.
OUTSIDE = re.compile(r"\.\./[\w./-]+|\b(?:PRODUCT|API|EVENTS)\.md\b")


def test_the_docs_name_no_file_outside_the_repository() -> None:
    found = [
        f"{document.relative_to(ROOT)}: {match}"
        for document in documents()
        for match in OUTSIDE.findall(document.read_text(encoding="utf-8"))
    ]
    assert found == []
    assert OUTSIDE.findall("see `../shared/EVENTS.md` and PRODUCT.md") == [
        "../shared/EVENTS.md",
        "PRODUCT.md",
    ]
