"""Estimated model cost in USD from token usage, by model name.

Prices are USD per million tokens (input, output, cache read, cache write) as the
providers list them; a model that is not listed costs 0 and is reported as unpriced.
KINTERN_AGENT_PRICE="input,output" overrides the table (for gateways and local servers).
"""

import os
from dataclasses import dataclass

from kintern_agent.messages import Usage

PRICE_ENV = "KINTERN_AGENT_PRICE"


@dataclass(frozen=True)
class Price:
    input: float
    output: float
    cache_read: float
    cache_write: float


def _anthropic(input_: float, output: float) -> Price:
    return Price(input_, output, input_ * 0.1, input_ * 1.25)


def _openai(input_: float, output: float) -> Price:
    return Price(input_, output, input_ * 0.1, input_)


# Longest matching prefix of the model id wins.
PRICES: dict[str, Price] = {
    "claude-opus-4-5": _anthropic(5, 25),
    "claude-opus-4-6": _anthropic(5, 25),
    "claude-opus-4": _anthropic(15, 75),
    "claude-sonnet-4": _anthropic(3, 15),
    "claude-haiku-4": _anthropic(1, 5),
    "gpt-5-mini": _openai(0.25, 2),
    "gpt-5-nano": _openai(0.05, 0.4),
    "gpt-5": _openai(1.25, 10),
    "gpt-4.1": _openai(2, 8),
}


def price_of(model_id: str) -> Price | None:
    override = os.environ.get(PRICE_ENV)
    if override:
        input_, output = (float(x) for x in override.split(","))
        return Price(input_, output, input_, input_)
    matches = [k for k in PRICES if model_id.startswith(k)]
    return PRICES[max(matches, key=len)] if matches else None


def cost_usd(model_id: str, usage: Usage) -> float:
    """What `usage` cost with `model_id` (0 when the model is not priced)."""
    price = price_of(model_id)
    if price is None:
        return 0.0
    uncached = usage.input_tokens - usage.cache_read_tokens - usage.cache_write_tokens
    total = (
        uncached * price.input
        + usage.cache_read_tokens * price.cache_read
        + usage.cache_write_tokens * price.cache_write
        + usage.output_tokens * price.output
    )
    return total / 1_000_000
