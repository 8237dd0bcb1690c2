"""Rate budgets: how they are written in settings, and how they are counted: a moving
window per client, in process memory or in Redis shared by every process, falling back to
process memory (never to no limit, never to an error) while Redis is down."""

from __future__ import annotations

import logging
import time

import pytest
from limits import RateLimitItemPerHour, RateLimitItemPerMinute, RateLimitItemPerSecond
from pydantic import ValidationError

from kb.ratelimit import Rate, RateLimits, parse_rate
from kb.settings import Settings
from tests.helpers import REDIS_URL, RedisServer

THREE_A_MINUTE = RateLimitItemPerMinute(3)


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("60/minute", RateLimitItemPerMinute(60)),
        ("5 per second", RateLimitItemPerSecond(5)),
        ("100/10 minutes", RateLimitItemPerMinute(100, 10)),
        (" 3/Hour ", RateLimitItemPerHour(3)),
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
    with pytest.raises(ValidationError, match="rate_limit_typeahead"):
        Settings(rate_limit_typeahead="fast")


def test_production_defaults_limit_search_and_feedback() -> None:
    search = parse_rate(Settings.model_fields["rate_limit_search"].default)
    feedback = parse_rate(Settings.model_fields["rate_limit_feedback"].default)
    assert search is not None and search.amount >= 60  # a person never searches this fast
    assert feedback is not None and feedback.amount <= search.amount


def test_production_default_for_typeahead_outlasts_steady_typing() -> None:
    """The search box asks after each pause of 150 ms (web/static/typeahead.js): at most
    400 requests a minute from someone typing without stopping; the budget is above that
    and above the searches'."""
    typeahead = parse_rate(Settings.model_fields["rate_limit_typeahead"].default)
    search = parse_rate(Settings.model_fields["rate_limit_search"].default)
    assert typeahead is not None and search is not None
    assert typeahead.amount / typeahead.get_expiry() >= 400 / 60
    assert typeahead.amount > search.amount


def test_each_client_has_a_budget_and_is_told_how_long_to_wait() -> None:
    limits = RateLimits({"search": THREE_A_MINUTE})
    assert [limits.hit("search", "a") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limits.hit("search", "a")
    assert 0 < wait <= 60
    assert limits.hit("search", "b") == 0.0, "every client has its own budget"
    assert limits.hit("feedback", "a") == 0.0, "a budget that is not configured never limits"
    assert not limits.shared and limits.fallbacks == 0


def test_the_window_moves_and_refused_requests_do_not_count() -> None:
    limits = RateLimits({"search": RateLimitItemPerSecond(1)})
    assert limits.hit("search", "a") == 0.0
    assert 0 < limits.hit("search", "a") <= 1
    wait = limits.hit("search", "a")
    time.sleep(wait + 0.05)  # the one counted request leaves the window; refusals never entered
    assert limits.hit("search", "a") == 0.0


def test_with_redis_every_process_counts_one_budget(redis_prefix: str) -> None:
    """Two workers (two RateLimits, as two processes would have) share one budget."""
    first = RateLimits({"search": THREE_A_MINUTE}, REDIS_URL, redis_prefix)
    second = RateLimits({"search": THREE_A_MINUTE}, REDIS_URL, redis_prefix)
    answers = [limiter.hit("search", "a") for limiter in (first, second, first, second)]
    assert answers[:3] == [0.0, 0.0, 0.0] and answers[3] > 0
    assert first.shared and second.shared and first.fallbacks == second.fallbacks == 0


def test_redis_down_at_start_up_limits_per_process_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[int] = []
    limits = RateLimits(
        {"search": THREE_A_MINUTE}, "redis://127.0.0.1:1/0", on_fallback=lambda: seen.append(1)
    )
    answers = [limits.hit("search", "a") for _ in range(4)]
    assert answers[:3] == [0.0, 0.0, 0.0] and answers[3] > 0, "still limited, in memory"
    assert not limits.shared and limits.fallbacks == 4 and len(seen) == 4
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "Redis is unavailable" in warnings[0].getMessage()


def test_a_redis_outage_midway_falls_back_and_recovers(own_redis: RedisServer) -> None:
    limits = RateLimits({"search": THREE_A_MINUTE}, own_redis.url, "kb", retry_after=0)
    other = RateLimits({"search": THREE_A_MINUTE}, own_redis.url, "kb", retry_after=0)
    assert limits.hit("search", "a") == 0.0 and other.hit("search", "a") == 0.0
    own_redis.stop()
    assert limits.hit("search", "a") == 0.0 and not limits.shared
    assert limits.fallbacks == 1
    own_redis.start()  # empty again: a restarted Redis forgets the counts
    assert [other.hit("search", "a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limits.hit("search", "a") > 0, "back on the shared budget the other used up"
    assert limits.shared and limits.fallbacks == 1
