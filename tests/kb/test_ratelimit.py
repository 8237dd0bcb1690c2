"""Rate budgets: how they are written in settings, and the sliding window they count in."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from kb.ratelimit import Rate, RateLimiter, parse_rate
from kb.settings import Settings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("60/minute", Rate(60, 60.0)),
        ("5 per second", Rate(5, 1.0)),
        ("100/10 minutes", Rate(100, 600.0)),
        ("1000/day", Rate(1000, 86400.0)),
        (" 3/Hour ", Rate(3, 3600.0)),
        ("", None),
        ("0", None),
        ("0/minute", None),
    ],
)
def test_rates_are_written_as_count_per_period(text: str, rate: Rate | None) -> None:
    assert parse_rate(text) == rate


def test_a_bad_rate_is_refused_at_start_up_with_the_setting_named() -> None:
    with pytest.raises(ValidationError, match="rate_limit_search"):
        Settings(rate_limit_search="lots")
    with pytest.raises(ValidationError, match="rate_limit_feedback"):
        Settings(rate_limit_feedback="10/fortnight")


def test_production_defaults_limit_search_and_feedback() -> None:
    search = parse_rate(Settings.model_fields["rate_limit_search"].default)
    feedback = parse_rate(Settings.model_fields["rate_limit_feedback"].default)
    assert search is not None and search.limit >= 60  # a person never searches this fast
    assert feedback is not None and feedback.limit <= search.limit


def test_the_window_slides_and_says_how_long_to_wait() -> None:
    clock = Clock()
    limiter = RateLimiter(Rate(3, 60.0), clock)
    for _ in range(3):
        assert limiter.hit("a") == 0.0
        clock.now += 10
    assert limiter.hit("a") == pytest.approx(30.0)  # the first hit leaves the window in 30 s
    assert limiter.hit("b") == 0.0, "every client has its own budget"
    clock.now += 30
    assert limiter.hit("a") == 0.0, "the oldest hit has left the window"
    assert limiter.hit("a") == pytest.approx(10.0), "refused requests did not count"


def test_forgotten_clients_do_not_pile_up() -> None:
    import kb.ratelimit

    clock = Clock()
    limiter = RateLimiter(Rate(1, 1.0), clock)
    for n in range(kb.ratelimit.SWEEP_ABOVE + 5):
        limiter.hit(f"client-{n}")
    clock.now += 2
    limiter.hit("late")
    assert len(limiter) == 1
