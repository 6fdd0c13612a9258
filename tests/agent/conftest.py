"""Fixtures of the agent tests: a local web that answers like HF, arXiv and GitHub."""

from collections.abc import Iterator

import pytest

from tests.agent.fake_web import FakeWeb
from tests.agent.helpers import serve_research


@pytest.fixture
def web() -> Iterator[FakeWeb]:
    server = FakeWeb()
    serve_research(server)
    yield server
    server.close()
