"""The research tools against a local server that answers like HF, arXiv, S2 and GitHub,
and every expected HTTP failure coming back as a readable error, through the real loop."""

import pytest

from kintern_agent.agent import FINISHED
from kintern_agent.providers.scripted import call
from kintern_agent.tools import ToolError
from kintern_agent.tools.github_code import SearchGithubCode
from kintern_agent.tools.github_file import ReadGithubFile
from kintern_agent.tools.inspect_dataset import InspectDataset
from kintern_agent.tools.model_card import ModelCard
from kintern_agent.tools.paper_links import PaperLinks
from kintern_agent.tools.read_paper import ReadPaper
from kintern_agent.tools.search_datasets import SearchDatasets
from kintern_agent.tools.search_docs import SearchDocs
from kintern_agent.tools.search_models import SearchModels
from kintern_agent.tools.search_papers import SearchPapers
from tests.agent.fake_web import Response, json_response
from tests.agent.helpers import make_agent, research_for


def test_search_papers_merges_hugging_face_and_arxiv(web):
    text = SearchPapers(research_for(web))(query="GRPO", limit=5)
    assert "- 2402.03300 (2024, 90 upvotes) DeepSeekMath" in text
    assert "- 1707.06209v1 (2017) Crowdsourcing Multiple Choice Science Questions" in text
    assert web.hits("/api/papers/search")[0].query == {"q": ["GRPO"], "limit": ["5"]}


def test_search_papers_reports_one_source_down_and_keeps_the_other(web):
    web.json("/api/query", {"error": "down"}, status=503)
    text = SearchPapers(research_for(web))(query="GRPO")
    assert "DeepSeekMath" in text and "(note: arXiv had a server error (503)" in text


def test_read_paper_pages_through_the_text_and_falls_back_to_the_abstract(web):
    tool = ReadPaper(research_for(web))
    assert "learning rate of the policy model is 1e-6" in tool(arxiv_id="arXiv:2402.03300v2")
    fallback = tool(arxiv_id="1707.06209")
    assert fallback.startswith("(full text unavailable: Hugging Face Hub has no /papers/1707")
    assert "SciQ, 13.7K science exam questions" in fallback
    with pytest.raises(ToolError, match="not an arXiv id"):
        tool(arxiv_id="gpqa")


def test_paper_links_follow_citations_and_linked_datasets(web):
    tool = PaperLinks(research_for(web))
    citations = tool(arxiv_id="2402.03300", kind="citations")
    assert "- DeepSeek-R1: Incentivizing" in citations and "arXiv 2501.12948" in citations
    assert "not on arXiv" in citations
    datasets = tool(arxiv_id="2402.03300", kind="datasets")
    assert "- allenai/sciq (51234 downloads)" in datasets
    assert web.hits("/api/datasets")[0].query["filter"] == ["arxiv:2402.03300"]


def test_dataset_search_and_inspection_show_schema_counts_and_rows(web):
    research = research_for(web)
    found = SearchDatasets(research)(query="science")
    assert "- Idavidrein/gpqa (40211 downloads, 150 likes, gated)" in found
    shown = InspectDataset(research)(dataset="allenai/sciq", rows=1)
    assert "- default/train: 11679" in shown and "- default/test: 1000" in shown
    assert "- correct_answer: string" in shown
    assert '"correct_answer": "mesophilic organisms"' in shown
    assert "coriolis" not in shown
    with pytest.raises(ToolError, match="split 'dev' does not exist in default"):
        InspectDataset(research)(dataset="allenai/sciq", split="dev")


def test_models_docs_and_github(web):
    research = research_for(web, {"GITHUB_TOKEN": "ghp_" + "x" * 36})
    assert "- parameters: 2031739904" in ModelCard(research)(model_id="Qwen/Qwen3-1.7B-Base")
    assert "pre-trained base model" in ModelCard(research)(model_id="Qwen/Qwen3-1.7B-Base")
    web.json("/api/models", [{"id": "Qwen/Qwen3-1.7B", "downloads": 9, "likes": 1, "tags": []}])
    assert "- Qwen/Qwen3-1.7B (9 downloads, 1 likes)" in SearchModels(research)(query="qwen3")
    docs = SearchDocs(research)(query="GRPO reward", product="trl")
    assert "## [trl] GRPO Trainer > Using a custom reward function" in docs
    code = SearchGithubCode(research)(query="GRPOTrainer reward_funcs")
    assert "- huggingface/trl: examples/scripts/grpo.py" in code and "reward_funcs" in code
    assert web.hits("/search/code")[0].headers["authorization"] == "Bearer ghp_" + "x" * 36
    web.text("/repos/huggingface/trl/contents/examples/scripts/grpo.py", "print('grpo')\n")
    assert "print('grpo')" in ReadGithubFile(research)(
        repo="huggingface/trl", path="examples/scripts/grpo.py"
    )


FAILURES = [
    pytest.param(
        json_response({"error": "Invalid credentials"}, 401),
        "refused /api/datasets (401 unauthorized): the repository may be gated",
        id="401",
    ),
    pytest.param(
        json_response({"error": "Repository not found"}, 404),
        "has no /api/datasets (404 not found)",
        id="404",
    ),
    pytest.param(
        json_response({"error": "slow down"}, 429, headers={"Retry-After": "30"}),
        "rate-limiting requests (429); retry after 30s",
        id="429",
    ),
    pytest.param(json_response({"error": "boom"}, 500), "server error (500)", id="500"),
    pytest.param(Response(200, b"[]", delay_s=1.5), "did not answer within 1s", id="timeout"),
]


@pytest.mark.parametrize(("response", "expected"), FAILURES)
def test_http_failures_reach_the_model_as_readable_errors(tmp_path, web, response, expected):
    web.route("/api/datasets", response)
    script = [call("search_datasets", query="science"), call("finish", summary="gave up")]
    agent, model, _ = make_agent(tmp_path, script, web=web)

    assert agent.run().status == FINISHED

    result = next(m for m in model.calls[-1] if m.role == "tool")
    assert result.is_error and expected in result.text


def test_github_search_without_a_token_says_what_is_missing(web):
    web.json("/search/code", {"message": "Requires authentication"}, status=401)
    with pytest.raises(ToolError, match="GITHUB_TOKEN is missing or invalid"):
        SearchGithubCode(research_for(web))(query="GRPOTrainer")
