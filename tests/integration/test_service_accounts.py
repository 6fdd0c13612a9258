"""The fixture's ServiceAccount credentials are real: RBAC decides what they may do."""

import pytest
from kubernetes import client

from tests.support.cluster import Cluster
from tests.support.wait import eventually

pytestmark = pytest.mark.cluster


def _grant_view(cluster: Cluster, namespace: str, account: str) -> None:
    binding = client.V1RoleBinding(
        metadata=client.V1ObjectMeta(name=f"{account}-view"),
        role_ref=client.V1RoleRef(
            api_group="rbac.authorization.k8s.io", kind="ClusterRole", name="view"
        ),
        subjects=[client.RbacV1Subject(kind="ServiceAccount", name=account, namespace=namespace)],
    )
    client.RbacAuthorizationV1Api(cluster.api).create_namespaced_role_binding(namespace, binding)


def _create_account(cluster: Cluster, namespace: str, name: str) -> None:
    account = client.V1ServiceAccount(metadata=client.V1ObjectMeta(name=name))
    client.CoreV1Api(cluster.api).create_namespaced_service_account(namespace, account)


def _can_list_pods(api: client.CoreV1Api, namespace: str) -> bool:
    """Whether listing is allowed yet (the authorizer's cache lags a new binding briefly)."""
    try:
        api.list_namespaced_pod(namespace)
    except client.ApiException as err:
        if err.status != 403:
            raise
        return False
    return True


def test_service_account_client_is_bound_by_rbac(cluster: Cluster, namespace: str) -> None:
    _create_account(cluster, namespace, "reader")
    as_reader = client.CoreV1Api(cluster.service_account_client(namespace, "reader"))
    with pytest.raises(client.ApiException) as denied:
        as_reader.list_namespaced_pod(namespace)
    assert denied.value.status == 403
    assert f"system:serviceaccount:{namespace}:reader" in denied.value.body

    _grant_view(cluster, namespace, "reader")
    eventually(lambda: _can_list_pods(as_reader, namespace), "the RoleBinding to take effect")
    with pytest.raises(client.ApiException) as still_denied:
        as_reader.delete_collection_namespaced_pod(namespace)
    assert still_denied.value.status == 403


def test_service_account_kubeconfig_works_with_kubectl(cluster: Cluster, namespace: str) -> None:
    _create_account(cluster, namespace, "auditor")
    kubeconfig = cluster.service_account_kubeconfig(namespace, "auditor")
    whoami = cluster.kubectl(
        "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}", kubeconfig=kubeconfig
    )
    assert whoami.stdout == f"system:serviceaccount:{namespace}:auditor"
    can = cluster.kubectl(
        "auth", "can-i", "create", "jobs", "-n", namespace, kubeconfig=kubeconfig, check=False
    )
    assert can.stdout.strip() == "no"
