"""The console's sign-in throttle (console/throttle.py) with a fake clock."""

from __future__ import annotations

from jobforge.console.throttle import LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_limit_applies_per_address_and_key_and_slides() -> None:
    clock = Clock()
    throttle = LoginThrottle(limit=3, window=60.0, clock=clock)
    for _ in range(3):
        assert throttle.retry_after("10.0.0.1", "AKID") == 0
        throttle.failed("10.0.0.1", "AKID")
        clock.now += 10
    assert throttle.retry_after("10.0.0.1", "AKID") == 30  # the first failure leaves at 1060
    assert throttle.retry_after("10.0.0.2", "AKID") == 0  # another address
    assert throttle.retry_after("10.0.0.1", "AKIDOTHER") == 0  # another key
    clock.now = 1060.0
    assert throttle.retry_after("10.0.0.1", "AKID") == 0


def test_a_success_forgets_the_failures() -> None:
    throttle = LoginThrottle(limit=2, window=60.0, clock=Clock())
    throttle.failed("a", "k")
    throttle.succeeded("a", "k")
    throttle.failed("a", "k")
    assert throttle.retry_after("a", "k") == 0


def test_memory_is_bounded() -> None:
    clock = Clock()
    throttle = LoginThrottle(limit=2, window=60.0, clock=clock, max_pairs=100)
    for i in range(1000):
        throttle.failed(f"10.0.{i // 256}.{i % 256}", "k")
    assert len(throttle._failures) <= 100
    clock.now += 61
    throttle.failed("new", "k")
    assert len(throttle._failures) == 1  # expired pairs were dropped first
