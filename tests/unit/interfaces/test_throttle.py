"""Failed-login throttling on a fake clock."""

from __future__ import annotations

from assistant.interfaces.web.throttle import LOCKOUT, MAX_FAILURES, WINDOW, LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_few_failures_lock_the_client_out_for_a_while() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    for _ in range(MAX_FAILURES - 1):
        throttle.failed("10.0.0.1")
        assert throttle.retry_after("10.0.0.1") == 0
    throttle.failed("10.0.0.1")
    assert throttle.retry_after("10.0.0.1") == LOCKOUT
    assert throttle.retry_after("10.0.0.2") == 0  # others are not affected
    clock.now += LOCKOUT - 0.5
    assert throttle.retry_after("10.0.0.1") == 1
    clock.now += 1
    assert throttle.retry_after("10.0.0.1") == 0
    throttle.failed("10.0.0.1")  # the count started again
    assert throttle.retry_after("10.0.0.1") == 0


def test_failures_spread_beyond_the_window_do_not_lock() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock=clock)
    for _ in range(3 * MAX_FAILURES):
        throttle.failed("c")
        clock.now += WINDOW / (MAX_FAILURES - 1) + 0.1
    assert throttle.retry_after("c") == 0


def test_a_success_clears_the_count() -> None:
    throttle = LoginThrottle(clock=Clock())
    for _ in range(MAX_FAILURES - 1):
        throttle.failed("c")
    throttle.succeeded("c")
    throttle.failed("c")
    assert throttle.retry_after("c") == 0
