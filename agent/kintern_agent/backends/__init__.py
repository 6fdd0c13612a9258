"""Implementations of `kintern.core.backend.CampaignBackend` for the agent.

`kubernetes.KubernetesBackend` speaks to the cluster with the agent's ServiceAccount.
(Tests use `tests.support.memory_backend.MemoryBackend`, which scripts run outcomes.)
"""
