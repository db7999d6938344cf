"""One structured call to a chat model, retried with bounded exponential backoff.

Retried: rate limits (429), server errors (5xx, 408, 409), timeouts, dropped connections and
output that does not parse into the schema. Not retried: anything else the provider refuses
(bad key, unknown model, bad request), which another try would not fix. The caller gets a
:class:`CallResult` in every case; nothing here raises.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.runnables import Runnable, RunnableConfig
from pydantic import BaseModel

from langgraph_gates.state import TokenUsage

__all__ = [
    "CIRCUIT_OPEN",
    "CONNECTION_FAILED",
    "CallResult",
    "CircuitBreaker",
    "RetryPolicy",
    "call_structured",
    "classify",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a call is retried.

    Attributes:
        max_retries: tries after the first one (0: a single try).
        backoff_s: the wait before the first retry; it doubles on each retry.
        backoff_max_s: the longest wait, also the cap of a server's ``Retry-After``.
        jitter: up to this fraction is added at random, so concurrent reviews spread out.
    """

    max_retries: int = 3
    backoff_s: float = 1.0
    backoff_max_s: float = 30.0
    jitter: float = 0.25

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (0-based)."""
        wait = min(self.backoff_max_s, self.backoff_s * (2**retry))
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.backoff_max_s))
        return wait * (1 + self.jitter * random.random())


CONNECTION_FAILED = "connection failed"
CIRCUIT_OPEN = "endpoint unreachable (2 connection failures in a row)"


class CircuitBreaker:
    """Stops calling an endpoint that refuses connections, instead of retrying every call.

    After ``threshold`` connection failures in a row (across calls), the circuit opens: calls
    give up at once, without a request, for ``reset_s`` seconds; then one call may try again.
    Any answer (even an error status) closes it. Only connection failures count: a slow or
    rate-limited endpoint is up, and its own retries handle it.

    Args:
        threshold: connection failures in a row that open the circuit.
        reset_s: seconds it stays open before one more try is allowed.
        clock: monotonic seconds (tests pass their own).
    """

    def __init__(
        self,
        threshold: int = 2,
        reset_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = threshold
        self.reset_s = reset_s
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        """Whether calls should give up without trying."""
        with self._lock:
            if self._opened_at is None:
                return False
            if self._clock() - self._opened_at >= self.reset_s:
                self._opened_at = None  # half-open: the next try decides
                self._failures = self.threshold - 1
                return False
            return True

    def record(self, reason: str | None) -> None:
        """Count a try: ``reason`` is why it failed (``None``: the endpoint answered)."""
        with self._lock:
            if reason != CONNECTION_FAILED:
                self._failures, self._opened_at = 0, None
                return
            self._failures += 1
            if self._failures >= self.threshold and self._opened_at is None:
                self._opened_at = self._clock()


@dataclass
class CallResult:
    """What a structured call produced.

    Attributes:
        value: the parsed output, or ``None`` when every try failed.
        usage: tokens of every try that got an answer (failed parses cost tokens too).
        failures: why each failed try failed (e.g. ``rate limited (429)``), in order.
        gave_up: why the call stopped without a value (``None`` on success).
    """

    value: BaseModel | None = None
    usage: TokenUsage = field(default_factory=TokenUsage)
    failures: list[str] = field(default_factory=list)
    gave_up: str | None = None

    @property
    def attempts(self) -> int:
        """How many requests were made."""
        return self.usage.calls


def _status_code(exc: BaseException) -> int | None:
    """The HTTP error status behind an exception, if any.

    langchain-openai attaches the HTTP response to any error raised while reading it, so a
    parse error can carry a 200 response: only error statuses count.
    """
    code = getattr(exc, "status_code", None)
    if code is None:
        code = getattr(getattr(exc, "response", None), "status_code", None)
    return code if isinstance(code, int) and code >= 400 else None


def _names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def classify(exc: BaseException) -> tuple[str, bool]:
    """Describe a failed try and say whether another try may succeed.

    Works across providers by looking at HTTP status codes and exception class names rather
    than importing every provider's SDK.

    Returns:
        ``(reason, retryable)``, e.g. ``("rate limited (429)", True)``.
    """
    names = _names(exc)
    code = _status_code(exc)
    if code == 429:
        return "rate limited (429)", True
    if code is not None and (code >= 500 or code in (408, 409)):
        return f"server error ({code})", True
    if isinstance(exc, TimeoutError) or any("Timeout" in n for n in names):
        return "timed out", True
    if isinstance(exc, ConnectionError) or names & {"APIConnectionError", "TransportError"}:
        return CONNECTION_FAILED, True
    if code is not None:
        return f"refused ({code})", False
    if isinstance(exc, ValueError):
        # OutputParserException, pydantic's ValidationError, JSONDecodeError and the plain
        # ValueErrors of structured-output parsers all mean an unreadable answer.
        return "output did not parse", True
    return f"unexpected error ({type(exc).__name__})", False


def _retry_after(exc: BaseException) -> float | None:
    headers = getattr(getattr(exc, "response", None), "headers", None)
    if not headers:
        return None
    try:
        return float(headers.get("retry-after"))
    except (TypeError, ValueError):
        return None


def _usage(raw: Any) -> TokenUsage:
    meta = getattr(raw, "usage_metadata", None) if isinstance(raw, AIMessage) else None
    if not meta:
        return TokenUsage(calls=1)
    return TokenUsage(
        input_tokens=int(meta.get("input_tokens") or 0),
        output_tokens=int(meta.get("output_tokens") or 0),
        calls=1,
    )


def call_structured(
    runnable: Runnable[Any, Any],
    messages: Sequence[BaseMessage],
    *,
    policy: RetryPolicy,
    config: RunnableConfig | None = None,
    sleep: Callable[[float], None] = time.sleep,
    breaker: CircuitBreaker | None = None,
) -> CallResult:
    """Invoke a ``with_structured_output(schema, include_raw=True)`` runnable with retries.

    Args:
        runnable: the structured-output runnable (returns ``raw``, ``parsed``,
            ``parsing_error``).
        messages: the prompt.
        policy: retries and backoff.
        config: run name, tags and metadata for tracing.
        sleep: how to wait (tests pass a recorder).
        breaker: shared by the calls of a narrator; when open, the call gives up untried.

    Returns:
        The parsed value with the tokens of every try, or the reasons it failed.
    """
    result = CallResult()
    for attempt in range(policy.max_retries + 1):
        if breaker is not None and breaker.is_open:
            result.gave_up = CIRCUIT_OPEN
            log.info("model call skipped: %s", CIRCUIT_OPEN)  # each gate notes it
            return result
        retry_after: float | None = None
        try:
            out = runnable.invoke(list(messages), config=config)
        except Exception as exc:  # every failure becomes a reason; the review goes on
            reason, retryable = classify(exc)
            result.usage += TokenUsage(calls=1)
            retry_after = _retry_after(exc)
            if breaker is not None:
                breaker.record(reason)
            log.info("model call failed (%s, try %d): %s", reason, attempt + 1, type(exc).__name__)
        else:
            if breaker is not None:
                breaker.record(None)
            result.usage += _usage(out.get("raw") if isinstance(out, dict) else None)
            parsed = out.get("parsed") if isinstance(out, dict) else out
            if isinstance(parsed, BaseModel) and not (
                isinstance(out, dict) and out.get("parsing_error")
            ):
                result.value = parsed
                return result
            reason, retryable = "output did not parse", True
            log.info("model output did not parse (try %d)", attempt + 1)
        result.failures.append(reason)
        if not retryable:
            result.gave_up = reason
            log.warning("model call failed and is not retried: %s", reason)
            return result
        if breaker is not None and breaker.is_open:
            result.gave_up = CIRCUIT_OPEN
            return result
        if attempt < policy.max_retries:
            sleep(policy.delay(attempt, retry_after))
    result.gave_up = result.failures[-1] if result.failures else "no answer"
    log.warning("model call gave up after %d tries: %s", result.attempts, result.gave_up)
    return result
