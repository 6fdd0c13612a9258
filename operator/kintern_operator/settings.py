"""Operator settings, from environment variables (the Helm chart sets them)."""

from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict

from kintern.images import image


class OperatorSettings(BaseSettings):
    """Where images come from and how the operator runs; env prefix KINTERN_."""

    model_config = SettingsConfigDict(env_prefix="KINTERN_")

    trainer_image: str = image("trainer")
    agent_image: str = image("agent")
    agent_cpu: str = "500m"
    agent_memory: str = "1Gi"
    agent_backoff_limit: int = 3
    resync_seconds: float = 30.0
    reconcile_workers: int = 8  # campaigns reconciled at once
    metrics_port: int = 8080
    leader_election: bool = True
    leader_lease_name: str = "kintern-operator"
    leader_lease_namespace: str = "default"
    leader_lease_seconds: int = 15
    # Every API call gives up after these (the kubernetes client's default is never).
    api_connect_timeout_seconds: float = 5.0
    api_read_timeout_seconds: float = 30.0
    # The GPU node pool of campaigns whose spec.compute names none (JSON in the env).
    default_node_selector: dict[str, str] = {}
    default_tolerations: list[dict[str, Any]] = []
