"""The local stack's schedules (infra/local/schedules.py): template.yaml's ScheduleV2 events run
at their times, with the input EventBridge Scheduler would give, on a clock of the test's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from infra.local.schedules import SchedulePump, schedule_triggers
from infra.local.template import load_template
from zhtj.handlers.scheduled import day_of

TRIGGERS = {trigger.function: trigger for trigger in schedule_triggers(load_template())}


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _pump(function: str, clock: Clock) -> tuple[SchedulePump, list[dict[str, Any]]]:
    runs: list[dict[str, Any]] = []
    return SchedulePump(TRIGGERS[function], clock=clock, handler=lambda event, context: runs.append(event)), runs


def test_the_template_has_the_two_schedules() -> None:
    assert {name: (t.handler, t.expression) for name, t in TRIGGERS.items()} == {
        "ReminderFunction": ("zhtj.handlers.scheduled.reminders_handler", "cron(0 8 * * ? *)"),
        "FollowUpFunction": ("zhtj.handlers.scheduled.follow_ups_handler", "rate(10 minutes)"),
    }


def test_the_reminders_run_every_morning_at_eight_beijing_time_for_that_day() -> None:
    clock = Clock(datetime(2023, 6, 29, 1, 30, tzinfo=UTC))  # 09:30 in Beijing: today's run is past
    pump, runs = _pump("ReminderFunction", clock)
    assert pump.poll_once() == 0
    clock.now = datetime(2023, 6, 29, 23, 59, tzinfo=UTC)  # 07:59 on the 30th
    assert pump.poll_once() == 0 and runs == []
    clock.now = datetime(2023, 6, 30, 0, 0, 5, tzinfo=UTC)  # 08:00:05 on the 30th
    assert pump.poll_once() == 1 and pump.poll_once() == 0
    assert runs == [{"scheduled_time": "2023-06-30T00:00:00Z"}]
    assert day_of(runs[0]).isoformat() == "2023-06-30"  # the handler's day: 6月30日, the deadline
    clock.now += timedelta(days=1)
    assert pump.poll_once() == 1 and runs[-1] == {"scheduled_time": "2023-07-01T00:00:00Z"}


def test_the_sweeper_runs_every_ten_minutes_from_the_start() -> None:
    started = datetime(2023, 6, 30, 3, 0, tzinfo=UTC)
    clock = Clock(started)
    pump, runs = _pump("FollowUpFunction", clock)
    for minutes, expected in ((9, 0), (10, 1), (19, 1), (20, 2), (45, 4)):
        clock.now = started + timedelta(minutes=minutes)
        while pump.poll_once():
            pass
        assert len(runs) == expected, minutes
    assert runs[0] == {}


def test_a_run_that_raises_is_counted_and_the_next_comes_at_its_time() -> None:
    clock = Clock(datetime(2023, 6, 30, 3, 0, tzinfo=UTC))

    def failing(event: dict[str, Any], context: Any) -> None:
        raise RuntimeError("SES throttled")

    pump = SchedulePump(TRIGGERS["FollowUpFunction"], clock=clock, handler=failing)
    clock.now += timedelta(minutes=10)
    assert pump.poll_once() == 1
    assert (pump.stats.failed, pump.stats.errors) == (1, ["RuntimeError: SES throttled"])
    assert pump.due == datetime(2023, 6, 30, 3, 20, tzinfo=UTC)


def test_a_schedule_the_local_stack_cannot_run_stops_it() -> None:
    template = {"Resources": {"F": {"Type": "AWS::Serverless::Function", "Properties": {
        "Handler": "x.y", "Events": {"Weekly": {"Type": "ScheduleV2", "Properties": {
            "ScheduleExpression": "cron(0 8 ? * MON *)"}}}}}}}
    with pytest.raises(ValueError, match="cron\\(0 8 \\? \\* MON \\*\\)"):
        schedule_triggers(template)
