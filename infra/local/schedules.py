"""The schedule pump: what EventBridge Scheduler does for template.yaml's ``ScheduleV2`` events,
for the local stack — the daily reminder digests and the follow-up sweeper run in ``make run``
as they do on AWS, from the same template.

Only the expressions the template uses are understood, and anything else stops the local stack
with its name (as an unknown resource type does): ``rate(N minutes|hours|days)``, first due one
period after the stack starts, as a new schedule on AWS; and ``cron(M H * * ? *)``, daily at H:M
in the event's ``ScheduleExpressionTimezone``. The target gets the event's ``Input`` with
``<aws.scheduler.scheduled-time>`` replaced by the time the run was due (UTC, ISO 8601), as
Scheduler does, or ``{}`` without one.

One local difference: a run that raises is not retried (Scheduler's RetryPolicy); the error is
kept in the pump's stats and the next run comes at its time."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from infra.local.front import LambdaContext
from infra.local.pump import PumpStats, PumpThread
from infra.local.template import resources_of_type

_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
_DAILY_CRON = re.compile(r"cron\((\d{1,2}) (\d{1,2}) \* \* \? \*\)")
_UNITS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}
_SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"


@dataclass(frozen=True)
class ScheduleTrigger:
    function: str
    handler: str
    expression: str
    timezone: str
    input: str | None

    def next_due(self, after: datetime) -> datetime:
        """The first run after ``after``: the stack's start (a new schedule's first run comes one
        period later, as on AWS) or the previous run."""
        rate = _RATE.fullmatch(self.expression)
        if rate:
            return after + self._period(rate)
        return self._next_daily(after)

    def event(self, due: datetime) -> dict[str, Any]:
        if self.input is None:
            return {}
        stamp = due.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        event: dict[str, Any] = json.loads(self.input.replace(_SCHEDULED_TIME, stamp))
        return event

    def _period(self, rate: re.Match[str]) -> timedelta:
        return int(rate.group(1)) * _UNITS[rate.group(2).removesuffix("s")]

    def _next_daily(self, after: datetime) -> datetime:
        cron = _DAILY_CRON.fullmatch(self.expression)
        assert cron is not None  # schedule_triggers admits nothing else
        zone = ZoneInfo(self.timezone)
        local = after.astimezone(zone)
        due = local.replace(hour=int(cron.group(2)), minute=int(cron.group(1)), second=0, microsecond=0)
        if due <= local:
            due += timedelta(days=1)  # wall-clock arithmetic in the zone: the same H:M the next day
        return due.astimezone(UTC)


def schedule_triggers(template: Mapping[str, Any]) -> list[ScheduleTrigger]:
    triggers = []
    for name, spec in resources_of_type(template, "AWS::Serverless::Function").items():
        props = spec.get("Properties", {})
        for event_name, event in props.get("Events", {}).items():
            if event.get("Type") != "ScheduleV2":
                continue
            eprops = event["Properties"]
            expression = str(eprops["ScheduleExpression"])
            if not (_RATE.fullmatch(expression) or _DAILY_CRON.fullmatch(expression)):
                raise ValueError(f"{name}.{event_name}: the local stack cannot run the schedule {expression!r}")
            triggers.append(ScheduleTrigger(function=name, handler=props["Handler"], expression=expression,
                                            timezone=str(eprops.get("ScheduleExpressionTimezone", "UTC")),
                                            input=eprops.get("Input")))
    return triggers


class SchedulePump(PumpThread):
    """Runs one schedule's function when it is due; checks the clock once a second."""

    thread_prefix = "schedule"
    idle_wait_s = 1.0
    wait_s = 1.0

    def __init__(self, trigger: ScheduleTrigger, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 handler: Callable[[dict[str, Any], Any], Any] | None = None) -> None:
        super().__init__(handler)
        self.trigger = trigger
        self.clock = clock
        self.stats = PumpStats()
        self.due = trigger.next_due(clock())

    def poll_once(self) -> int:
        """Run the function if its time has come; returns the number of runs (0 or 1)."""
        if self.clock() < self.due:
            return 0
        due, self.due = self.due, self.trigger.next_due(self.due)
        self.stats.batches += 1
        try:
            self.handler(self.trigger.event(due), LambdaContext(self.trigger.function, timeout_s=300))
        except Exception as exc:
            self.stats.failed += 1
            self.stats.errors.append(f"{type(exc).__name__}: {exc}")
        else:
            self.stats.succeeded += 1
        return 1
