"""Names and labels shared by everything that reads or writes Kintern's objects.

The operator creates objects under these names and the agent finds them by the same
rules, so both import them from here. Names longer than a label value (63 characters)
become a prefix plus a short hash of the whole, so they stay unique.
"""

import hashlib
import re

CAMPAIGN_LABEL = "kintern.dev/campaign"
RUN_LABEL = "kintern.dev/run"
# Kueue's labels on a Job: the LocalQueue it waits in, and its WorkloadPriorityClass.
KUEUE_QUEUE_LABEL = "kueue.x-k8s.io/queue-name"
KUEUE_PRIORITY_LABEL = "kueue.x-k8s.io/priority-class"
AGENT_SA_PREFIX = "kintern-agent-"
MAX_LABEL_VALUE = 63
# A name made from a goal stays short, leaving room for run suffixes (`-r001`, `-final`).
MAX_CAMPAIGN_NAME = 40
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


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


def campaign_name_from_goal(goal: str) -> str:
    """A campaign name made from its goal's first words: lower-case letters and digits
    joined by dashes, at most MAX_CAMPAIGN_NAME characters ("campaign" when none)."""
    words = re.findall(r"[a-z0-9]+", goal.lower())
    name = ""
    for word in words:
        longer = f"{name}-{word}" if name else word
        if len(longer) > MAX_CAMPAIGN_NAME:
            break
        name = longer
    return name or (words[0][:MAX_CAMPAIGN_NAME] if words else "campaign")


def campaign_name_problem(name: str) -> str | None:
    """Why `name` cannot name a campaign (it must be a DNS label, as Kubernetes names
    are), or None when it can."""
    if len(name) > MAX_LABEL_VALUE or not DNS_LABEL.match(name):
        return (
            f"{name!r} is not a valid campaign name: use at most {MAX_LABEL_VALUE} lower-case "
            "letters, digits and '-', starting and ending with a letter or digit"
        )
    return None
