"""Implementations of `kintern.core.backend.CampaignBackend` for the agent.

`memory.MemoryBackend` keeps everything in process and scripts run outcomes (tests, and
local mode's building block); `kubernetes.KubernetesBackend` speaks to the cluster with
the agent's ServiceAccount.
"""
