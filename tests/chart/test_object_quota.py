"""The chart bounds the number of Kintern objects in each campaign namespace it knows:
a ResourceQuota per namespace the operator watches, or per namespace listed for it."""

from tests.support.helm import Helm, find

RUNS, CAMPAIGNS = "count/trainingruns.kintern.dev", "count/posttrainingcampaigns.kintern.dev"


def _quotas(helm: Helm, **values: object) -> dict[str, dict[str, str]]:
    docs = find(helm.render(values=values), "ResourceQuota")
    return {q["metadata"]["namespace"]: q["spec"]["hard"] for q in docs}


def test_each_watched_namespace_gets_a_quota_on_runs_and_campaigns(helm: Helm) -> None:
    quotas = _quotas(
        helm, **{"operator.watchNamespaces": ["research", "team-b"], "objectQuota.trainingRuns": 50}
    )
    assert quotas == {
        "research": {RUNS: "50", CAMPAIGNS: "100"},
        "team-b": {RUNS: "50", CAMPAIGNS: "100"},
    }


def test_listed_namespaces_win_and_disabling_renders_none(helm: Helm) -> None:
    listed = _quotas(helm, **{"objectQuota.namespaces": ["labs"]})
    assert list(listed) == ["labs"]
    assert (
        _quotas(helm, **{"operator.watchNamespaces": ["research"], "objectQuota.enabled": False})
        == {}
    )
