"""Retries and backoff of model calls: which failures are retried, how long it waits, tokens."""

from __future__ import annotations

import httpx
import openai
import pytest
from pydantic import BaseModel

from langgraph_gates.llm._retry import RetryPolicy, call_structured, classify
from langgraph_gates.llm.testing import (
    MALFORMED,
    ScriptedChatModel,
    StatusError,
    rate_limited,
    server_error,
    timed_out,
)

_REQUEST = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")


def _status(cls: type[openai.APIStatusError], code: int) -> openai.APIStatusError:
    response = httpx.Response(code, request=_REQUEST, headers={"retry-after": "7"})
    return cls("error", response=response, body=None)


class Answer(BaseModel):
    """A tiny schema."""

    text: str


def _responder(schema: type[BaseModel], messages: object) -> dict[str, str]:
    return {"text": "hello"}


@pytest.mark.parametrize(
    ("exc", "reason", "retryable"),
    [
        (_status(openai.RateLimitError, 429), "rate limited (429)", True),
        (_status(openai.InternalServerError, 500), "server error (500)", True),
        (_status(openai.InternalServerError, 503), "server error (503)", True),
        (openai.APITimeoutError(request=_REQUEST), "timed out", True),
        (openai.APIConnectionError(request=_REQUEST), "connection failed", True),
        (_status(openai.AuthenticationError, 401), "refused (401)", False),
        (_status(openai.BadRequestError, 400), "refused (400)", False),
        (StatusError(408), "server error (408)", True),
        (TimeoutError("slow"), "timed out", True),
        (ValueError("Invalid JSON"), "output did not parse", True),
        (KeyError("bug"), "unexpected error (KeyError)", False),
    ],
)
def test_classify(exc: BaseException, reason: str, retryable: bool) -> None:
    assert classify(exc) == (reason, retryable)


def test_backoff_doubles_up_to_the_cap() -> None:
    policy = RetryPolicy(max_retries=5, backoff_s=0.5, backoff_max_s=3.0, jitter=0)
    assert [policy.delay(n) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_retry_after_is_honoured_but_capped() -> None:
    policy = RetryPolicy(backoff_s=0.5, backoff_max_s=3.0, jitter=0)
    assert policy.delay(0, retry_after=2.0) == 2.0
    assert policy.delay(0, retry_after=60.0) == 3.0
    assert policy.delay(2, retry_after=0.1) == 2.0  # never shorter than the backoff


def test_jitter_stays_within_its_fraction() -> None:
    policy = RetryPolicy(backoff_s=1.0, backoff_max_s=10.0, jitter=0.25)
    delays = [policy.delay(1) for _ in range(200)]
    assert all(2.0 <= d <= 2.5 for d in delays)
    assert len(set(delays)) > 1


def _run(model: ScriptedChatModel, policy: RetryPolicy) -> tuple[object, list[float]]:
    sleeps: list[float] = []
    runnable = model.with_structured_output(Answer, include_raw=True)
    result = call_structured(runnable, [], policy=policy, sleep=sleeps.append)
    return result, sleeps


def test_transient_failures_are_retried_until_an_answer() -> None:
    model = ScriptedChatModel(responder=_responder)
    model.queue(rate_limited(), server_error(), timed_out(), MALFORMED)
    policy = RetryPolicy(max_retries=4, backoff_s=0.01, backoff_max_s=1.0, jitter=0)
    result, sleeps = _run(model, policy)
    assert isinstance(result.value, Answer) and result.value.text == "hello"
    assert result.attempts == 5 == len(model.calls)
    assert result.failures == [
        "rate limited (429)",
        "server error (500)",
        "timed out",
        "output did not parse",
    ]
    assert sleeps == [0.01, 0.02, 0.04, 0.08]
    # The unparseable answer cost tokens too; exceptions cost none.
    answered = [c for c in model.calls if c.fault in (None, MALFORMED)]
    assert result.usage.input_tokens == sum(c.input_tokens for c in answered)
    assert result.usage.output_tokens == sum(c.output_tokens for c in answered)


def test_gives_up_after_the_last_try_without_a_final_sleep() -> None:
    model = ScriptedChatModel(responder=_responder)
    model.queue(rate_limited(), rate_limited(), rate_limited(), "unused")
    result, sleeps = _run(model, RetryPolicy(max_retries=2, backoff_s=0.01, jitter=0))
    assert result.value is None
    assert result.gave_up == "rate limited (429)"
    assert result.attempts == 3
    assert len(sleeps) == 2


def test_a_refusal_is_not_retried() -> None:
    model = ScriptedChatModel(responder=_responder)
    model.queue(StatusError(401, "Incorrect API key"))
    result, sleeps = _run(model, RetryPolicy(max_retries=3, backoff_s=0.01))
    assert result.value is None
    assert result.gave_up == "refused (401)"
    assert result.attempts == 1 and sleeps == []


def test_zero_retries_means_one_try() -> None:
    model = ScriptedChatModel(responder=_responder)
    model.queue(server_error())
    result, sleeps = _run(model, RetryPolicy(max_retries=0))
    assert result.value is None and result.attempts == 1 and sleeps == []
