"""The images' sources: Dockerfiles lint clean (hadolint), each image's Python extra
holds every package its entry point imports, and `make kind-e2e` is sound (shellcheck,
and its campaign is a valid PostTrainingCampaign).

The extras are checked without building anything, by importing each entry point in a
fresh interpreter (no site-packages) whose path holds only Kintern itself and the
distributions `pip install .[extra]` would bring; tests/e2e runs the built images.
"""

import importlib.metadata as md
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from kintern.api.campaign import PostTrainingCampaign
from tests.support.helm import REPO_ROOT

DOCKERFILES = [
    REPO_ROOT / "operator/Dockerfile",
    REPO_ROOT / "agent/Dockerfile",
    REPO_ROOT / "trainer-image/Dockerfile",
]
# Where the image's own packages come from (pyproject's package roots).
FIRST_PARTY_PATHS = [str(REPO_ROOT / d) for d in (".", "operator", "agent", "trainer-image")]
# (extra, modules its image's entry point imports)
IMAGES = [
    pytest.param("operator", ["kintern.cli.main", "kintern_operator.main"], id="operator"),
    pytest.param("agent", ["kintern.cli.main", "kintern_agent.cli"], id="agent"),
]


def _tool(name: str) -> str:
    """A linter from the dev extra's wheels: beside this interpreter, even when the
    environment is not activated."""
    return str(Path(sys.executable).parent / name)


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_dockerfile_passes_hadolint(dockerfile: Path) -> None:
    done = subprocess.run(
        [_tool("hadolint"), "--failure-threshold", "info", str(dockerfile)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _requires(name: str) -> list[str]:
    """A distribution's requirements; Kintern's from pyproject.toml (installed metadata
    can be older than the checkout)."""
    if name != "kintern":
        return md.requires(name) or []
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    lines = list(project["dependencies"])
    for extra, requirements in project["optional-dependencies"].items():
        lines += [f'{r}; extra == "{extra}"' for r in requirements]
    return lines


def _distributions(extra: str) -> set[str]:
    """Canonical names of kintern's requirements with `extra`, transitively."""
    found: set[str] = set()
    todo: list[tuple[str, frozenset[str]]] = [("kintern", frozenset({extra}))]
    while todo:
        name, extras = todo.pop()
        for line in _requires(name):
            requirement = Requirement(line)
            marker = requirement.marker
            wanted = marker is None or any(marker.evaluate({"extra": e}) for e in (*extras, ""))
            key = canonicalize_name(requirement.name)
            if not wanted:
                continue
            if key == "kintern":  # kintern[operator] inside kintern[all], and the like
                todo.append(("kintern", frozenset(requirement.extras)))
            elif key not in found:
                found.add(key)
                todo.append((requirement.name, frozenset(requirement.extras)))
    return found


def _site_packages(extra: str, into: Path) -> Path:
    """A site-packages holding only what `pip install .[extra]` brings: links to each
    distribution's top-level files (modules, extension libraries, .dist-info)."""
    into.mkdir()
    for name in _distributions(extra):
        dist = md.distribution(name)
        base = Path(str(dist.locate_file("")))
        for top in {Path(str(f)).parts[0] for f in dist.files or []}:
            source = base / top
            if source.exists() and top != ".." and not (into / top).exists():
                (into / top).symlink_to(source)
    return into


@pytest.mark.parametrize(("extra", "modules"), IMAGES)
def test_image_extra_holds_everything_its_entry_point_imports(
    extra: str, modules: list[str], tmp_path: Path
) -> None:
    site = _site_packages(extra, tmp_path / "site-packages")
    code = ["import importlib, sys", f"sys.path[1:1] = {[str(site), *FIRST_PARTY_PATHS]!r}"]
    code += [f"importlib.import_module({m!r})" for m in modules]
    done = subprocess.run(
        [sys.executable, "-S", "-c", "; ".join(code)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, f"pip install .[{extra}] lacks a package:\n{done.stderr[-3000:]}"


def test_build_and_e2e_scripts_pass_shellcheck() -> None:
    scripts = sorted(str(p) for p in (REPO_ROOT / "hack").rglob("*.sh"))
    done = subprocess.run(
        [_tool("shellcheck"), *scripts],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_kind_e2e_campaign_is_a_valid_campaign() -> None:
    body = yaml.safe_load((REPO_ROOT / "hack/kind-e2e/campaign.yaml").read_text())
    body["metadata"]["namespace"] = "kintern-e2e"
    campaign = PostTrainingCampaign.model_validate(body)
    assert campaign.spec.agent.model == "builtin/sweep"  # no LLM, no credentials
    assert campaign.spec.compute.gpus_per_run == 0  # kind nodes have no GPUs
