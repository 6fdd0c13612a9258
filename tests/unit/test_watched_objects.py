"""The reconcile reads what the watches showed, merged with the operator's own writes:
a write is read back until the watch delivers it (or something newer), never after."""

from typing import Any

import pytest

from kintern_operator import cache
from kintern_operator.cache import WatchedObjects

KEY = ("research", "demo")


def _run(name: str, version: int, phase: str) -> dict[str, Any]:
    meta = {
        "name": name,
        "resourceVersion": str(version),
        "creationTimestamp": "2026-12-07T05:00:00Z",
    }
    return {"metadata": meta, "status": {"phase": phase}}


def _watched(runs: dict[tuple[str, str], list[dict[str, Any]]]) -> WatchedObjects:
    return WatchedObjects(campaigns={}, runs=runs, jobs={}, pods={})


def test_a_status_just_written_is_read_back_before_the_watch_delivers_it() -> None:
    index = {KEY: [_run("demo-r001", 10, "Pending")]}
    watched = _watched(index)
    watched.wrote("runs", KEY, _run("demo-r001", 11, "Running"))
    assert [r["status"]["phase"] for r in watched.runs(*KEY)] == ["Running"]


def test_the_watch_wins_once_it_caught_up_or_moved_past() -> None:
    index = {KEY: [_run("demo-r001", 10, "Pending")]}
    watched = _watched(index)
    watched.wrote("runs", KEY, _run("demo-r001", 11, "Running"))
    index[KEY] = [_run("demo-r001", 12, "Succeeded")]  # someone else wrote after us
    assert [r["status"]["phase"] for r in watched.runs(*KEY)] == ["Succeeded"]
    index[KEY] = [_run("demo-r001", 10, "Pending")]  # the own write is gone: watch only
    assert [r["status"]["phase"] for r in watched.runs(*KEY)] == ["Pending"]


def test_a_created_object_the_watch_never_shows_is_forgotten_in_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    watched = _watched({})
    watched.wrote("runs", KEY, _run("demo-r001", 11, "Running"))
    assert len(watched.runs(*KEY)) == 1
    monkeypatch.setattr(cache, "OWN_WRITE_SECONDS", -1.0)
    assert watched.runs(*KEY) == []


def test_pods_keep_only_what_the_reconcile_reads() -> None:
    pod = {
        "metadata": {
            "name": "p",
            "uid": "u",
            "ownerReferences": [{"uid": "j"}],
            "managedFields": [1],
        },
        "spec": {"containers": [{"name": "trainer"}]},
        "status": {"phase": "Running", "conditions": [], "startTime": "t"},
    }
    assert cache.trim_pod(pod) == {
        "metadata": {"name": "p", "uid": "u", "ownerReferences": [{"uid": "j"}]},
        "status": {"phase": "Running", "startTime": "t"},
    }


def test_own_writes_of_a_campaign_never_read_again_are_dropped_once_the_watch_has_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The operator writes runs and Jobs of many campaigns; a campaign done with is not
    read again, and its writes must not stay in memory for good."""
    index = {KEY: [_run("demo-r001", 10, "Pending")]}
    watched = _watched(index)
    watched.wrote("runs", KEY, _run("demo-r001", 11, "Running"))
    index[KEY] = [_run("demo-r001", 11, "Running")]  # the watch delivers it
    monkeypatch.setattr(cache, "SWEEP_SECONDS", -1.0)
    other = ("research", "other")
    watched.wrote("runs", other, _run("other-r001", 12, "Running"))  # any later write sweeps
    assert list(watched._own) == [("runs", other)]


def test_a_job_written_is_kept_as_its_index_keeps_it() -> None:
    watched = WatchedObjects(campaigns={}, runs={}, jobs={}, pods={})
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "trun-demo-r001", "resourceVersion": "5", "managedFields": [1]},
        "spec": {"suspend": False, "template": {"spec": {"containers": [{"name": "t"}]}}},
        "status": {},
    }
    watched.wrote("jobs", KEY, job)
    [kept] = watched.jobs(*KEY)
    assert kept == cache.trim_job(job) and "template" not in kept["spec"]
    assert "managedFields" not in kept["metadata"]
