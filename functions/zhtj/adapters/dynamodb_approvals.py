"""DynamoDB adapter for approvals and reminders (the same single table as
``zhtj.adapters.dynamodb``, whose (de)serialisation it reuses). Implements
``zhtj.services.approvals.LinkStore`` and ``zhtj.services.reminders.ReminderStore``.

=====================================  =====================  ========================================
pk                                     sk                     what
=====================================  =====================  ========================================
``APPROVALLINK#{sha256(token)}``       ``LINK``               one e-mailed approval link: only the
                                                              token's SHA-256 is stored, bound to the
                                                              approver (account + organisation), the
                                                              member and the archive *version*, with
                                                              its expiry; ``consumed_at`` once decided
``APPROVALSENT#{member_id}``           ``V{v:04d}#{username}``  the link of version *v* for one approver:
                                                              which token, and ``sent_at`` once SES took
                                                              the message (one e-mail per approver)
``OUTCOMESENT#{member_id}``            ``V{v:04d}#{username}``  the outcome e-mail of version *v*'s decision
                                                              SES took for one uploader admin (a resumed
                                                              follow-up does not send it again)
``REMINDER#{date}``                    ``{kind}#{recipient}``   one reminder digest claimed / sent on
                                                              ``date`` (idempotent per day)
=====================================  =====================  ========================================

Every item carries ``expires_at`` (epoch seconds, the table's TTL attribute) well after it can
matter: a link 30 days after its own expiry, an outcome marker after 60 days (longer than a
14-day link and its grace, during which a follow-up can be resumed), a reminder record after
40 days.

A link decision's follow-up (the outcome e-mails) is resumable: the decision's transaction
consumes the link *and* leaves ``followup_due`` on it, still held by the attempt's lease; the
attempt removes both once the e-mails went out. An attempt that died in between leaves
``followup_due`` behind, and a retry of the link takes the lease again (``claim_follow_up``)
and sends what the ``OUTCOMESENT#`` markers say is missing. An expired link
is refused by its ``link_expires_at`` (checked in the decision's own transaction), never by TTL
deletion, which may lag by days.

Reminders read the members and pending items of a tree through gsi2 (``TREE#{root}``), with a
projection and a filter: one paged Query per tree per day, not one per organisation.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from zhtj.adapters.dynamodb import GSI_TREE, TableAdapter, due_follow_up_keys, from_item, to_item
from zhtj.services.follow_ups import DueFollowUp

LINK_TTL_GRACE_SECONDS = 30 * 86400
OUTCOME_TTL_SECONDS = 60 * 86400
REMINDER_TTL_SECONDS = 40 * 86400

_REMINDER_MEMBER_ATTRIBUTES = ("member_id", "name", "member_number", "branch_id", "branch_name", "branch_path",
                               "join_year", "join_month", "archive_state", "archive_version", "archive_reason",
                               "archive_updated_at")
_REMINDER_STATES = ("尚未认证", "认证不通过")


def link_key(token_hash: str) -> dict[str, str]:
    return {"pk": f"APPROVALLINK#{token_hash}", "sk": "LINK"}


def sent_key(member_id: str, version: int, username: str) -> dict[str, str]:
    return {"pk": f"APPROVALSENT#{member_id}", "sk": f"V{version:04d}#{username}"}


def outcome_key(member_id: str, version: int, username: str) -> dict[str, str]:
    return {"pk": f"OUTCOMESENT#{member_id}", "sk": f"V{version:04d}#{username}"}


def reminder_key(day: str, kind: str, recipient: str) -> dict[str, str]:
    return {"pk": f"REMINDER#{day}", "sk": f"{kind}#{recipient}"}


def _epoch(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp())


class DynamoApprovalStore(TableAdapter):

    # ------------------------------------------------------------ links
    def get_link(self, token_hash: str) -> dict[str, Any] | None:
        return self._get(link_key(token_hash))

    def get_sent(self, member_id: str, version: int, username: str) -> dict[str, Any] | None:
        return self._get(sent_key(member_id, version, username))

    def issue_link(self, link: Mapping[str, Any], *, previous_hash: str | None) -> bool:
        """Point the approver's marker at a new link, then store the link; a previous link that
        was never marked sent (a crashed run) is deleted. False when the marker shows the link
        was issued or sent meanwhile (a concurrent run) — then nothing is written.

        Two conditional writes, not a transaction (moto copies the whole table for every
        transaction item, DESIGN "Known traps"): the marker is written first, so a link item
        exists only for the marker's current hash; a crash between the two leaves a marker
        whose hash has no link, which the retry re-issues like any unsent link."""
        member_id, version, username = str(link["member_id"]), int(link["version"]), str(link["approver"])
        token_hash = str(link["token_hash"])
        ttl = _epoch(str(link["link_expires_at"])) + LINK_TTL_GRACE_SECONDS
        values = {":h": token_hash, ":at": link["created_at"], ":ttl": ttl, ":type": "approval_sent"}
        if previous_hash:
            condition = "attribute_not_exists(sent_at) AND token_hash = :prev"
            values[":prev"] = previous_hash
        else:
            condition = "attribute_not_exists(pk)"
        client = self.client
        try:
            client.update_item(
                TableName=self.table_name, Key=to_item(sent_key(member_id, version, username)),
                UpdateExpression="SET token_hash = :h, issued_at = :at, expires_at = :ttl, #t = :type",
                ConditionExpression=condition, ExpressionAttributeNames={"#t": "type"},
                ExpressionAttributeValues=to_item(values),
            )
        except client.exceptions.ConditionalCheckFailedException:
            return False
        client.put_item(TableName=self.table_name, ConditionExpression="attribute_not_exists(pk)",
                        Item=to_item({**link_key(token_hash), "type": "approval_link", **link, "expires_at": ttl}))
        if previous_hash:
            try:
                client.delete_item(TableName=self.table_name, Key=to_item(link_key(previous_hash)),
                                   ConditionExpression="attribute_not_exists(consumed_at)")
            except client.exceptions.ConditionalCheckFailedException:
                pass
        return True

    def mark_sent(self, member_id: str, version: int, username: str, *, at: str, message_id: str) -> None:
        self.client.update_item(
            TableName=self.table_name, Key=to_item(sent_key(member_id, version, username)),
            UpdateExpression="SET sent_at = :at, message_id = :m", ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=to_item({":at": at, ":m": message_id}),
        )

    def _update_link_if(self, token_hash: str, update: str, condition: str, values: Mapping[str, Any]) -> bool:
        return self._update_if(link_key(token_hash), update, condition, values)

    def claim(self, token_hash: str, *, claim_id: str, now: str, until: str, max_wrong: int) -> bool:
        """Take the link for one decision attempt (a lease until ``until``): one conditional
        write, so of many concurrent submissions only one goes on to the decision's
        transaction. False when the link is consumed, claimed, expired, locked or unknown."""
        return self._update_link_if(
            token_hash, "SET claim_id = :c, claim_until = :u",
            "attribute_exists(pk) AND attribute_not_exists(consumed_at) AND link_expires_at > :now AND "
            "(attribute_not_exists(claim_until) OR claim_until < :now) AND "
            "(attribute_not_exists(wrong_answers) OR wrong_answers < :max)",
            {":c": claim_id, ":u": until, ":now": now, ":max": max_wrong})

    def release(self, token_hash: str, *, claim_id: str) -> None:
        """Give a claim back after its decision attempt failed (the link stays usable)."""
        self._update_link_if(token_hash, "REMOVE claim_id, claim_until", "claim_id = :c", {":c": claim_id})

    def consume_item(self, token_hash: str, *, claim_id: str, at: str, decision: str, now: str,
                     max_wrong: int) -> dict[str, Any]:
        """The transaction item that consumes a link in the decision's own TransactWriteItems
        (``ArchiveChange.extra``): only an unconsumed, unexpired, unlocked link held by this
        attempt's claim. The claim stays (the follow-up runs under it) and ``followup_due``
        records that the outcome e-mails are still to go out (listed for the sweeper, too)."""
        listed = due_follow_up_keys(DueFollowUp(at, link_hash=token_hash))
        return {"Update": {
            "TableName": self.table_name, "Key": to_item(link_key(token_hash)),
            "UpdateExpression": "SET consumed_at = :at, consumed_decision = :d, followup_due = :due, "
                                "gsi1pk = :fpk, gsi1sk = :fsk",
            "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(consumed_at) AND "
                                   "claim_id = :c AND link_expires_at > :now AND "
                                   "(attribute_not_exists(wrong_answers) OR wrong_answers < :max)",
            "ExpressionAttributeValues": to_item({
                ":at": at, ":d": decision, ":now": now, ":max": max_wrong, ":c": claim_id, ":due": True,
                ":fpk": listed["gsi1pk"], ":fsk": listed["gsi1sk"]}),
        }}

    def claim_follow_up(self, token_hash: str, *, claim_id: str, now: str, until: str) -> bool:
        """Take over a consumed link's unfinished follow-up: only when one is due and no live
        attempt holds the link (its lease ran out — the attempt that decided died)."""
        return self._update_link_if(
            token_hash, "SET claim_id = :c, claim_until = :u",
            "attribute_exists(consumed_at) AND followup_due = :due AND "
            "(attribute_not_exists(claim_until) OR claim_until < :now)",
            {":c": claim_id, ":u": until, ":now": now, ":due": True})

    def finish_follow_up(self, token_hash: str, *, claim_id: str, at: str) -> None:
        """The follow-up is done: nothing is due any more and the claim is given back. A
        holder whose lease ran out and was taken over leaves it to the one that took it."""
        self._update_link_if(token_hash,
                             "SET followed_up_at = :at REMOVE followup_due, claim_id, claim_until, gsi1pk, gsi1sk",
                             "claim_id = :c", {":c": claim_id, ":at": at})

    def outcome_sent(self, member_id: str, version: int, username: str) -> bool:
        return self._get(outcome_key(member_id, version, username)) is not None

    def mark_outcome_sent(self, member_id: str, version: int, username: str, *, at: str, message_id: str) -> None:
        self.client.put_item(TableName=self.table_name, Item=to_item({
            **outcome_key(member_id, version, username), "type": "outcome_sent", "member_id": member_id,
            "version": version, "username": username, "sent_at": at, "message_id": message_id,
            "expires_at": _epoch(at) + OUTCOME_TTL_SECONDS}))

    def record_wrong_answer(self, token_hash: str, *, at: str, now: str, max_wrong: int) -> int | None:
        """Count one wrong answer to the digits question; the new count, or None when the
        link is consumed, expired or already locked (nothing counted)."""
        client = self.client
        try:
            result = client.update_item(
                TableName=self.table_name, Key=to_item(link_key(token_hash)),
                UpdateExpression="SET wrong_answers = if_not_exists(wrong_answers, :zero) + :one, "
                                 "last_wrong_at = :at",
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(consumed_at) AND "
                                    "link_expires_at > :now AND "
                                    "(attribute_not_exists(wrong_answers) OR wrong_answers < :max)",
                ExpressionAttributeValues=to_item({":zero": 0, ":one": 1, ":at": at, ":now": now, ":max": max_wrong}),
                ReturnValues="UPDATED_NEW",
            )
        except client.exceptions.ConditionalCheckFailedException:
            return None
        return int(from_item(result["Attributes"])["wrong_answers"])

    # ------------------------------------------------------------ reminders
    def claim_reminder(self, day: str, kind: str, recipient: str, *, at: str) -> bool:
        """Record that the digest (day, kind, recipient) is being sent; False when it was
        already claimed (sent, or being sent by a concurrent run)."""
        client = self.client
        ttl = _epoch(at) + REMINDER_TTL_SECONDS
        try:
            client.put_item(TableName=self.table_name, ConditionExpression="attribute_not_exists(pk)",
                            Item=to_item({**reminder_key(day, kind, recipient), "type": "reminder", "day": day,
                                          "kind": kind, "claimed_at": at, "expires_at": ttl}))
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def mark_reminder_sent(self, day: str, kind: str, recipient: str, *, at: str, message_id: str) -> None:
        self.client.update_item(
            TableName=self.table_name, Key=to_item(reminder_key(day, kind, recipient)),
            UpdateExpression="SET sent_at = :at, message_id = :m", ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=to_item({":at": at, ":m": message_id}),
        )

    def release_reminder(self, day: str, kind: str, recipient: str) -> None:
        """Undo a claim whose send failed (so a retried run sends it), never a sent one."""
        client = self.client
        try:
            client.delete_item(TableName=self.table_name, Key=to_item(reminder_key(day, kind, recipient)),
                               ConditionExpression="attribute_not_exists(sent_at)")
        except client.exceptions.ConditionalCheckFailedException:
            return

    def get_reminder(self, day: str, kind: str, recipient: str) -> dict[str, Any] | None:
        return self._get(reminder_key(day, kind, recipient))

    def members_for_reminders(self, root: str) -> list[dict[str, Any]]:
        """The members of tree ``root`` whose archive needs the admins (尚未认证, 认证不通过)."""
        names = {f"#a{i}": a for i, a in enumerate(_REMINDER_MEMBER_ATTRIBUTES)}
        names["#state"] = "archive_state"
        values = {":pk": f"TREE#{root}", ":prefix": "MEMBER#"}
        values.update({f":s{i}": s for i, s in enumerate(_REMINDER_STATES)})
        states = ", ".join(f":s{i}" for i in range(len(_REMINDER_STATES)))
        return self._query_tree({
            "KeyConditionExpression": "gsi2pk = :pk AND begins_with(gsi2sk, :prefix)",
            "FilterExpression": f"#state IN ({states})",
            "ProjectionExpression": ", ".join(k for k in names if k != "#state"),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": to_item(values),
        })

    def pending_for_reminders(self, root: str) -> list[dict[str, Any]]:
        """Everything waiting for a decision in tree ``root`` (the sparse ``PENDING`` items)."""
        return self._query_tree({
            "KeyConditionExpression": "gsi2pk = :pk AND begins_with(gsi2sk, :prefix)",
            "ExpressionAttributeValues": to_item({":pk": f"TREE#{root}", ":prefix": "PENDING#"}),
        })

    def _query_tree(self, request: dict[str, Any]) -> list[dict[str, Any]]:
        kwargs = {"TableName": self.table_name, "IndexName": GSI_TREE, **request}
        items: list[dict[str, Any]] = []
        while True:
            result = self.client.query(**kwargs)
            items += [from_item(i) for i in result.get("Items", [])]
            if "LastEvaluatedKey" not in result:
                return items
            kwargs["ExclusiveStartKey"] = result["LastEvaluatedKey"]
