"""The committed CRDs in crds/ are exactly what kintern.api renders (`make crds`)."""

from pathlib import Path

import pytest

from kintern.api.crd import all_manifests, render

CRDS_DIR = Path(__file__).resolve().parents[2] / "crds"


def test_crds_dir_holds_exactly_the_rendered_files() -> None:
    assert sorted(p.name for p in CRDS_DIR.glob("*.yaml")) == sorted(all_manifests())


@pytest.mark.parametrize("name", sorted(all_manifests()))
def test_committed_crd_matches_the_models(name: str) -> None:
    committed = (CRDS_DIR / name).read_text()
    assert committed == render(all_manifests()[name]), f"crds/{name} is stale: run `make crds`"
