"""How long a run takes to be Running once Kueue admits its Job, on the local control plane.

    python bench/kueue_admission.py                        # 60 runs of 4 GPUs, 8 at a time
    python bench/kueue_admission.py --runs 100
    python bench/kueue_admission.py --kubeconfig K --runs 8   # a running `up --kueue` cluster

It starts a control plane with Kueue (unless given the admin kubeconfig of one), applies
the lab's queues of examples/kueue/queues.yaml (the `research` LocalQueue draws from
team-nlp's 16 GPUs and the 16 team-vision lends it while idle), runs the operator as a
real process on namespace `research`, and creates one campaign whose runs go through
that queue (Auto approvals, maxConcurrentRuns = all runs, so that only Kueue's quota holds
them back) and all its runs at once. Each run's pod (kwok) ends once it runs and its run
says Running, so Kueue admits the next: every run waits, is admitted and starts once.

Watches note when each change arrives (Kubernetes stamps whole seconds): a Workload's
Admitted condition turning True, its Job no longer suspended (Kueue's doing), and its run's
phase turning Running (the operator's: the Job's watch event, a reconcile, the status
write). It reports the admission-to-Running latency (p50, p99, max) over all runs, split
at the Job's release into Kueue's share and the operator's, and the wall time.

Nothing here is asserted: tests/integration/test_kueue_admission_bench.py runs a small size.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client, config
from scale_cluster import BENCH_NAMESPACE, Cluster, OperatorProcess, apply_crds, log
from scale_timing import follow, percentile

from kintern.devcluster import ClusterConfig, down, up
from kintern.devcluster.kwok import completion_annotations

REPO = Path(__file__).resolve().parents[1]
QUEUES = REPO / "examples" / "kueue" / "queues.yaml"
NAMESPACE, LOCAL_QUEUE = "research", "research"  # as examples/kueue/queues.yaml names them
GROUP, VERSION = "kintern.dev", "v1alpha1"
KUEUE_GROUP, KUEUE_VERSION = "kueue.x-k8s.io", "v1beta2"
RESULT = json.dumps({"status": "succeeded"})


@dataclass(frozen=True)
class Latency:
    """Seconds between two moments over the runs that had both."""

    runs: int
    p50: float
    p99: float
    max: float

    @classmethod
    def of(cls, values: list[float]) -> Latency:
        p50, p99 = percentile(values, 0.50), percentile(values, 0.99)
        return cls(len(values), round(p50, 3), round(p99, 3), round(max(values, default=0), 3))

    def line(self, what: str) -> str:
        return f"{what}: p50 {self.p50:.3f} s, p99 {self.p99:.3f} s, max {self.max:.3f} s"


@dataclass(frozen=True)
class Figures:
    runs: int
    admitted: int
    admission_to_running: Latency
    admission_to_job_released: Latency  # Kueue's share: it unsuspends the Job
    job_released_to_running: Latency  # the operator's share
    # The same, for Jobs released after the operator had created every Job: without the
    # first reconcile, which approves every run and creates every Job in one go.
    job_released_to_running_after_burst: Latency
    wall_seconds: float


class Moments:
    """Monotonic seconds per Job name, as the watches saw each change arrive."""

    def __init__(self) -> None:
        self.created: dict[str, float] = {}  # the Job first seen
        self.admitted: dict[str, float] = {}
        self.released: dict[str, float] = {}  # the Job no longer suspended
        self.running: dict[str, float] = {}
        self._lock = threading.Lock()

    def note(self, table: dict[str, float], job: str) -> None:
        with self._lock:
            table.setdefault(job, time.monotonic())

    def latencies(
        self, start: dict[str, float], end: dict[str, float], after: float = 0.0
    ) -> list[float]:
        """end - start per Job, for the Jobs whose start came after `after`."""
        with self._lock:
            return sorted(end[j] - start[j] for j in end if start.get(j, -1.0) > after)

    def all_jobs_created(self) -> float:
        with self._lock:
            return max(self.created.values(), default=0.0)


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--gpus-per-run", type=int, default=4)
    parser.add_argument("--kubeconfig", type=Path, help="a running cluster with Kueue")
    parser.add_argument("--timeout", type=float, default=900, help="seconds for all runs")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    return parser


def main(args: argparse.Namespace) -> Figures:
    work = Path(tempfile.mkdtemp(prefix="kintern-kueue-bench-"))
    started = None
    kubeconfig = args.kubeconfig
    if kubeconfig is None:
        log(f"starting a local control plane with Kueue in {work}")
        started = up(ClusterConfig(work / "state", timeout_seconds=600, kueue=True))
        kubeconfig = started.kubeconfig
    cluster = Cluster(kubeconfig, config.new_client_from_config(config_file=str(kubeconfig)), None)
    try:
        return _measure(cluster, args, work)
    finally:
        if started is not None:
            down(started.state_dir)
        else:
            _clean_up(cluster)


def _namespace(name: str) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})


def _clean_up(cluster: Cluster) -> None:
    """What the benchmark made on a cluster it did not start, gone before it returns, so
    that the next run can make them again. The ResourceFlavor stays: the cluster's own
    (the test fixture's) has the same name and pool."""
    cluster.kubectl("delete", "namespace", "--ignore-not-found", NAMESPACE)
    for doc in yaml.safe_load_all(QUEUES.read_text()):
        if doc["kind"] != "ResourceFlavor" and "namespace" not in doc["metadata"]:
            cluster.kubectl("delete", "--ignore-not-found", doc["kind"], doc["metadata"]["name"])


def _measure(cluster: Cluster, args: argparse.Namespace, work: Path) -> Figures:
    apply_crds(cluster)
    cluster.kubectl("create", "namespace", NAMESPACE)
    cluster.kubectl("apply", "-f", "-", stdin=_namespace(BENCH_NAMESPACE))  # the Lease's
    cluster.kubectl("apply", "-f", str(QUEUES))
    moments, stop, failures = Moments(), threading.Event(), []
    ender = PodEnder(cluster)
    followers = (
        _workloads(cluster, moments),
        _jobs(cluster, moments),
        _runs(cluster, moments, ender),
        ender.follower(),
    )
    threads = [
        threading.Thread(target=_follow, args=(f, stop, failures), daemon=True) for f in followers
    ]
    for thread in threads:
        thread.start()
    operator = OperatorProcess(cluster.kubeconfig, [NAMESPACE], work / "operator.log")
    try:
        start = time.monotonic()
        _create(cluster, args)
        _wait_all_running(moments, args, operator, failures)
        wall = time.monotonic() - start
    finally:
        stop.set()
        operator.stop()
    m = moments
    return Figures(
        runs=args.runs,
        admitted=len(m.admitted),
        admission_to_running=Latency.of(m.latencies(m.admitted, m.running)),
        admission_to_job_released=Latency.of(m.latencies(m.admitted, m.released)),
        job_released_to_running=Latency.of(m.latencies(m.released, m.running)),
        job_released_to_running_after_burst=Latency.of(
            m.latencies(m.released, m.running, after=m.all_jobs_created())
        ),
        wall_seconds=round(wall, 1),
    )


def _create(cluster: Cluster, args: argparse.Namespace) -> None:
    custom = client.CustomObjectsApi(cluster.api)
    campaign = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "PostTrainingCampaign",
        "metadata": {"name": "queued"},
        "spec": {
            "goal": "Benchmark Kueue admission.",
            "baseModel": "Qwen/Qwen3-1.7B-Base",
            "objective": {"benchmark": "gpqa-main"},
            "agent": {"model": "builtin/sweep"},
            "budget": {
                "gpuHours": 2 * args.gpus_per_run * args.runs,
                "maxConcurrentRuns": args.runs,
                "maxRuns": args.runs,
            },
            "compute": {"gpusPerRun": args.gpus_per_run, "queueName": LOCAL_QUEUE},
            "approvals": {"mode": "Auto"},
        },
    }
    custom.create_namespaced_custom_object(
        GROUP, VERSION, NAMESPACE, "posttrainingcampaigns", campaign
    )
    for i in range(args.runs):
        run = {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "TrainingRun",
            "metadata": {"name": f"queued-r{i:03d}"},
            "spec": {
                "campaign": "queued",
                "recipe": "sft",
                "datasets": [{"name": "my-org/sft-data"}],
                "resources": {"hours": 1},
            },
        }
        custom.create_namespaced_custom_object(GROUP, VERSION, NAMESPACE, "trainingruns", run)


def _wait_all_running(
    moments: Moments,
    args: argparse.Namespace,
    operator: OperatorProcess,
    failures: list[BaseException],
) -> None:
    deadline = time.monotonic() + args.timeout
    while len(moments.running) < args.runs:
        if failures:
            raise RuntimeError("a watch of the benchmark failed") from failures[0]
        if not operator.alive():
            raise RuntimeError(f"the operator exited; see {operator.log_path}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {len(moments.running)} of {args.runs} runs ran")
        time.sleep(0.5)


TRAINERS = "app.kubernetes.io/component=trainer"
# A watch: what to list, its label selector, and what to do with each object it shows.
Follower = tuple[Callable[..., Any], str, Callable[[dict[str, Any]], None]]


def _follow(follower: Follower, stop: threading.Event, failures: list[BaseException]) -> None:
    """`scale_timing.follow` handing each object to the follower's `handle`; a failure is
    kept for the main thread to raise."""
    lister, selector, handle = follower
    try:
        follow(lister, lambda event: handle(event["object"]), stop, selector)
    except Exception as err:  # any failure: the main thread raises it
        failures.append(err)


def _workloads(cluster: Cluster, moments: Moments) -> Follower:
    custom = client.CustomObjectsApi(cluster.api)

    def lister(**kw: Any) -> Any:
        return custom.list_namespaced_custom_object(
            KUEUE_GROUP, KUEUE_VERSION, NAMESPACE, "workloads", **kw
        )

    def handle(workload: dict[str, Any]) -> None:
        conditions = (workload.get("status") or {}).get("conditions") or []
        owners = workload["metadata"].get("ownerReferences") or []
        if owners and any(c["type"] == "Admitted" and c["status"] == "True" for c in conditions):
            moments.note(moments.admitted, owners[0]["name"])

    return lister, "", handle


def _jobs(cluster: Cluster, moments: Moments) -> Follower:
    batch = client.BatchV1Api(cluster.api)

    def lister(**kw: Any) -> Any:
        return batch.list_namespaced_job(NAMESPACE, **kw)

    def handle(job: dict[str, Any]) -> None:
        moments.note(moments.created, job["metadata"]["name"])
        if (job.get("spec") or {}).get("suspend") is False:
            moments.note(moments.released, job["metadata"]["name"])

    return lister, TRAINERS, handle


def _runs(cluster: Cluster, moments: Moments, ender: PodEnder) -> Follower:
    custom = client.CustomObjectsApi(cluster.api)

    def lister(**kw: Any) -> Any:
        return custom.list_namespaced_custom_object(GROUP, VERSION, NAMESPACE, "trainingruns", **kw)

    def handle(run: dict[str, Any]) -> None:
        status = run.get("status") or {}
        if status.get("phase") == "Running" and status.get("jobName"):
            moments.note(moments.running, status["jobName"])
            ender.run_running(status["jobName"])

    return lister, "", handle


class PodEnder:
    """Ends a trainer pod (kwok's annotations) once it runs and its run has been seen
    Running, freeing its quota for the next run. Ending it any sooner could let the
    operator see the run finished before it ever wrote Running, and the latency measured
    would be missing for that run."""

    def __init__(self, cluster: Cluster) -> None:
        self.core = client.CoreV1Api(cluster.api)
        self._running_runs: set[str] = set()
        self._running_pods: dict[str, str] = {}  # Job name -> its running pod
        self._ended: set[str] = set()
        self._lock = threading.Lock()

    def run_running(self, job: str) -> None:
        with self._lock:
            self._running_runs.add(job)
        self._end_if_ready(job)

    def pod_running(self, job: str, pod: str) -> None:
        with self._lock:
            self._running_pods[job] = pod
        self._end_if_ready(job)

    def _end_if_ready(self, job: str) -> None:
        with self._lock:
            pod = self._running_pods.get(job)
            if job not in self._running_runs or pod is None or pod in self._ended:
                return
            self._ended.add(pod)
        notes = completion_annotations(0, RESULT)
        self.core.patch_namespaced_pod(pod, NAMESPACE, {"metadata": {"annotations": notes}})

    def follower(self) -> Follower:
        def lister(**kw: Any) -> Any:
            return self.core.list_namespaced_pod(NAMESPACE, **kw)

        def handle(pod: dict[str, Any]) -> None:
            job = (pod["metadata"].get("labels") or {}).get("job-name")
            if job and (pod.get("status") or {}).get("phase") == "Running":
                self.pod_running(job, pod["metadata"]["name"])

        return lister, TRAINERS, handle


def report(f: Figures) -> str:
    return "\n".join(
        [
            f"runs: {f.runs}; admitted by Kueue: {f.admitted}; Running after admission: "
            f"{f.admission_to_running.runs}",
            f.admission_to_running.line("admission to Running"),
            f.admission_to_job_released.line("  admission to Job unsuspended (Kueue)"),
            f.job_released_to_running.line("  Job unsuspended to Running (operator)"),
            f.job_released_to_running_after_burst.line(
                f"    of the {f.job_released_to_running_after_burst.runs} released after every "
                "Job was created"
            ),
            f"wall time: {f.wall_seconds:.1f} s",
        ]
    )


if __name__ == "__main__":
    arguments = make_parser().parse_args()
    figures = main(arguments)
    print(report(figures))
    if arguments.json:
        arguments.json.write_text(json.dumps(asdict(figures), indent=2))
