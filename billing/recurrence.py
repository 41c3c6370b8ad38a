"""Schedules of recurring invoices, in plain Python (no Django: tested without a database).

A schedule produces *periods*. Each period has a nominal date (the date the schedule names:
"the 31st", clamped to the month's last day) and a run date (the nominal date, moved to the
next Monday when the schedule never runs on weekends). The nominal date is the period's key:
it does not move when the weekend rule or the calendar shifts the run, so one period is one
key whatever day it finally runs on.

* weekly and every 2 weeks: from the start date, on its weekday;
* monthly, quarterly (every 3 months) and yearly (every 12 months): from the start date's
  month, on ``day_of_month`` (default: the start date's day; ``LAST_DAY`` = the last day of
  each month; a day the month does not have falls on its last day, so 31 in February is the
  28th or, in a leap year, the 29th);
* the first period is the first nominal date on or after the start date; the schedule ends
  after ``end_date`` (nominal dates after it are not periods) or after ``count`` periods.

``due_periods`` is what a run creates: the periods after the last one already run whose run
date has come in the organization's time zone, oldest first, at most ``cap`` of them (the
latest ones: older ones beyond the cap are returned as skipped, never created later).
"""

import calendar
import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

LAST_DAY = 0  # ``day_of_month`` meaning "the last day of the month"
SATURDAY = 5


class Frequency(enum.StrEnum):
    WEEKLY = "weekly"
    EVERY_2_WEEKS = "every_2_weeks"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


_WEEKS = {Frequency.WEEKLY: 1, Frequency.EVERY_2_WEEKS: 2}
_MONTHS = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3, Frequency.YEARLY: 12}


@dataclass(frozen=True)
class Schedule:
    frequency: Frequency
    start_date: date
    day_of_month: int | None = None  # 1..31 or LAST_DAY; monthly, quarterly and yearly only
    end_date: date | None = None
    count: int | None = None
    skip_weekends: bool = False

    def __post_init__(self):
        if self.day_of_month is not None and not 0 <= self.day_of_month <= 31:
            raise ValueError("day_of_month is 1..31 or LAST_DAY")
        if self.count is not None and self.count < 1:
            raise ValueError("count is at least 1")


@dataclass(frozen=True, order=True)
class Period:
    nominal: date  # the key: the date the schedule names
    run_date: date = field(compare=False)  # the nominal date, moved off a weekend if asked
    index: int = field(compare=False)  # 0 for the first period of the schedule

    @property
    def key(self) -> str:
        return self.nominal.isoformat()


@dataclass(frozen=True)
class DuePlan:
    create: list[Period]  # oldest first
    skipped: list[Period]  # due but beyond the catch-up cap (oldest ones), oldest first
    following: Period | None  # the first period not due yet (None: the schedule has ended)


def next_working_day(day: date) -> date:
    """Saturday and Sunday move to the following Monday."""
    if day.weekday() >= SATURDAY:
        return day + timedelta(days=7 - day.weekday())
    return day


def _nominal_dates(schedule: Schedule) -> Iterator[date]:
    """Every nominal date on or after the start date, in order (up to the calendar's end)."""
    start = schedule.start_date
    weeks = _WEEKS.get(schedule.frequency)
    if weeks is not None:
        step = timedelta(weeks=weeks)
        day = start
        while True:
            yield day
            if date.max - day < step:
                return
            day += step
    months = _MONTHS[schedule.frequency]
    wanted = start.day if schedule.day_of_month is None else schedule.day_of_month
    month_index = start.year * 12 + start.month - 1
    while month_index // 12 <= date.max.year:
        year, month = divmod(month_index, 12)
        last = calendar.monthrange(year, month + 1)[1]
        day = date(year, month + 1, last if wanted == LAST_DAY else min(wanted, last))
        if day >= start:
            yield day
        month_index += months


def periods(schedule: Schedule, *, after: date | None = None) -> Iterator[Period]:
    """The schedule's periods in order; with ``after``, only those with a later nominal date."""
    for index, nominal in enumerate(_nominal_dates(schedule)):
        if schedule.count is not None and index >= schedule.count:
            return
        if schedule.end_date is not None and nominal > schedule.end_date:
            return
        if after is not None and nominal <= after:
            continue
        run_date = next_working_day(nominal) if schedule.skip_weekends else nominal
        yield Period(nominal=nominal, run_date=run_date, index=index)


def local_today(now: datetime, time_zone: str) -> date:
    """The date ``now`` (an aware datetime) falls on in ``time_zone``."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    return now.astimezone(ZoneInfo(time_zone)).date()


def due_periods(schedule: Schedule, *, after: date | None, today: date, cap: int) -> DuePlan:
    """The periods to create now: after the nominal date ``after`` (the last period already
    run), with a run date on or before ``today``; at most ``cap`` (>= 1) of them, the latest
    ones, oldest first. The due periods older than those are ``skipped``."""
    if cap < 1:
        raise ValueError("cap is at least 1")
    due: list[Period] = []
    following = None
    for period in periods(schedule, after=after):
        if period.run_date > today:
            following = period
            break
        due.append(period)
    return DuePlan(create=due[-cap:], skipped=due[:-cap], following=following)
