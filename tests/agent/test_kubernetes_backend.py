"""The Kubernetes backend's pure parts: the status patch, the state encoding, the names
it shares with the operator, and how the apiserver's refusals read."""

import json

from kubernetes.client.exceptions import ApiException

from kintern.api.campaign import CampaignStatus
from kintern_agent.backends.kubernetes import (
    backend_error,
    decode_state,
    encode_state,
    progress_patch,
)


def test_the_progress_patch_holds_only_agent_fields_with_the_api_names():
    patch = progress_patch(12, 34567, 1.2345678, "Best run demo-r004 at 0.31.", True)
    assert patch == {
        "status": {
            "usage": {"agentIterations": 12, "agentTokens": 34567, "agentCostUsd": 1.234568},
            "agentDone": True,
            "agentSummary": "Best run demo-r004 at 0.31.",
        }
    }
    status = CampaignStatus.model_validate(patch["status"])
    assert (status.usage.agent_tokens, status.agent_done) == (34567, True)
    assert "agentSummary" not in progress_patch(1, 2, 0.0, None, False)["status"]


def test_state_is_compressed_to_fit_a_config_map_and_reads_back():
    state = json.dumps(
        {"messages": [{"role": "tool", "text": "x" * 200 + str(i)} for i in range(3000)]}
    )
    encoded = encode_state(state)
    assert encoded.startswith("gzip+base64:") and len(encoded) < len(state) / 10
    assert decode_state(encoded) == state
    assert decode_state('{"plain": true}') == '{"plain": true}'


def test_refusals_read_as_sentences():
    body = json.dumps(
        {
            "kind": "Status",
            "message": "trainingruns.kintern.dev is forbidden: User "
            '"system:serviceaccount:ns:kintern-agent-demo" cannot delete resource',
        }
    )
    error = backend_error("delete run demo-r001", ApiException(status=403, reason="Forbidden"))
    assert str(error) == "could not delete run demo-r001 (forbidden): Forbidden"
    refused = ApiException(status=403, reason="Forbidden")
    refused.body = body
    assert "(forbidden): trainingruns.kintern.dev is forbidden" in str(backend_error("x", refused))
    invalid = ApiException(status=422, reason="Unprocessable Entity")
    invalid.body = json.dumps(
        {"message": "spec.script: Required value: a custom run needs spec.script"}
    )
    assert "(invalid): spec.script: Required value" in str(backend_error("create run r", invalid))
