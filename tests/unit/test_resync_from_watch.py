"""The resync queues every campaign the watch showed live, and none that ended or went,
without calling the apiserver (so a hung apiserver cannot stall it)."""

import threading

import kopf

from kintern_operator.handlers import _resync_loop
from kintern_operator.kube import Kube
from kintern_operator.reconciler import CampaignReconciler
from kintern_operator.settings import OperatorSettings


class NoApi:
    """Stands where the ApiClient would be: any use of it fails the test."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"the resync called the API ({name})")


def test_resync_queues_the_live_campaigns_it_was_shown() -> None:
    reconciler = CampaignReconciler(Kube(NoApi()), OperatorSettings(resync_seconds=0.01))  # type: ignore[arg-type]
    reconciler.track("research", "live", True)
    reconciler.track("research", "ended", True)
    reconciler.track("research", "ended", False)
    stop = threading.Event()
    thread = threading.Thread(
        target=_resync_loop, args=(kopf.Memo(reconciler=reconciler), stop), daemon=True
    )
    thread.start()
    try:
        assert reconciler.queue.get() == ("research", "live")
        reconciler.queue.done(("research", "live"))
        assert reconciler.queue.get() == ("research", "live")  # again, the next round
    finally:
        stop.set()
        thread.join(timeout=10)
    assert ("research", "ended") not in reconciler.live_campaigns()
