"""The follow-up sweeper: the outcome e-mails of decisions that no attempt finished.

A decision on an archive — in the console or through an e-mailed link — is one transaction that
also leaves its follow-up due: the outcome e-mails to the uploader's admins (操作指引 3.3.1: the
reason is fed back to the branch). The deciding attempt sends them and marks the follow-up done;
if it died in between, the decider's retry resumes it (zhtj.services.archives,
zhtj.services.approvals). An approver on a phone whose page timed out does not retry, though,
and the branch would never hear of the decision. So a scheduled run (template.yaml →
FollowUpFunction, every 10 minutes) resumes every follow-up still due ``GRACE`` after its
decision, through the same claims as a retry: a live attempt keeps its lease, and an e-mail
already sent is not sent again (the per-recipient markers).

The due follow-ups are a sparse list (the adapters' ``due_follow_up_keys``) written in the
decision's transaction and removed when the follow-up is done, so a run reads only what is due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Protocol

from zhtj.services.approvals import LinkContext, resume_link_follow_up
from zhtj.services.archives import resume_follow_up, timestamp

# Longer than an attempt's lease (FOLLOW_UP_LEASE_SECONDS, 30 s): the sweeper never races the
# attempt that is still sending.
GRACE: Final = timedelta(minutes=2)
# Decisions older than this are no longer looked at: a follow-up that could not be told for two
# weeks (its member removed, its recipients gone) stays listed for an operator, not retried forever.
HORIZON: Final = timedelta(days=14)
RUN_LIMIT: Final = 500


@dataclass(frozen=True, slots=True)
class DueFollowUp:
    """One decision whose follow-up is due: a console decision is found by its archive
    version, a link decision by its link (whose claim its follow-up runs under)."""

    decided_at: str
    link_hash: str | None = None
    member_id: str | None = None
    version: int | None = None


class DueFollowUps(Protocol):
    def due_follow_ups(self, *, decided_after: str, decided_before: str, limit: int) -> list[DueFollowUp]: ...


@dataclass(frozen=True, slots=True)
class SweepRun:
    due: int  # listed as due when the run started
    resumed: int  # taken over and told by this run

    def as_dict(self) -> dict[str, int]:
        return {"due": self.due, "resumed": self.resumed}


def sweep_follow_ups(*, due: DueFollowUps, links: LinkContext, now: datetime, limit: int = RUN_LIMIT) -> SweepRun:
    """Resume every follow-up due for longer than ``GRACE`` (and decided within ``HORIZON``),
    console decisions through their archive version, link decisions through their link."""
    listed = due.due_follow_ups(decided_after=timestamp(now - HORIZON), decided_before=timestamp(now - GRACE),
                                limit=limit)
    resumed = 0
    for follow_up in listed:
        if follow_up.link_hash is not None:
            resumed += resume_link_follow_up(follow_up.link_hash, links, now)
        elif follow_up.member_id is not None and follow_up.version is not None:
            resumed += resume_follow_up(follow_up.member_id, follow_up.version, ledger=links.ledger,
                                        events=links.events, now=now)
    return SweepRun(due=len(listed), resumed=resumed)
