"""Retries with backoff around any provider: rate limits and transient errors wait and retry.

Waits follow ml-intern's schedule (5, 15, 30 s) unless the provider says how long
(Retry-After). Permanent errors (bad key, bad request) are raised at once.
"""

import logging
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from smolagents import Tool

from kintern_agent.messages import Message, Reply
from kintern_agent.providers.base import ChatModel, ModelError

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_WAITS: tuple[float, ...] = (5.0, 15.0, 30.0)
MAX_RETRY_AFTER_SECONDS = 120.0


class RetryingModel:
    """Wraps a ChatModel; `waits` are the pauses before each retry."""

    def __init__(
        self,
        inner: ChatModel,
        waits: Sequence[float] = DEFAULT_WAITS,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.inner = inner
        self.model_id = inner.model_id
        self.waits = tuple(waits)
        self.sleep = sleep

    def complete(self, messages: Sequence[Message], tools: Sequence[Tool]) -> Reply:
        return self._with_retries(lambda: self.inner.complete(messages, tools))

    def count_tokens(self, messages: Sequence[Message], tools: Sequence[Tool]) -> int:
        return self._with_retries(lambda: self.inner.count_tokens(messages, tools))

    def _with_retries(self, call: Callable[[], T]) -> T:
        for attempt, wait in enumerate(self.waits, start=1):
            try:
                return call()
            except ModelError as e:
                if not e.transient:
                    raise
                pause = min(e.retry_after or wait, MAX_RETRY_AFTER_SECONDS)
                log.warning("model call failed (%s); retry %d in %.0fs", e, attempt, pause)
                self.sleep(pause)
        return call()
