"""Scheduled jobs: template.yaml → ReminderFunction (an EventBridge Scheduler ``ScheduleV2``
event every morning, Beijing time) and FollowUpFunction (every 10 minutes).

``reminders_handler`` sends the day's reminder digests (zhtj.services.reminders). The day is
the Beijing date of the schedule's own ``scheduled_time`` (the template passes
``<aws.scheduler.scheduled-time>`` as the input), so a retried invocation works on the same
day and, the sends being idempotent per (date, kind, recipient), sends only what is missing.
An event may also name ``{"date": "YYYY-MM-DD"}`` (a manual run); without either, today.

When some digests failed to send, the handler raises after the run: the scheduler's retry
then sends exactly those (their claims were released).

``follow_ups_handler`` finishes decisions' follow-ups (outcome e-mails) that no attempt
finished (zhtj.services.follow_ups). A send that fails again stays due for the next run, so
it does not raise: the next schedule is the retry."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from zhtj import bootstrap
from zhtj.handlers.logs import logger
from zhtj.services import reminders
from zhtj.services.approvals import BEIJING
from zhtj.services.follow_ups import SweepRun, sweep_follow_ups


class RemindersIncomplete(RuntimeError):
    """Some digests could not be sent; raised so the invocation is retried."""


def day_of(event: Any, now: datetime | None = None) -> date:
    if isinstance(event, dict):
        if event.get("date"):
            return date.fromisoformat(str(event["date"]))
        scheduled = event.get("scheduled_time") or event.get("time")
        if scheduled:
            return datetime.fromisoformat(str(scheduled).replace("Z", "+00:00")).astimezone(BEIJING).date()
    return (now or datetime.now(UTC)).astimezone(BEIJING).date()


def run(container: bootstrap.Container, day: date) -> reminders.ReminderRun:
    return reminders.run_reminders(day, store=container.approval_links, directory=container.directory,
                                   orgs=container.store, mailer=container.mailer,
                                   site_origin=container.settings.site_origin)


def reminders_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    result = run(bootstrap.container(), day_of(event))
    logger().info("reminders", extra=result.as_dict())
    if result.failed:
        raise RemindersIncomplete(f"{result.failed} reminder digests failed: {', '.join(result.errors[:10])}")
    return result.as_dict()


def sweep(container: bootstrap.Container, now: datetime) -> SweepRun:
    return sweep_follow_ups(due=container.archives, links=bootstrap.link_context(container), now=now)


def follow_ups_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    result = sweep(bootstrap.container(), datetime.now(UTC)).as_dict()
    logger().info("follow-ups swept", extra=result)
    return result
