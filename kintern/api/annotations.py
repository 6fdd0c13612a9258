"""Annotations that are part of the API: how people approve and reject runs."""

APPROVE_ANNOTATION = "kintern.dev/approve"
REJECT_ANNOTATION = "kintern.dev/reject"
# Written by the apiserver (MutatingAdmissionPolicy kintern-record-approver), never by hand.
APPROVED_BY_ANNOTATION = "kintern.dev/approved-by"
