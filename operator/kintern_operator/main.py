"""`kintern operator`: leader election, metrics, liveness, then the kopf handlers."""

import asyncio
import logging
import os
import signal
import socket
import sys
import threading

import kopf

# The type kopf.operator's signature names; kopf's top level does not export it.
from kopf._core.engines.peering import Identity

from kintern_operator import handlers, metrics  # noqa: F401  (handlers register with kopf)
from kintern_operator.health import Liveness, serve_health
from kintern_operator.kube import Kube, bounded_api
from kintern_operator.leader import LeaderElector
from kintern_operator.reconciler import CampaignReconciler
from kintern_operator.settings import OperatorSettings

log = logging.getLogger(__name__)


def run_operator(
    namespaces: list[str],
    settings: OperatorSettings,
    liveness_port: int = 8081,
    json_logs: bool = True,
) -> int:
    """Run until stopped or until leadership is lost (exit code 1)."""
    kopf.configure(log_format=kopf.LogFormat.JSON if json_logs else kopf.LogFormat.PLAIN)
    api = bounded_api(settings.api_connect_timeout_seconds, settings.api_read_timeout_seconds)
    stop = threading.Event()
    liveness = Liveness()
    serve_health(liveness_port, liveness)
    metrics.serve(settings.metrics_port)
    for sig in (signal.SIGTERM, signal.SIGINT):  # a standby stops at once; kopf takes over later
        signal.signal(sig, lambda *_: stop.set())
    elector = None
    if settings.leader_election:
        elector = LeaderElector(
            api,
            settings.leader_lease_name,
            settings.leader_lease_namespace,
            lease_seconds=settings.leader_lease_seconds,
            renew_seconds=max(1.0, settings.leader_lease_seconds / 3),
        )
        if not elector.acquire(stop):
            return 1
        elector.keep(stop, on_lost=_exit_at_once)
    reconciler = CampaignReconciler(Kube(api), settings, liveness=liveness)
    memo = kopf.Memo(reconciler=reconciler, namespaces=namespaces)
    asyncio.run(_operate(stop, memo, namespaces))
    if elector is not None:
        elector.release()  # a successor need not wait for the Lease to expire
    return 0


def _exit_at_once() -> None:
    """Leadership is no longer proven: end the process now, with exit code 1. Stopping
    kopf gracefully would let reconciles in flight go on writing, and with an apiserver
    that hangs it may never end; the Deployment starts a fresh replica, a standby."""
    logging.shutdown()
    os._exit(1)


async def _operate(stop: threading.Event, memo: kopf.Memo, namespaces: list[str]) -> None:
    try:
        await kopf.operator(
            standalone=True,
            # kopf's default identity asks getpass.getuser(), which raises in an image
            # whose user has no passwd entry (any UID a cluster assigns); peering is off,
            # so the identity only names this process in kopf's logs.
            identity=Identity(f"{socket.gethostname()}/{os.getpid()}"),
            clusterwide=not namespaces,
            namespaces=namespaces,
            stop_flag=stop,
            memo=memo,
        )
    finally:
        # kopf waits for a threading.Event in an executor thread; asyncio.run would wait
        # for that thread forever after a signal stopped kopf unless the event is set.
        stop.set()


if __name__ == "__main__":
    sys.exit(run_operator([], OperatorSettings()))
