"""The environment the suite runs in is the one constraints.txt pins, and the lock covers pyproject.

A fresh machine installs with `pip install -c constraints.txt`: if a dependency were missing from
the lock, or the lock no longer met pyproject's ranges, the README's commands would install an
untested version again (as prefect 3.9.1 and google-auth 2.63.0 once arrived unannounced).
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        found = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)", line)
        if found:
            pins[canonicalize_name(found[1])] = found[2]
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    texts = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        texts += extra
    return [Requirement(text) for text in texts]


def test_every_declared_dependency_is_pinned_within_its_range() -> None:
    pins = _pins()
    problems = []
    for req in _declared():
        pinned = pins.get(canonicalize_name(req.name))
        if pinned is None:
            problems.append(f"{req.name}: not in constraints.txt")
        elif not req.specifier.contains(pinned, prereleases=True):
            problems.append(f"{req.name}: pinned {pinned}, pyproject asks {req.specifier}")
    assert problems == [], "run `bash .ci/refresh-lock`: " + "; ".join(problems)


def test_the_installed_packages_are_the_pinned_ones() -> None:
    pins = _pins()
    drifted = []
    for dist in metadata.distributions():
        name = canonicalize_name(dist.metadata["Name"])
        if name in pins and dist.version != pins[name]:
            drifted.append(f"{name} {dist.version} (lock: {pins[name]})")
    assert drifted == [], "installed without -c constraints.txt? " + ", ".join(sorted(drifted))
