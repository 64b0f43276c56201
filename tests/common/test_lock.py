"""constraints.txt pins every package the project installs, so a fresh machine gets what CI ran."""

from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

LOCK = Path(__file__).parents[2] / "constraints.txt"


def pins() -> dict[str, str]:
    pinned: dict[str, str] = {}
    for line in LOCK.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pinned[canonicalize_name(name)] = version.strip()
    return pinned


def installed_closure(root: str, extras: set[str]) -> dict[str, str]:
    """Every distribution `root[extras]` needs, transitively, with its installed version."""
    found: dict[str, str] = {}
    pending = [(root, extras)]
    while pending:
        name, wanted_extras = pending.pop()
        dist = distribution(name)
        for text in dist.requires or []:
            requirement = Requirement(text)
            environments = [{"extra": extra} for extra in wanted_extras or {""}]
            if requirement.marker and not any(
                requirement.marker.evaluate(env) for env in environments
            ):
                continue
            key = canonicalize_name(requirement.name)
            try:
                version = distribution(requirement.name).version
            except PackageNotFoundError:
                continue  # an optional dependency of a dependency that this platform skips
            if key not in found or requirement.extras:
                found[key] = version
                pending.append((requirement.name, set(requirement.extras)))
    return found


def test_every_installed_dependency_is_pinned_at_the_version_installed() -> None:
    needed = installed_closure("huoli", {"dev"})
    assert {"fastapi", "pytest-xdist", "schemathesis", "sqlalchemy"} <= needed.keys()
    pinned = pins()
    unpinned = sorted(needed.keys() - pinned.keys())
    assert not unpinned, f"run `make lock`: {unpinned} missing from constraints.txt"
    drifted = {
        name: (version, pinned[name]) for name, version in needed.items() if pinned[name] != version
    }
    assert not drifted, f"installed differs from constraints.txt (installed, pinned): {drifted}"
