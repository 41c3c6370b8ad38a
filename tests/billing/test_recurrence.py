"""billing.recurrence: schedules, periods and what is due (plain Python, no database)."""

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.recurrence import (
    LAST_DAY,
    Frequency,
    Schedule,
    due_periods,
    local_today,
    next_working_day,
    periods,
)


def nominal(schedule, n, **kwargs):
    result = []
    for period in periods(schedule, **kwargs):
        result.append(period.nominal)
        if len(result) == n:
            break
    return result


# --- the calendar ---------------------------------------------------------------------------


def test_monthly_on_the_31st_falls_on_the_last_day_of_shorter_months():
    schedule = Schedule(Frequency.MONTHLY, date(2027, 1, 31))
    assert nominal(schedule, 4) == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30)]


def test_monthly_on_the_31st_in_a_leap_year_february_is_the_29th():
    schedule = Schedule(Frequency.MONTHLY, date(2028, 1, 31), day_of_month=31)
    assert nominal(schedule, 3) == [date(2028, 1, 31), date(2028, 2, 29), date(2028, 3, 31)]


def test_monthly_on_the_last_day():
    schedule = Schedule(Frequency.MONTHLY, date(2027, 11, 5), day_of_month=LAST_DAY)
    assert nominal(schedule, 4) == [date(2027, 11, 30), date(2027, 12, 31), date(2028, 1, 31), date(2028, 2, 29)]


def test_monthly_on_day_n_starts_with_the_first_such_day_on_or_after_the_start():
    schedule = Schedule(Frequency.MONTHLY, date(2026, 3, 20), day_of_month=15)
    assert nominal(schedule, 2) == [date(2026, 4, 15), date(2026, 5, 15)]


def test_the_29th_of_february_yearly_falls_on_the_28th_in_common_years():
    schedule = Schedule(Frequency.YEARLY, date(2028, 2, 29))
    assert nominal(schedule, 5) == [
        date(2028, 2, 29),
        date(2029, 2, 28),
        date(2030, 2, 28),
        date(2031, 2, 28),
        date(2032, 2, 29),
    ]


def test_quarterly_and_every_two_weeks():
    assert nominal(Schedule(Frequency.QUARTERLY, date(2026, 11, 30)), 3) == [
        date(2026, 11, 30),
        date(2027, 2, 28),
        date(2027, 5, 30),
    ]
    assert nominal(Schedule(Frequency.EVERY_2_WEEKS, date(2026, 12, 24)), 3) == [
        date(2026, 12, 24),
        date(2027, 1, 7),
        date(2027, 1, 21),
    ]


def test_end_date_and_count_end_the_schedule():
    schedule = Schedule(Frequency.WEEKLY, date(2026, 1, 1), end_date=date(2026, 1, 22))
    assert nominal(schedule, 10) == [date(2026, 1, 1), date(2026, 1, 8), date(2026, 1, 15), date(2026, 1, 22)]
    counted = Schedule(Frequency.MONTHLY, date(2026, 1, 10), count=2)
    assert [p.index for p in periods(counted)] == [0, 1]


def test_the_schedule_ends_with_the_calendar():
    schedule = Schedule(Frequency.YEARLY, date(9998, 6, 1))
    assert nominal(schedule, 10) == [date(9998, 6, 1), date(9999, 6, 1)]
    assert len(list(periods(Schedule(Frequency.WEEKLY, date(9999, 12, 1))))) == 5


# --- weekends -------------------------------------------------------------------------------


def test_weekend_periods_run_on_the_next_monday_and_keep_their_key():
    # 2026-02-28 is a Saturday, 2026-03-31 a Tuesday, 2026-05-31 a Sunday.
    schedule = Schedule(Frequency.MONTHLY, date(2026, 2, 28), day_of_month=LAST_DAY, skip_weekends=True)
    got = [(p.key, p.run_date) for p in periods(schedule)][:4]
    assert got == [
        ("2026-02-28", date(2026, 3, 2)),
        ("2026-03-31", date(2026, 3, 31)),
        ("2026-04-30", date(2026, 4, 30)),
        ("2026-05-31", date(2026, 6, 1)),
    ]


def test_next_working_day():
    assert next_working_day(date(2026, 12, 5)) == date(2026, 12, 7)  # Saturday
    assert next_working_day(date(2026, 12, 6)) == date(2026, 12, 7)  # Sunday
    assert next_working_day(date(2026, 12, 7)) == date(2026, 12, 7)  # Monday


def test_a_weekend_period_is_not_due_before_its_monday():
    schedule = Schedule(Frequency.MONTHLY, date(2026, 2, 28), skip_weekends=True)
    assert due_periods(schedule, after=None, today=date(2026, 3, 1), cap=3).create == []
    assert [p.key for p in due_periods(schedule, after=None, today=date(2026, 3, 2), cap=3).create] == ["2026-02-28"]


# --- what is due ----------------------------------------------------------------------------


def test_due_periods_oldest_first_after_the_last_run():
    schedule = Schedule(Frequency.WEEKLY, date(2026, 1, 1))
    plan = due_periods(schedule, after=date(2026, 1, 8), today=date(2026, 1, 29), cap=10)
    assert [p.key for p in plan.create] == ["2026-01-15", "2026-01-22", "2026-01-29"]
    assert plan.skipped == []
    assert plan.following.nominal == date(2026, 2, 5)


def test_catch_up_is_capped_to_the_latest_periods_and_the_older_ones_are_skipped():
    schedule = Schedule(Frequency.MONTHLY, date(2025, 1, 1))
    plan = due_periods(schedule, after=None, today=date(2026, 1, 15), cap=3)
    assert [p.key for p in plan.create] == ["2025-11-01", "2025-12-01", "2026-01-01"]
    assert len(plan.skipped) == 10
    assert plan.skipped[0].key == "2025-01-01"


def test_nothing_follows_an_ended_schedule():
    schedule = Schedule(Frequency.MONTHLY, date(2026, 1, 1), count=1)
    plan = due_periods(schedule, after=date(2026, 1, 1), today=date(2027, 1, 1), cap=3)
    assert plan.create == [] and plan.following is None


def test_invalid_schedules_are_refused():
    with pytest.raises(ValueError):
        Schedule(Frequency.MONTHLY, date(2026, 1, 1), day_of_month=32)
    with pytest.raises(ValueError):
        Schedule(Frequency.MONTHLY, date(2026, 1, 1), count=0)
    with pytest.raises(ValueError):
        due_periods(Schedule(Frequency.WEEKLY, date(2026, 1, 1)), after=None, today=date(2026, 1, 1), cap=0)
    with pytest.raises(ValueError):
        local_today(datetime(2026, 1, 1), "UTC")  # a naive datetime


# --- time zones, on a fake clock -----------------------------------------------------------

APRIL_FIRST = Schedule(Frequency.MONTHLY, date(2026, 4, 1))


@pytest.mark.parametrize(
    ("time_zone", "local_date"),
    [("Pacific/Honolulu", date(2026, 3, 31)), ("Pacific/Kiritimati", date(2026, 3, 31))],
    ids=["UTC-10", "UTC+14"],
)
def test_at_23_30_local_time_the_next_days_period_is_not_due_yet(time_zone, local_date):
    from zoneinfo import ZoneInfo

    local = datetime(2026, 3, 31, 23, 30, tzinfo=ZoneInfo(time_zone))
    with time_machine.travel(local, tick=False):
        today = local_today(datetime.now(UTC), time_zone)
    assert today == local_date
    assert due_periods(APRIL_FIRST, after=None, today=today, cap=3).create == []
    with time_machine.travel(local + timedelta(minutes=31), tick=False):
        today = local_today(datetime.now(UTC), time_zone)
    assert [p.key for p in due_periods(APRIL_FIRST, after=None, today=today, cap=3).create] == ["2026-04-01"]


def test_the_same_utc_moment_is_a_different_day_in_utc_minus_10_and_utc_plus_14():
    with time_machine.travel(datetime(2026, 3, 31, 10, 0, tzinfo=UTC), tick=False):
        now = datetime.now(UTC)
        assert local_today(now, "Pacific/Honolulu") == date(2026, 3, 31)  # 00:00
        assert local_today(now, "Pacific/Kiritimati") == date(2026, 4, 1)  # 00:00 the next day


@pytest.mark.parametrize(
    ("utc_moment", "berlin_date"),
    [
        # Spring forward (29 March 2026, 02:00 CET -> 03:00 CEST): 23:30 UTC is already the 29th.
        (datetime(2026, 3, 28, 22, 59, tzinfo=UTC), date(2026, 3, 28)),
        (datetime(2026, 3, 28, 23, 0, tzinfo=UTC), date(2026, 3, 29)),
        (datetime(2026, 3, 29, 21, 59, tzinfo=UTC), date(2026, 3, 29)),  # 23:59 CEST
        (datetime(2026, 3, 29, 22, 0, tzinfo=UTC), date(2026, 3, 30)),
        # Fall back (25 October 2026, 03:00 CEST -> 02:00 CET): the repeated hour is one day.
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), date(2026, 10, 25)),  # 02:30 CEST
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), date(2026, 10, 25)),  # 02:30 CET
        (datetime(2026, 10, 25, 22, 59, tzinfo=UTC), date(2026, 10, 25)),  # 23:59 CET
        (datetime(2026, 10, 25, 23, 0, tzinfo=UTC), date(2026, 10, 26)),
    ],
)
def test_berlin_local_date_across_daylight_saving_changes(utc_moment, berlin_date):
    with time_machine.travel(utc_moment, tick=False):
        assert local_today(datetime.now(UTC), "Europe/Berlin") == berlin_date


def test_a_daily_beat_across_both_berlin_changes_creates_each_monthly_period_once():
    schedule = Schedule(Frequency.MONTHLY, date(2026, 3, 29), day_of_month=LAST_DAY)
    created, last = [], None
    moment = datetime(2026, 3, 1, 0, 15, tzinfo=UTC)
    while moment < datetime(2026, 11, 5, tzinfo=UTC):
        with time_machine.travel(moment, tick=False):
            today = local_today(datetime.now(UTC), "Europe/Berlin")
        plan = due_periods(schedule, after=last, today=today, cap=3)
        created += [p.key for p in plan.create]
        last = plan.create[-1].nominal if plan.create else last
        moment += timedelta(minutes=30)
    months = ["03-31", "04-30", "05-31", "06-30", "07-31", "08-31", "09-30", "10-31"]
    assert created == [f"2026-{month}" for month in months]


# --- properties -----------------------------------------------------------------------------

schedules = st.builds(
    Schedule,
    frequency=st.sampled_from(list(Frequency)),
    start_date=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
    day_of_month=st.one_of(st.none(), st.integers(min_value=0, max_value=31)),
    end_date=st.one_of(st.none(), st.dates(min_value=date(2000, 1, 1), max_value=date(2110, 1, 1))),
    count=st.one_of(st.none(), st.integers(min_value=1, max_value=60)),
    skip_weekends=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(schedule=schedules)
def test_periods_strictly_increase_and_no_two_share_a_key_or_a_run_date(schedule):
    found = list(itertools.islice(periods(schedule), 60))
    keys = [p.key for p in found]
    assert len(set(keys)) == len(keys)
    assert [p.nominal for p in found] == sorted({p.nominal for p in found})
    assert all(a.run_date < b.run_date for a, b in itertools.pairwise(found))
    assert all(p.nominal >= schedule.start_date for p in found)
    assert all(p.run_date.weekday() < 5 for p in found if schedule.skip_weekends)
    assert [p.index for p in found] == list(range(len(found)))


@settings(max_examples=200, deadline=None)
@given(
    schedule=schedules,
    days=st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=8),
    cap=st.integers(min_value=1, max_value=5),
)
def test_runs_on_any_days_never_map_two_runs_to_one_period(schedule, days, cap):
    """Runs on arbitrary later days, each after the last period run: every period is created
    or skipped at most once, in increasing order, and nothing due is left behind."""
    last, seen = None, []
    today = schedule.start_date
    for step in sorted(days):
        today = min(schedule.start_date + timedelta(days=step), date(2110, 12, 31))
        plan = due_periods(schedule, after=last, today=today, cap=cap)
        assert len(plan.create) <= cap
        handled = plan.skipped + plan.create
        seen += [p.nominal for p in handled]
        if handled:
            last = handled[-1].nominal
    assert seen == sorted(set(seen))
    assert due_periods(schedule, after=last, today=today, cap=1000).create == []
