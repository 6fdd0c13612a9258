"""Ask the apiserver what an identity may do (SubjectAccessReview), as RBAC decides it."""

from kubernetes import client


def allowed(
    api: client.ApiClient,
    user: str,
    verb: str,
    resource: str,
    namespace: str | None,
    group: str = "",
    subresource: str | None = None,
    name: str | None = None,
) -> bool:
    """Whether `user` (a ServiceAccount's username) may `verb` the resource."""
    attributes = client.V1ResourceAttributes(
        namespace=namespace,
        verb=verb,
        group=group,
        resource=resource,
        subresource=subresource,
        name=name,
    )
    spec = client.V1SubjectAccessReviewSpec(
        user=user,
        groups=["system:serviceaccounts", "system:authenticated"],
        resource_attributes=attributes,
    )
    review = client.AuthorizationV1Api(api).create_subject_access_review(
        client.V1SubjectAccessReview(spec=spec)
    )
    return bool(review.status.allowed)
