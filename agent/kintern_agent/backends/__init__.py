"""Implementations of `kintern.core.backend.CampaignBackend` for the agent.

`memory.MemoryBackend` keeps everything in process and scripts run outcomes (tests, and
local mode's building block); `kubernetes.KubernetesBackend` speaks to the cluster with
the agent's ServiceAccount. A backend that can also hold a custom script for a run
implements `ScriptStore`.
"""

from typing import Protocol, runtime_checkable

from kintern.api.run import CustomScript


@runtime_checkable
class ScriptStore(Protocol):
    """A backend that can keep the script of a custom run where the trainer will find it."""

    def store_script(self, run_name: str, script: str) -> CustomScript:
        """Keep `script` for `run_name`; the reference goes into the run's spec.script."""
        ...
