"""`kintern run` refuses bad campaign files with the same field-level errors as the
apiserver: both are checked against one table (tests/integration/test_crds.py)."""

import pytest

from kintern.local.validate import SpecError, load_campaign, parse_campaign
from tests.integration.test_crds import BAD, EXAMPLE, Bad

CAMPAIGN_CASES = {k: v for k, v in BAD.items() if v.manifest == "campaign"}


@pytest.mark.parametrize("case", list(CAMPAIGN_CASES.values()), ids=list(CAMPAIGN_CASES))
def test_local_validation_names_the_field_like_the_apiserver(case: Bad) -> None:
    with pytest.raises(SpecError) as refused:
        parse_campaign(case.document(), "campaign.yaml")
    message = str(refused.value).replace("greater than or equal to ", ">= ")
    for expected in case.expect:
        assert expected in message, message


def test_a_valid_file_parses(tmp_path) -> None:
    campaign = load_campaign(EXAMPLE)
    assert campaign.spec.budget.gpu_hours == 10


def test_unreadable_files_say_why(tmp_path) -> None:
    bad = tmp_path / "c.yaml"
    bad.write_text("spec: [unclosed")
    with pytest.raises(SpecError, match="not valid YAML"):
        load_campaign(bad)
    with pytest.raises(SpecError, match="no such file"):
        load_campaign(tmp_path / "missing.yaml")
