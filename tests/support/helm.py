"""helm for the chart tests: the binary `hack/build-controlplane.sh` caches, and
charts/kintern rendered into manifests, linted, installed and uninstalled with it.
"""

import json
import os
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kintern.devcluster.binaries import HELM_VERSION, cache_root

REPO_ROOT = Path(__file__).resolve().parents[2]
CHART = REPO_ROOT / "charts/kintern"
CI_VALUES = sorted((CHART / "ci").glob("*.yaml"))


class HelmFailed(AssertionError):
    """helm exited non-zero where the test expected success."""


def helm_binary() -> Path:
    """The cached helm (or KINTERN_HELM); a clear error naming the build command if absent."""
    path = Path(os.environ.get("KINTERN_HELM") or cache_root() / f"helm-{HELM_VERSION}/helm")
    if not os.access(path, os.X_OK):
        raise FileNotFoundError(
            f"helm {HELM_VERSION} is not built at {path}: run `make controlplane` "
            "(or `bash hack/build-controlplane.sh helm`)"
        )
    return path


def _value_args(values_files: Iterable[Path], values: Mapping[str, Any] | None) -> list[str]:
    args = [f"--values={path}" for path in values_files]
    args += [f"--set-json={key}={json.dumps(value)}" for key, value in (values or {}).items()]
    return args


@dataclass(frozen=True)
class Helm:
    """helm with a fixed kubeconfig (none for the commands that need no cluster)."""

    binary: Path
    kubeconfig: Path | None = None

    def run(
        self, *args: str, check: bool = True, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ)
        if self.kubeconfig is not None:
            env["KUBECONFIG"] = str(self.kubeconfig)
        done = subprocess.run(
            [str(self.binary), *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout,
            check=False,
        )
        if check and done.returncode != 0:
            raise HelmFailed(f"helm {' '.join(args)} exited {done.returncode}:\n{done.stderr}")
        return done

    def lint(self, values_files: Iterable[Path] = ()) -> subprocess.CompletedProcess[str]:
        return self.run("lint", "--strict", str(CHART), *_value_args(values_files, None))

    def template(
        self,
        values_files: Iterable[Path] = (),
        values: Mapping[str, Any] | None = None,
        release: str = "kintern",
        namespace: str = "kintern-system",
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """`helm template`; its stdout holds the manifests (see `manifests`)."""
        return self.run(
            "template",
            release,
            str(CHART),
            f"--namespace={namespace}",
            *_value_args(values_files, values),
            check=check,
        )

    def render(
        self,
        values_files: Iterable[Path] = (),
        values: Mapping[str, Any] | None = None,
        release: str = "kintern",
        namespace: str = "kintern-system",
    ) -> list[dict[str, Any]]:
        """The manifests `helm template` renders, as dicts."""
        return manifests(self.template(values_files, values, release, namespace).stdout)

    def install(
        self,
        release: str,
        namespace: str,
        values: Mapping[str, Any] | None = None,
        skip_crds: bool = False,
    ) -> subprocess.CompletedProcess[str]:
        flags = ["--skip-crds"] if skip_crds else []
        return self.run(
            "install",
            release,
            str(CHART),
            f"--namespace={namespace}",
            *flags,
            *_value_args((), values),
        )

    def uninstall(self, release: str, namespace: str) -> subprocess.CompletedProcess[str]:
        return self.run("uninstall", release, f"--namespace={namespace}", "--wait")


def manifests(text: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


def find(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> list[dict[str, Any]]:
    """The manifests of `kind` (and `name`, when given)."""
    return [
        d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)
    ]
