"""Tasks used by the background-work tests (imported by path, as the worker does)."""

from __future__ import annotations

from medoffice.core.tasks import retrying_task

calls: dict[str, int] = {"always_fails": 0, "fails_once": 0, "adds": 0}


@retrying_task(max_attempts=3, backoff_seconds=0)
def always_fails(*, reason: str) -> None:
    calls["always_fails"] += 1
    raise RuntimeError(f"the gateway said no: {reason}")


@retrying_task(max_attempts=3, backoff_seconds=0)
def fails_once() -> str:
    calls["fails_once"] += 1
    if calls["fails_once"] == 1:
        raise ConnectionError("connection reset")
    return "delivered"


@retrying_task(max_attempts=2, backoff_seconds=3600)
def slow_retry() -> None:
    raise RuntimeError("down for maintenance")


@retrying_task(max_attempts=1)
def adds(a: int, b: int) -> int:
    calls["adds"] += 1
    return a + b
