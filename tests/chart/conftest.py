"""Fixtures of the chart tests that need no cluster: helm, and the chart rendered with its
defaults and with each values file under charts/kintern/ci/."""

from pathlib import Path

import pytest

from tests.support.helm import CI_VALUES, Helm, helm_binary

VALUES_CASES = [pytest.param((), id="defaults")] + [
    pytest.param((path,), id=path.stem) for path in CI_VALUES
]


@pytest.fixture(scope="session")
def helm() -> Helm:
    return Helm(helm_binary())


@pytest.fixture(params=VALUES_CASES)
def values_files(request: pytest.FixtureRequest) -> tuple[Path, ...]:
    """The defaults, then each values file under charts/kintern/ci/."""
    return tuple(request.param)
