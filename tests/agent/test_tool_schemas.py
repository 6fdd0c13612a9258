"""Every tool's schema, as the providers receive it, is plain JSON Schema (draft 2020-12):
valid against the meta-schema, with no keyword outside the standard vocabularies (such
as OpenAPI's `nullable`), and it accepts and refuses what the tool does."""

from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator, ValidationError

from kintern_agent.providers.anthropic_api import AnthropicModel
from kintern_agent.providers.openai_api import OpenAICompatibleModel
from tests.agent.helpers import a_campaign, make_agent
from tests.agent.test_mcp import SERVER
from tests.agent.test_providers import ANTHROPIC_REPLY, CONVERSATION, OPENAI_REPLY

# The keywords of draft 2020-12's vocabularies (core, applicator, validation, unevaluated,
# meta-data, format-annotation, content): what a provider's JSON Schema validator knows.
STANDARD_KEYWORDS = set(Draft202012Validator.VALIDATORS) | {
    "$schema", "$id", "$anchor", "$dynamicAnchor", "$vocabulary", "$comment", "$defs",
    "title", "description", "default", "deprecated", "readOnly", "writeOnly", "examples",
    "contentEncoding", "contentMediaType", "contentSchema",
}  # fmt: skip
SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")
SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
SUBSCHEMAS = ("items", "additionalProperties", "not", "contains", "if", "then", "else")


@pytest.fixture
def all_tools(tmp_path, web) -> Iterator[list[Any]]:
    """Every tool the agent offers, an MCP server's included."""
    campaign = a_campaign(agent={"model": "scripted/none.yaml", "mcpServers": [SERVER]})
    agent, _, _ = make_agent(tmp_path, [], web=web, campaign=campaign)
    try:
        assert "leaderboard" in agent.by_name
        yield agent.tools
    finally:
        agent.close()


def sent_to_anthropic(web, tools: list[Any]) -> dict[str, dict[str, Any]]:
    web.json("/v1/messages", ANTHROPIC_REPLY)
    AnthropicModel("claude-opus-4-6", api_key="sk-ant-test", base_url=web.url).complete(
        CONVERSATION, tools
    )
    return {t["name"]: t["input_schema"] for t in web.hits("/v1/messages")[-1].body["tools"]}


def sent_to_openai(web, tools: list[Any]) -> dict[str, dict[str, Any]]:
    web.json("/v1/chat/completions", OPENAI_REPLY)
    model = OpenAICompatibleModel("gpt-5", "sk-test", base_url=web.url + "/v1")
    model.complete(CONVERSATION, tools)
    sent = web.hits("/v1/chat/completions")[-1].body["tools"]
    return {t["function"]["name"]: t["function"]["parameters"] for t in sent}


def keywords(schema: dict[str, Any], where: str = "") -> Iterator[tuple[str, str]]:
    """(path, keyword) for every keyword of `schema` and of its subschemas."""
    for key, value in schema.items():
        yield where, key
        if key in SUBSCHEMA_MAPS and isinstance(value, dict):
            for name, sub in value.items():
                yield from keywords(sub, f"{where}/{key}/{name}")
        elif key in SUBSCHEMA_LISTS:
            for i, sub in enumerate(value):
                yield from keywords(sub, f"{where}/{key}/{i}")
        elif key in SUBSCHEMAS and isinstance(value, dict):
            yield from keywords(value, f"{where}/{key}")


@pytest.mark.parametrize("provider", [sent_to_anthropic, sent_to_openai])
def test_every_tool_schema_is_plain_json_schema(provider, all_tools, web):
    schemas = provider(web, all_tools)

    assert set(schemas) == {t.name for t in all_tools}
    for name, schema in schemas.items():
        Draft202012Validator.check_schema(schema)  # raises, naming the bad part
        unknown = [f"{path}/{k}" for path, k in keywords(schema) if k not in STANDARD_KEYWORDS]
        assert not unknown, f"{name}: keywords outside JSON Schema 2020-12: {unknown}"


def test_optional_inputs_take_null_and_required_ones_are_required(all_tools, web):
    schemas = sent_to_anthropic(web, all_tools)
    run = Draft202012Validator(schemas["create_training_run"])
    run.validate({"recipe": "eval", "rationale": "Baseline.", "model": None, "gpus": None})
    run.validate({"recipe": "sft", "rationale": "r", "datasets": [{"name": "a.jsonl"}]})
    with pytest.raises(ValidationError, match="'rationale' is a required property"):
        run.validate({"recipe": "eval"})
    with pytest.raises(ValidationError, match="'rlhf' is not one of"):
        run.validate({"recipe": "rlhf", "rationale": "r"})
    with pytest.raises(ValidationError, match="is not of type 'integer', 'null'"):
        run.validate({"recipe": "eval", "rationale": "r", "gpus": "two"})
    board = Draft202012Validator(schemas["leaderboard"])
    board.validate({"benchmark": "gpqa-main", "top": None})
    with pytest.raises(ValidationError, match="'benchmark' is a required property"):
        board.validate({"top": 3})
