"""Names and labels shared by everything that reads or writes Kintern's objects.

The operator creates objects under these names and the agent finds them by the same
rules, so both import them from here. Names longer than a label value (63 characters)
become a prefix plus a short hash of the whole, so they stay unique.
"""

import hashlib

CAMPAIGN_LABEL = "kintern.dev/campaign"
RUN_LABEL = "kintern.dev/run"
AGENT_SA_PREFIX = "kintern-agent-"
MAX_LABEL_VALUE = 63


def fit_name(name: str, limit: int = MAX_LABEL_VALUE) -> str:
    """`name` if it fits a label value, else a prefix plus a short hash of the whole."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: limit - 9].rstrip('-.')}-{digest}"


def agent_service_account(campaign: str) -> str:
    """The agent's identity; the admission policy recognises agents by this prefix."""
    return fit_name(f"{AGENT_SA_PREFIX}{campaign}")


def agent_state_config_map(campaign: str) -> str:
    """Where the agent keeps its memory; the operator creates it, the agent writes it."""
    return fit_name(f"{campaign}-agent-state")
