"""The operator at scale on the local control plane: N fake H100 nodes, C campaigns and R
TrainingRuns in Auto mode, and how fast the operator turns proposed runs into Jobs.

    python bench/operator_scale.py                                   # 500 / 1,000 / 10,000
    python bench/operator_scale.py --nodes 50 --campaigns 100 --runs 1000
    python bench/operator_scale.py --kubeconfig K --campaigns 3 --runs 24   # a running cluster
    python bench/operator_scale.py --operator-tree /tmp/old   # another checkout's operator

It starts a control plane (unless given a kubeconfig), the operator as a real process
(`kintern operator`, as its own ServiceAccount, watching the benchmark's namespaces), and
creates the campaigns, then the runs as fast as `--threads` clients can, each as the agent
creates it (campaign label and owner reference: the operator has nothing to adopt), or with
`--bare-runs` as a person would by hand (the operator adds both). It reports:

- runs admitted per second: runs approved, from the first run created to the last approved;
- approval-to-Job and creation-to-Job latency, p50 and p99, as the benchmark's watches saw
  them arrive;
- the operator's peak memory (resident set, VmHWM) and API requests per run (counted by
  the apiserver itself, through a FlowSchema of the operator's identity);
- then, with the operator stopped, the rate at which a plain client (its own identity, same
  priority level, as many threads as the operator has workers) creates the same Jobs, and
  the ratio of the two: the operator's overhead against this apiserver's own limit;
- the writes the apiserver served from every client (the benchmark's run creations, the
  operator, the controllers, kwok) per run while admitting and per plain Job, and their
  rates: when the apiserver writes at the same rate in both phases, the ratio of writes
  per plain Job to writes per run bounds the operator-to-plain ratio.

Nothing here is asserted: tests/integration/test_operator_scale_bench.py runs a small size.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from kubernetes import client, config
from scale_cluster import (
    BENCH_NAMESPACE,
    Cluster,
    OperatorProcess,
    clean_up,
    create_namespaces,
    identity,
    log,
    requests_of,
    start_or_connect,
    writes_of_everyone,
)
from scale_timing import Timeline, Watches, percentile

from kintern.api.ownership import run_labels, run_owner_reference
from kintern.devcluster import down
from kintern.devcluster.nodes import GPU_PRODUCT_LABEL, GPU_RESOURCE, H100

GROUP, VERSION = "kintern.dev", "v1alpha1"
OPERATOR_WORKERS = 8  # kintern_operator.handlers: settings.execution.max_workers


@dataclass(frozen=True)
class ScaleConfig:
    nodes: int = 500
    campaigns: int = 1000
    runs: int = 10_000
    namespaces: int = 10
    threads: int = 8
    timeout: float = 3600.0
    kubeconfig: Path | None = None
    json_path: Path | None = None
    keep: bool = False
    bare_runs: bool = False
    operator_tree: Path | None = None


@dataclass
class Figures:
    gpu_nodes: int
    campaigns: int
    runs: int
    bare_runs: bool
    campaign_setup_seconds: float
    runs_admitted: int
    admit_seconds: float
    admitted_per_second: float
    approval_to_job_p50_s: float
    approval_to_job_p99_s: float
    creation_to_job_p50_s: float
    creation_to_job_p99_s: float
    operator_peak_rss_mib: float
    operator_requests_per_run: float
    operator_requests_per_campaign: float
    reconciles_per_run: float
    reconcile_mean_ms: float
    operator_cpu_share: float
    plain_jobs: int
    plain_jobs_per_second: float
    plain_requests_per_job: float
    operator_to_plain_ratio: float
    writes_per_run: float
    writes_per_second_admitting: float
    writes_per_plain_job: float
    writes_per_second_plain: float


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    d = ScaleConfig()
    p.add_argument("--nodes", type=int, default=d.nodes, help="fake H100 nodes (8 GPUs each)")
    p.add_argument("--campaigns", type=int, default=d.campaigns)
    p.add_argument("--runs", type=int, default=d.runs, help="spread evenly over the campaigns")
    p.add_argument("--namespaces", type=int, default=d.namespaces)
    p.add_argument("--threads", type=int, default=d.threads, help="clients creating runs")
    p.add_argument("--timeout", type=float, default=d.timeout, help="seconds per phase")
    p.add_argument("--kubeconfig", type=Path, help="an admin kubeconfig of a running cluster")
    p.add_argument("--json", dest="json_path", type=Path, help="also write the figures here")
    p.add_argument("--keep", action="store_true", help="leave the cluster and objects up")
    p.add_argument(
        "--bare-runs",
        action="store_true",
        help="runs without campaign label and owner reference, as made by hand",
    )
    p.add_argument(
        "--operator-tree",
        type=Path,
        help="run the operator from this source tree (its kintern and operator/), e.g. an "
        "older commit's `git archive`, for a before/after on the same machine",
    )
    return p


def main(cfg: ScaleConfig) -> Figures:
    work = Path(tempfile.mkdtemp(prefix="kintern-scale-"))
    cpu_nodes = max(2, cfg.campaigns // 60)  # room for the campaigns' agent pods
    cluster = start_or_connect(cfg.kubeconfig, work / "cluster", cfg.nodes, cpu_nodes)
    namespaces = [f"kintern-bench-{i}" for i in range(cfg.namespaces)]
    try:
        create_namespaces(cluster, [BENCH_NAMESPACE, *namespaces])
        figures = _measure(cluster, cfg, namespaces, work)
    finally:
        if cluster.started and not cfg.keep:
            down(cluster.started.state_dir)
        elif not cfg.keep:
            clean_up(cluster, namespaces)
    print(report(figures))
    if cfg.json_path:
        cfg.json_path.write_text(json.dumps(asdict(figures), indent=2) + "\n")
    return figures


def _measure(cluster: Cluster, cfg: ScaleConfig, namespaces: list[str], work: Path) -> Figures:
    operator_config = identity(cluster, "kintern-bench-operator", work)
    plain_config = identity(cluster, "kintern-bench-plain", work)
    campaigns = [(namespaces[i % len(namespaces)], f"c{i:05d}") for i in range(cfg.campaigns)]
    per_campaign = -(-cfg.runs // cfg.campaigns)
    operator = OperatorProcess(
        operator_config, namespaces, work / "operator.log", cfg.operator_tree
    )
    log(f"operator pid {operator.popen.pid}, log {operator.log_path}")
    try:
        before = requests_of(cluster, "kintern-bench-operator")
        setup, uids = _create_campaigns(cluster, campaigns, per_campaign, cfg)
        after_setup = requests_of(cluster, "kintern-bench-operator")
        writes_before, writes_start = writes_of_everyone(cluster), time.monotonic()
        reconciles_before, cpu_before = operator.reconciles(), operator.cpu_seconds()
        timeline = Timeline()
        watches = Watches(cluster.api, timeline).start()
        runs = _create_runs(cluster, campaigns, None if cfg.bare_runs else uids, cfg, timeline)
        _wait_for(lambda: _all_jobs(timeline, runs, operator), cfg, timeline)
        watches.stop()
        after_runs = requests_of(cluster, "kintern-bench-operator")
        writes = writes_of_everyone(cluster) - writes_before
        writes_seconds = time.monotonic() - writes_start
        (count_after, seconds_after), (count_before, seconds_before) = (
            operator.reconciles(),
            reconciles_before,
        )
        count, seconds = count_after - count_before, seconds_after - seconds_before
        peak = operator.peak_rss_mib()
        cpu = operator.cpu_seconds() - cpu_before
    finally:
        operator.stop()
    plain_writes_before = writes_of_everyone(cluster)
    plain_jobs, plain_rate, plain_requests = _plain_client(cluster, plain_config, cfg, namespaces)
    plain_writes = writes_of_everyone(cluster) - plain_writes_before
    approve = timeline.latencies(timeline.approved, timeline.job)
    create = timeline.latencies(timeline.created, timeline.job)
    admitted = [timeline.approved[r] for r in runs if r in timeline.approved]
    admit_seconds = max(admitted) - min(timeline.created.values())
    return Figures(
        gpu_nodes=cluster.gpu_nodes(),
        campaigns=len(campaigns),
        runs=len(runs),
        bare_runs=cfg.bare_runs,
        campaign_setup_seconds=round(setup, 2),
        runs_admitted=len(admitted),
        admit_seconds=round(admit_seconds, 2),
        admitted_per_second=round(len(admitted) / admit_seconds, 2),
        approval_to_job_p50_s=round(percentile(approve, 0.5), 3),
        approval_to_job_p99_s=round(percentile(approve, 0.99), 3),
        creation_to_job_p50_s=round(percentile(create, 0.5), 3),
        creation_to_job_p99_s=round(percentile(create, 0.99), 3),
        operator_peak_rss_mib=round(peak, 1),
        operator_requests_per_run=round((after_runs - after_setup) / len(runs), 2),
        operator_requests_per_campaign=round((after_setup - before) / len(campaigns), 2),
        reconciles_per_run=round(count / len(runs), 2),
        reconcile_mean_ms=round(1000 * seconds / max(count, 1), 1),
        operator_cpu_share=round(cpu / admit_seconds, 2),
        plain_jobs=plain_jobs,
        plain_jobs_per_second=round(plain_rate, 2),
        plain_requests_per_job=round(plain_requests, 2),
        operator_to_plain_ratio=round(len(admitted) / admit_seconds / plain_rate, 3),
        writes_per_run=round(writes / len(runs), 2),
        writes_per_second_admitting=round(writes / writes_seconds, 1),
        writes_per_plain_job=round(plain_writes / max(1, plain_jobs), 2),
        writes_per_second_plain=round(plain_writes / max(1, plain_jobs) * plain_rate, 1),
    )


def campaign_body(name: str, runs: int) -> dict[str, Any]:
    """An Auto campaign whose budget fits all its runs, all running at once."""
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "PostTrainingCampaign",
        "metadata": {"name": name, "labels": {"kintern.dev/bench": "1"}},
        "spec": {
            "goal": "Benchmark the operator.",
            "baseModel": "Qwen/Qwen3-1.7B-Base",
            "objective": {"benchmark": "gpqa-main"},
            "agent": {"model": "builtin/sweep"},
            "budget": {"gpuHours": 2 * runs, "maxConcurrentRuns": runs, "maxRuns": runs},
            "compute": {
                "gpusPerRun": 1,
                "nodeSelector": {GPU_PRODUCT_LABEL: H100},
                "tolerations": [{"key": GPU_RESOURCE, "operator": "Exists"}],
            },
            "approvals": {"mode": "Auto"},
        },
    }


def run_body(name: str, campaign: str, campaign_uid: str | None) -> dict[str, Any]:
    """A run as the agent creates it, owned by its campaign; bare when no uid is given."""
    metadata: dict[str, Any] = {"name": name, "labels": {"kintern.dev/bench": "1"}}
    if campaign_uid is not None:
        metadata["labels"].update(run_labels(campaign))
        metadata["ownerReferences"] = [run_owner_reference(campaign, campaign_uid)]
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "TrainingRun",
        "metadata": metadata,
        "spec": {
            "campaign": campaign,
            "recipe": "sft",
            "rationale": "benchmark",
            "datasets": [{"name": "my-org/sft-data"}],
            "resources": {"hours": 1},
        },
    }


def _create_campaigns(
    cluster: Cluster, campaigns: list[tuple[str, str]], per_campaign: int, cfg: ScaleConfig
) -> tuple[float, dict[str, str]]:
    """Create every campaign; the seconds until all are Running, and each campaign's uid."""
    custom = client.CustomObjectsApi(cluster.api)
    start = time.monotonic()

    def create(item: tuple[str, str]) -> str:
        ns, name = item
        body = campaign_body(name, per_campaign)
        made = custom.create_namespaced_custom_object(
            GROUP, VERSION, ns, "posttrainingcampaigns", body
        )
        return made["metadata"]["uid"]

    with ThreadPoolExecutor(cfg.threads) as pool:
        made = list(pool.map(create, campaigns))
    uids = {name: uid for (_, name), uid in zip(campaigns, made, strict=True)}

    def running() -> int:
        items = custom.list_cluster_custom_object(
            GROUP, VERSION, "posttrainingcampaigns", label_selector="kintern.dev/bench=1"
        )["items"]
        return sum(1 for c in items if (c.get("status") or {}).get("phase") == "Running")

    deadline = start + cfg.timeout
    while (done := running()) < len(campaigns):
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {done} of {len(campaigns)} campaigns are Running")
        time.sleep(1)
    seconds = time.monotonic() - start
    log(f"{len(campaigns)} campaigns Running after {seconds:.1f} s")
    return seconds, uids


def _create_runs(
    cluster: Cluster,
    campaigns: list[tuple[str, str]],
    uids: dict[str, str] | None,
    cfg: ScaleConfig,
    timeline: Timeline,
) -> dict[str, tuple[str, str]]:
    """Create the runs round-robin over the campaigns, owned by them unless `uids` is None;
    run name -> (namespace, campaign)."""
    runs = {}
    for i in range(cfg.runs):
        ns, campaign = campaigns[i % len(campaigns)]
        runs[f"{campaign}-r{i // len(campaigns):04d}"] = (ns, campaign)
    custom = client.CustomObjectsApi(cluster.api)

    def create(name: str) -> None:
        ns, campaign = runs[name]
        uid = None if uids is None else uids[campaign]
        body = run_body(name, campaign, uid)
        custom.create_namespaced_custom_object(GROUP, VERSION, ns, "trainingruns", body)
        timeline.note(timeline.created, name)

    start = time.monotonic()
    with ThreadPoolExecutor(cfg.threads) as pool:
        list(pool.map(create, runs))
    log(f"{len(runs)} runs created in {time.monotonic() - start:.1f} s")
    return runs


def _all_jobs(timeline: Timeline, runs: dict[str, Any], operator: OperatorProcess) -> bool:
    if not operator.alive():
        tail = operator.log_path.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"the operator exited {operator.popen.returncode}:\n{tail}")
    return len(timeline.job.keys() & runs.keys()) >= len(runs)


def _wait_for(done: Any, cfg: ScaleConfig, timeline: Timeline) -> None:
    deadline = time.monotonic() + cfg.timeout
    last = 0.0
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(timeline.job)} Jobs after {cfg.timeout:.0f} s")
        if time.monotonic() - last > 10:
            log(f"approved {len(timeline.approved)}, Jobs {len(timeline.job)}")
            last = time.monotonic()
        time.sleep(0.2)


def _plain_client(
    cluster: Cluster, kubeconfig: Path, cfg: ScaleConfig, namespaces: list[str]
) -> tuple[int, float, float]:
    """The operator's Jobs, created again under new names by a plain client; (count,
    Jobs per second, apiserver requests per Job)."""
    batch = client.BatchV1Api(cluster.api)
    jobs = batch.list_job_for_all_namespaces(
        label_selector="app.kubernetes.io/component=trainer,kintern.dev/campaign"
    ).items
    manifests = [
        _plain_copy(cluster.api.sanitize_for_serialization(j))
        for j in jobs
        if j.metadata.namespace in namespaces
    ]
    plain = client.BatchV1Api(config.new_client_from_config(config_file=str(kubeconfig)))
    before = requests_of(cluster, "kintern-bench-plain")
    start = time.monotonic()
    with ThreadPoolExecutor(OPERATOR_WORKERS) as pool:
        list(
            pool.map(
                lambda m: plain.create_namespaced_job(m["metadata"]["namespace"], m), manifests
            )
        )
    seconds = time.monotonic() - start
    requests = requests_of(cluster, "kintern-bench-plain") - before
    log(f"plain client: {len(manifests)} Jobs in {seconds:.1f} s")
    return len(manifests), len(manifests) / seconds, requests / max(1, len(manifests))


def _plain_copy(job: dict[str, Any]) -> dict[str, Any]:
    """The same Job under another name, with nothing the apiserver or the operator added."""
    meta = job["metadata"]
    spec = {k: v for k, v in job["spec"].items() if k not in ("selector", "manualSelector")}
    template = spec["template"]
    labels = {
        k: v
        for k, v in (template.get("metadata") or {}).get("labels", {}).items()
        if "controller-uid" not in k and "job-name" not in k and k != "kintern.dev/campaign"
    }
    spec["template"] = {**template, "metadata": {"labels": labels}}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": f"plain-{meta['name']}", "namespace": meta["namespace"]},
        "spec": spec,
    }


def report(f: Figures) -> str:
    return "\n".join(
        [
            f"Kintern operator scale: {f.gpu_nodes} fake H100 nodes, {f.campaigns} campaigns, "
            f"{f.runs} runs (Auto, {'bare' if f.bare_runs else 'owned by their campaigns'})",
            f"campaigns Running:        {f.campaigns} in {f.campaign_setup_seconds} s",
            f"runs admitted:            {f.runs_admitted} in {f.admit_seconds} s = "
            f"{f.admitted_per_second} runs/s",
            f"approval to Job latency:  p50 {f.approval_to_job_p50_s} s, "
            f"p99 {f.approval_to_job_p99_s} s",
            f"creation to Job latency:  p50 {f.creation_to_job_p50_s} s, "
            f"p99 {f.creation_to_job_p99_s} s",
            f"operator peak memory:     {f.operator_peak_rss_mib} MiB (resident)",
            f"operator API requests:    {f.operator_requests_per_run} per run, "
            f"{f.operator_requests_per_campaign} per campaign set up",
            f"operator reconciles:      {f.reconciles_per_run} per run, "
            f"{f.reconcile_mean_ms} ms each on average; operator CPU {f.operator_cpu_share} "
            "cores while admitting",
            f"plain client Jobs:        {f.plain_jobs} at {f.plain_jobs_per_second} Jobs/s "
            f"({OPERATOR_WORKERS} threads, {f.plain_requests_per_job} requests per Job)",
            f"operator / plain client:  {f.operator_to_plain_ratio}",
            f"apiserver writes, all:    {f.writes_per_run} per run created and admitted "
            f"({f.writes_per_second_admitting}/s), {f.writes_per_plain_job} per plain Job "
            f"({f.writes_per_second_plain}/s)",
        ]
    )


if __name__ == "__main__":
    main(ScaleConfig(**vars(make_parser().parse_args())))
