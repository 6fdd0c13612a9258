"""A run that starts from another run's checkpoint (`spec.model: run:NAME`) needs the
campaign's runs to share a volume on a cluster; without one it fails with a reason that
says what to set, before any Job exists."""

import pytest

from kintern.api.conditions import Reason
from kintern.core.requests import CheckpointsNotShared, UnresolvedModel, build_request
from tests.support.builders import campaign, run


def _eval_of(source: str):
    r = run("demo-r002")
    return r.model_copy(update={"spec": r.spec.model_copy(update={"model": f"run:{source}"})})


def test_a_run_reference_resolves_to_the_checkpoint_when_volumes_are_shared():
    request = build_request(_eval_of("demo-r001"), campaign(), "/out", {"demo-r001": "/ck/r1"})
    assert request.base_model == "/ck/r1"


def test_without_a_shared_volume_a_run_reference_fails_with_its_own_reason():
    with pytest.raises(CheckpointsNotShared) as caught:
        build_request(
            _eval_of("demo-r001"),
            campaign(),
            "/out",
            {"demo-r001": "/ck/r1"},
            shared_checkpoints=False,
        )
    assert caught.value.reason == Reason.CHECKPOINTS_NOT_SHARED
    assert "spec.compute.checkpointVolumeClaim" in str(caught.value)


def test_a_base_model_needs_no_shared_volume():
    request = build_request(run("demo-r001"), campaign(), "/out", {}, shared_checkpoints=False)
    assert request.base_model == campaign().spec.base_model


def test_a_reference_to_a_run_without_checkpoint_is_an_invalid_spec():
    with pytest.raises(UnresolvedModel) as caught:
        build_request(_eval_of("nope"), campaign(), "/out", {})
    assert caught.value.reason == Reason.INVALID_SPEC
