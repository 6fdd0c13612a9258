"""The operator's resync loop outlives a failed listing of campaigns (an apiserver away
for a moment): deadlines and live GPU-hours keep moving afterwards."""

import threading
from types import SimpleNamespace
from typing import Any

import kopf

from kintern_operator.handlers import _resync_loop


class FlakyCustomObjects:
    """Fails the first listing, then lists one live campaign."""

    def __init__(self) -> None:
        self.calls = 0

    def list_namespaced_custom_object(self, *args: Any) -> dict[str, Any]:
        self.calls += 1
        if self.calls == 1:
            raise ConnectionError("apiserver unreachable")
        campaign = {"metadata": {"namespace": "research", "name": "demo"}, "status": {}}
        return {"items": [campaign]}


def test_resync_goes_on_after_a_failed_listing() -> None:
    stop = threading.Event()
    reconciled: list[tuple[str, str]] = []

    def enqueue(namespace: str, name: str) -> None:
        reconciled.append((namespace, name))
        stop.set()

    reconciler = SimpleNamespace(
        kube=SimpleNamespace(custom=FlakyCustomObjects()),
        settings=SimpleNamespace(resync_seconds=0.01),
        enqueue=enqueue,
    )
    memo = kopf.Memo(reconciler=reconciler, namespaces=["research"])
    thread = threading.Thread(target=_resync_loop, args=(memo, stop), daemon=True)
    thread.start()
    thread.join(timeout=10)
    assert reconciled == [("research", "demo")]
