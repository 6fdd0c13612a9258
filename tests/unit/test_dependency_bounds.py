"""pyproject.toml bounds every dependency to the major version the code is written for,
and the versions the tests run with are inside those bounds."""

import importlib.metadata as md
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def _requirements() -> list[Requirement]:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    lines = list(project["dependencies"])
    for requirements in project["optional-dependencies"].values():
        lines += requirements
    return [r for r in map(Requirement, lines) if r.name != "kintern"]


REQUIREMENTS = _requirements()


@pytest.mark.parametrize("requirement", REQUIREMENTS, ids=str)
def test_each_dependency_has_an_upper_bound(requirement: Requirement) -> None:
    operators = {s.operator for s in requirement.specifier}
    assert operators & {"<", "=="}, (
        f"{requirement}: bound it below the next major version (e.g. <{{major+1}}), so a new "
        "major release with a changed API cannot be installed under code written for this one"
    )


@pytest.mark.parametrize("requirement", REQUIREMENTS, ids=str)
def test_the_installed_version_is_within_the_bounds(requirement: Requirement) -> None:
    installed = md.version(requirement.name)
    assert requirement.specifier.contains(installed, prereleases=True), (
        f"{requirement.name} {installed} is installed (and tested) but pyproject.toml allows "
        f"{requirement.specifier}"
    )
