"""DynamoDB adapter for archives, corrections and transfers (the same single table as
``zhtj.adapters.dynamodb``, whose key helpers and (de)serialisation it reuses).

Items in the member's partition ``MEMBER#{member_id}`` (one Query reads a member's whole
history):

=============================  ==================================================================
sk                             what
=============================  ==================================================================
``MEMBER``                     the member; its ``archive_*`` attributes are the archive's state
                               (state, version, change flags, deciding committee, last reason)
``ARCHIVE#{v:04d}``            version *v* (every version kept): upload, verdict, S3 key and the
                               S3 VersionId written, the decision on it
``UPLOAD#{upload_id}``         one presigned upload: who asked, when, for which organisation
                               kind; ``requested`` → ``accepted`` (version) | ``refused`` (verdict)
``PENDING``                    what waits for the deciding committee (an archive or a change
                               request); gsi2 ``TREE#{root}`` / ``PENDING#{branch_path}{id}``
``TRANSFER``                   an open 团组织关系转接; gsi2 ``TREE#{root}`` /
                               ``TRANSFERIN#{target_path}{id}`` (the target's incoming list)
``AUDIT#{at}#{action}``        one audit entry (who, when, from, to, why)
=============================  ==================================================================

The ``PENDING`` and ``TRANSFER`` items are *sparse*: they exist only while something is open,
so the pending list of a subtree is a Query over what is pending, never over all members.

Every archive change is one TransactWriteItems conditioned on the member's archive (state,
version, change flags): see ``ArchiveChange`` in ``zhtj.services.archives``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zhtj.adapters.dynamodb import (
    FOLLOW_UPS_PARTITION,
    GSI_CHILDREN,
    GSI_TREE,
    TableAdapter,
    due_follow_up_keys,
    due_follow_up_of,
    from_item,
    member_index_keys,
    member_key,
    number_claim_key,
    to_item,
)
from zhtj.domain.archive import Archive
from zhtj.domain.orgs import Organisation, path_key
from zhtj.services.archives import (
    AlreadyDecided,
    ArchiveChange,
    ArchiveChanged,
    ExtraConditionFailed,
    UploadAlreadyProcessed,
    UploadStatus,
)
from zhtj.services.errors import Conflict
from zhtj.services.follow_ups import DueFollowUp

# What a summary needs of each member (a projection: the items are read whole and billed so,
# but less crosses the wire).
_STATE_ATTRIBUTES = ("member_id", "name", "member_number", "branch_id", "branch_name", "join_year", "join_month",
                     "archive_state", "archive_version", "archive_change_requested", "archive_change_approved")


def archive_version_key(member_id: str, version: int) -> dict[str, str]:
    return {"pk": f"MEMBER#{member_id}", "sk": f"ARCHIVE#{version:04d}"}


def upload_item_key(member_id: str, upload_id: str) -> dict[str, str]:
    return {"pk": f"MEMBER#{member_id}", "sk": f"UPLOAD#{upload_id}"}


def pending_key(member_id: str) -> dict[str, str]:
    return {"pk": f"MEMBER#{member_id}", "sk": "PENDING"}


def transfer_key(member_id: str) -> dict[str, str]:
    return {"pk": f"MEMBER#{member_id}", "sk": "TRANSFER"}


def audit_key(member_id: str, at: str, action: str) -> dict[str, str]:
    return {"pk": f"MEMBER#{member_id}", "sk": f"AUDIT#{at}#{action}"}


class _Expression:
    """Builds one update/condition expression with placeholder names and values."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}

    def name(self, attribute: str) -> str:
        placeholder = f"#n{len(self.names)}"
        self.names[placeholder] = attribute
        return placeholder

    def value(self, value: Any) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = value
        return placeholder

    def update(self, values: Mapping[str, Any]) -> str:
        sets = [f"{self.name(k)} = {self.value(v)}" for k, v in values.items() if v is not None]
        removes = [self.name(k) for k, v in values.items() if v is None]
        parts = []
        if sets:
            parts.append("SET " + ", ".join(sets))
        if removes:
            parts.append("REMOVE " + ", ".join(removes))
        return " ".join(parts)

    def flag(self, attribute: str, expected: bool) -> str:
        name = self.name(attribute)
        if expected:
            return f"{name} = {self.value(True)}"
        return f"(attribute_not_exists({name}) OR {name} = {self.value(False)})"

    def archive_is(self, archive: Archive) -> str:
        return " AND ".join([
            "attribute_exists(pk)",
            f"{self.name('archive_state')} = {self.value(archive.state.value)}",
            f"{self.name('archive_version')} = {self.value(archive.version)}",
            self.flag("archive_change_requested", archive.change_requested),
            self.flag("archive_change_approved", archive.change_approved),
        ])

    def into(self, request: dict[str, Any]) -> dict[str, Any]:
        if self.names:
            request["ExpressionAttributeNames"] = dict(self.names)
        if self.values:
            request["ExpressionAttributeValues"] = to_item(self.values)
        return request


class DynamoArchiveStore(TableAdapter):
    """Implements ``ArchiveLedger`` (services.archives) and ``TransferLedger`` (services.transfers)."""

    # ------------------------------------------------------------ reads

    def member(self, member_id: str) -> dict[str, Any] | None:
        return self._get(member_key(member_id))

    def member_items(self, member_id: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table_name, "ConsistentRead": True, "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": to_item({":pk": f"MEMBER#{member_id}"}),
        }
        while True:
            result = self.client.query(**kwargs)
            items += [from_item(i) for i in result.get("Items", [])]
            if "LastEvaluatedKey" not in result:
                return items
            kwargs["ExclusiveStartKey"] = result["LastEvaluatedKey"]

    def get_upload(self, member_id: str, upload_id: str) -> dict[str, Any] | None:
        return self._get(upload_item_key(member_id, upload_id))

    def get_version(self, member_id: str, version: int) -> dict[str, Any] | None:
        return self._get(archive_version_key(member_id, version))

    # ------------------------------------------------------------ a console decision's follow-up
    def claim_follow_up(self, member_id: str, version: int, *, claim_id: str, now: str, until: str) -> bool:
        """Take over a decision's unfinished follow-up once its holder's lease ran out."""
        return self._update_if(archive_version_key(member_id, version), "SET followup_claim = :c, followup_until = :u",
                               "followup_due = :due AND followup_until < :now",
                               {":c": claim_id, ":u": until, ":now": now, ":due": True})

    def release_follow_up(self, member_id: str, version: int, *, claim_id: str, now: str) -> None:
        """Give the lease back at once (a send failed): the next retry may resume."""
        self._update_if(archive_version_key(member_id, version), "SET followup_until = :now", "followup_claim = :c",
                        {":c": claim_id, ":now": now})

    def finish_follow_up(self, member_id: str, version: int, *, claim_id: str, at: str) -> None:
        self._update_if(archive_version_key(member_id, version),
                        "SET followed_up_at = :at REMOVE followup_due, followup_claim, followup_until, gsi1pk, gsi1sk",
                        "followup_claim = :c", {":c": claim_id, ":at": at})

    def due_follow_ups(self, *, decided_after: str, decided_before: str, limit: int) -> list[DueFollowUp]:
        """The decisions — by console or by link — whose follow-up is still due, oldest first:
        one Query of the sparse gsi1 list ``FOLLOWUPS`` (due_follow_up_keys)."""
        found: list[DueFollowUp] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table_name, "IndexName": GSI_CHILDREN,
            "KeyConditionExpression": "gsi1pk = :pk AND gsi1sk BETWEEN :after AND :before",
            "ExpressionAttributeValues": to_item({":pk": FOLLOW_UPS_PARTITION, ":after": decided_after,
                                                  ":before": decided_before}),
            "ProjectionExpression": "gsi1sk",
        }
        while len(found) < limit:
            result = self.client.query(Limit=limit - len(found), **kwargs)
            found += [due_follow_up_of(str(from_item(item)["gsi1sk"])) for item in result.get("Items", [])]
            if "LastEvaluatedKey" not in result:
                break
            kwargs["ExclusiveStartKey"] = result["LastEvaluatedKey"]
        return found

    def get_transfer(self, member_id: str) -> dict[str, Any] | None:
        return self._get(transfer_key(member_id))

    # ------------------------------------------------------------ uploads
    def add_upload(self, values: Mapping[str, Any]) -> None:
        key = upload_item_key(str(values["member_id"]), str(values["upload_id"]))
        self.client.put_item(TableName=self.table_name, Item=to_item({**key, "type": "upload", **values}),
                             ConditionExpression="attribute_not_exists(pk)")

    def refuse_upload(self, member_id: str, upload_id: str, values: Mapping[str, Any],
                      audit: Mapping[str, Any]) -> bool:
        expression = _Expression()
        update = expression.update(values)
        condition = f"{expression.name('status')} = {expression.value(UploadStatus.REQUESTED)}"
        items = [
            {"Update": expression.into({"TableName": self.table_name,
                                        "Key": to_item(upload_item_key(member_id, upload_id)),
                                        "UpdateExpression": update, "ConditionExpression": condition})},
            self._audit_put(member_id, audit),
        ]
        client = self.client
        try:
            client.transact_write_items(TransactItems=items)
        except client.exceptions.TransactionCanceledException as exc:
            if 0 in _failed(exc):
                return False
            raise Conflict("archive_changed", "该档案刚刚被他人更新，请稍后重试") from None
        return True

    def mark_file(self, member_id: str, version: int, values: Mapping[str, Any]) -> bool:
        expression = _Expression()
        request = expression.into({
            "TableName": self.table_name, "Key": to_item(archive_version_key(member_id, version)),
            "UpdateExpression": expression.update(values),
            "ConditionExpression": f"attribute_exists(pk) AND attribute_not_exists({expression.name('file_at')})",
        })
        client = self.client
        try:
            client.update_item(**request)
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def mark_notified(self, member_id: str, upload_id: str, at: str) -> None:
        self.client.update_item(
            TableName=self.table_name, Key=to_item(upload_item_key(member_id, upload_id)),
            UpdateExpression="SET notified_at = :at", ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues=to_item({":at": at}),
        )

    # ------------------------------------------------------------ archive changes
    def commit(self, change: ArchiveChange) -> None:
        member_id = change.member_id
        items: list[dict[str, Any]] = []
        kinds: list[str] = []

        member = _Expression()
        member_values = {**_archive_values(change.new), **change.member_values}
        items.append({"Update": member.into({
            "TableName": self.table_name, "Key": to_item(member_key(member_id)),
            "ConditionExpression": member.archive_is(change.expected),
            "UpdateExpression": member.update(member_values),
        })})
        kinds.append("member")
        if change.new_version is not None:
            key = archive_version_key(member_id, change.new.version)
            items.append({"Put": {"TableName": self.table_name, "ConditionExpression": "attribute_not_exists(pk)",
                                  "Item": to_item({**key, "type": "archive_version", "member_id": member_id,
                                                   **change.new_version})}})
            kinds.append("version")
        if change.decided_version is not None:
            version, decision = change.decided_version
            if decision.get("followup_due"):
                listed = DueFollowUp(str(decision["decided_at"]), member_id=member_id, version=version)
                decision = {**decision, **due_follow_up_keys(listed)}
            decided = _Expression()
            items.append({"Update": decided.into({
                "TableName": self.table_name, "Key": to_item(archive_version_key(member_id, version)),
                "UpdateExpression": decided.update(decision),
                "ConditionExpression": f"attribute_exists(pk) AND attribute_not_exists({decided.name('decided_at')})",
            })})
            kinds.append("decided")
        if change.upload is not None:
            upload_id, values = change.upload
            upload = _Expression()
            update = upload.update(values)
            items.append({"Update": upload.into({
                "TableName": self.table_name, "Key": to_item(upload_item_key(member_id, upload_id)),
                "UpdateExpression": update,
                "ConditionExpression": f"{upload.name('status')} = {upload.value(UploadStatus.REQUESTED)}",
            })})
            kinds.append("upload")
        if change.pending is not None:
            path = [str(p) for p in change.pending["branch_path"]]
            items.append({"Put": {"TableName": self.table_name, "Item": to_item({
                **pending_key(member_id), "type": "pending", **change.pending,
                "gsi2pk": f"TREE#{path[0]}", "gsi2sk": f"PENDING#{path_key(path)}{member_id}"})}})
            kinds.append("pending")
        elif change.clear_pending:
            items.append({"Delete": {"TableName": self.table_name, "Key": to_item(pending_key(member_id))}})
            kinds.append("pending")
        items.append(self._audit_put(member_id, change.audit))
        kinds.append("audit")
        for extra in change.extra:
            items.append(dict(extra))
            kinds.append("extra")
        client = self.client
        try:
            client.transact_write_items(TransactItems=items)
        except client.exceptions.TransactionCanceledException as exc:
            positions = _failed(exc)
            failed = [kinds[i] for i in positions if i < len(kinds)]
            if "upload" in failed:
                raise UploadAlreadyProcessed() from None
            if "decided" in failed:
                raise AlreadyDecided() from None
            extras = [i for i, kind in enumerate(kinds) if kind == "extra"]
            for position in positions:
                if position in extras:
                    raise ExtraConditionFailed(extras.index(position)) from None
            raise ArchiveChanged() from None

    def _audit_put(self, member_id: str, audit: Mapping[str, Any]) -> dict[str, Any]:
        key = audit_key(member_id, str(audit["at"]), str(audit["action"]))
        return {"Put": {"TableName": self.table_name, "ConditionExpression": "attribute_not_exists(pk)",
                        "Item": to_item({**key, "type": "audit", "member_id": member_id, **audit})}}

    # ------------------------------------------------------------ lists
    def pending_under(self, org: Organisation, *, kind: str | None, decider_id: str | None, limit: int,
                      after: Mapping[str, Any] | None) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        expression = _Expression()
        filters = []
        if kind:
            filters.append(f"{expression.name('kind')} = {expression.value(kind)}")
        if decider_id:
            filters.append(f"{expression.name('decider_id')} = {expression.value(decider_id)}")
        request = {
            "TableName": self.table_name, "IndexName": GSI_TREE, "Limit": limit,
            "KeyConditionExpression": f"gsi2pk = {expression.value(f'TREE#{org.path[0]}')} AND "
                                      f"begins_with(gsi2sk, {expression.value(f'PENDING#{path_key(org.path)}')})",
        }
        if filters:
            request["FilterExpression"] = " AND ".join(filters)
        if after:
            request["ExclusiveStartKey"] = to_item(after)
        result = self.client.query(**expression.into(request))
        last = result.get("LastEvaluatedKey")
        return [from_item(i) for i in result.get("Items", [])], (from_item(last) if last else None)

    def member_states_under(self, org: Organisation, *, cap: int) -> tuple[list[dict[str, Any]], bool]:
        expression = _Expression()
        projection = ", ".join(expression.name(a) for a in _STATE_ATTRIBUTES)
        request: dict[str, Any] = expression.into({
            "TableName": self.table_name, "IndexName": GSI_TREE, "ProjectionExpression": projection,
            "KeyConditionExpression": f"gsi2pk = {expression.value(f'TREE#{org.path[0]}')} AND "
                                      f"begins_with(gsi2sk, {expression.value(f'MEMBER#{path_key(org.path)}')})",
        })
        members: list[dict[str, Any]] = []
        while True:
            request["Limit"] = min(1000, cap + 1 - len(members))
            result = self.client.query(**request)
            members += [from_item(i) for i in result.get("Items", [])]
            if len(members) > cap:
                return members[:cap], True
            if "LastEvaluatedKey" not in result:
                return members, False
            request["ExclusiveStartKey"] = result["LastEvaluatedKey"]

    def transfers_into(self, org: Organisation) -> list[dict[str, Any]]:
        expression = _Expression()
        request: dict[str, Any] = expression.into({
            "TableName": self.table_name, "IndexName": GSI_TREE,
            "KeyConditionExpression": f"gsi2pk = {expression.value(f'TREE#{org.path[0]}')} AND "
                                      f"begins_with(gsi2sk, {expression.value(f'TRANSFERIN#{path_key(org.path)}')})",
        })
        items: list[dict[str, Any]] = []
        while True:
            result = self.client.query(**request)
            items += [from_item(i) for i in result.get("Items", [])]
            if "LastEvaluatedKey" not in result:
                return items
            request["ExclusiveStartKey"] = result["LastEvaluatedKey"]

    # ------------------------------------------------------------ number corrections (Q&A §5.7)
    def change_number(self, member_id: str, *, old: str, new: str, member_values: Mapping[str, Any],
                      audit: Mapping[str, Any]) -> None:
        """One transaction: the member's number (only while it is still ``old``), the new
        number's claim (only if nobody holds it), the old claim released (only if this member
        holds it), the audit entry — and the copies of the number on the member's open
        pending-decision and transfer items, so the lists show the corrected number."""
        copies = [key for key in (pending_key(member_id), transfer_key(member_id)) if self._get(key)]
        member = _Expression()
        member_update = member.update({"member_number": new, **member_values})
        member_condition = f"attribute_exists(pk) AND {member.name('member_number')} = {member.value(old)}"
        release = _Expression()
        release_condition = f"{release.name('owner')} = {release.value(member_id)}"
        items = [
            {"Update": member.into({"TableName": self.table_name, "Key": to_item(member_key(member_id)),
                                    "UpdateExpression": member_update, "ConditionExpression": member_condition})},
            {"Put": {"TableName": self.table_name, "ConditionExpression": "attribute_not_exists(pk)",
                     "Item": to_item({**number_claim_key(new), "type": "claim", "owner": member_id})}},
            {"Delete": release.into({"TableName": self.table_name, "Key": to_item(number_claim_key(old)),
                                     "ConditionExpression": release_condition})},
            self._audit_put(member_id, audit),
        ]
        for key in copies:
            items.append({"Update": {"TableName": self.table_name, "Key": to_item(key),
                                     "UpdateExpression": "SET member_number = :n",
                                     "ConditionExpression": "attribute_exists(pk)",
                                     "ExpressionAttributeValues": to_item({":n": new})}})
        client = self.client
        try:
            client.transact_write_items(TransactItems=items)
        except client.exceptions.TransactionCanceledException as exc:
            failed = _failed(exc)
            if 1 in failed:
                raise Conflict("number_used", "该发展团员编号已被使用，每个编号只能使用一次",
                               field="member_number") from None
            raise Conflict("number_changed", "该团员的发展团员编号刚刚被他人修改，请刷新后重试") from None

    # ------------------------------------------------------------ transfers (§4.4, Q&A §5.4)
    def open_transfer(self, member_id: str, transfer: Mapping[str, Any], *, branch_id: str,
                      expected: Archive, audit: Mapping[str, Any]) -> None:
        check = _Expression()
        condition = f"{check.archive_is(expected)} AND {check.name('branch_id')} = {check.value(branch_id)}"
        target_path = [str(p) for p in transfer["target_path"]]
        items = [
            {"ConditionCheck": check.into({"TableName": self.table_name, "Key": to_item(member_key(member_id)),
                                           "ConditionExpression": condition})},
            {"Put": {"TableName": self.table_name, "ConditionExpression": "attribute_not_exists(pk)",
                     "Item": to_item({**transfer_key(member_id), "type": "transfer", **transfer,
                                      "gsi2pk": f"TREE#{target_path[0]}",
                                      "gsi2sk": f"TRANSFERIN#{path_key(target_path)}{member_id}"})}},
            self._audit_put(member_id, audit),
        ]
        client = self.client
        try:
            client.transact_write_items(TransactItems=items)
        except client.exceptions.TransactionCanceledException as exc:
            failed = _failed(exc)
            if 1 in failed:
                raise Conflict("transfer_pending", "该团员已有一项待接收的组织关系转接，请勿重复发起") from None
            raise ArchiveChanged() from None

    def complete_transfer(self, member_id: str, *, transfer: Mapping[str, Any], expected: Archive,
                          target: Organisation, name: str, audit: Mapping[str, Any]) -> None:
        """Move the member (branch, path, index keys) while the archive is still ``expected``
        (certified, no change request) and the member still in the source branch; the open
        transfer is consumed in the same transaction (two accepts: one wins)."""
        member = _Expression()
        path = list(target.path)
        values = {"branch_id": target.org_id, "branch_name": target.name, "branch_path": path,
                  **member_index_keys(member_id, name, path), "transferred_at": audit["at"]}
        update = member.update(values)
        developed = member.name("developed_branch_id")
        developed_path = member.name("developed_branch_path")
        update += (f", {developed} = if_not_exists({developed}, {member.value(transfer['source_branch_id'])})"
                   f", {developed_path} = if_not_exists({developed_path}, "
                   f"{member.value(list(transfer['source_path']))})")
        condition = (f"{member.archive_is(expected)} AND "
                     f"{member.name('branch_id')} = {member.value(transfer['source_branch_id'])}")
        consumed = _Expression()
        items = [
            {"Update": member.into({"TableName": self.table_name, "Key": to_item(member_key(member_id)),
                                    "UpdateExpression": update, "ConditionExpression": condition})},
            {"Delete": consumed.into({
                "TableName": self.table_name, "Key": to_item(transfer_key(member_id)),
                "ConditionExpression": f"{consumed.name('transfer_id')} = {consumed.value(transfer['transfer_id'])}",
            })},
            self._audit_put(member_id, audit),
        ]
        self._transfer_transaction(items)

    def close_transfer(self, member_id: str, *, transfer_id: str, audit: Mapping[str, Any]) -> None:
        consumed = _Expression()
        items = [
            {"Delete": consumed.into({
                "TableName": self.table_name, "Key": to_item(transfer_key(member_id)),
                "ConditionExpression": f"{consumed.name('transfer_id')} = {consumed.value(transfer_id)}",
            })},
            self._audit_put(member_id, audit),
        ]
        self._transfer_transaction(items, transfer_index=0)

    def _transfer_transaction(self, items: list[dict[str, Any]], transfer_index: int = 1) -> None:
        client = self.client
        try:
            client.transact_write_items(TransactItems=items)
        except client.exceptions.TransactionCanceledException as exc:
            if transfer_index in _failed(exc):
                raise Conflict("transfer_closed", "该组织关系转接已被处理或撤回，请刷新后查看") from None
            raise ArchiveChanged() from None


def _archive_values(new: Archive) -> dict[str, Any]:
    return {"archive_state": new.state.value, "archive_version": new.version,
            "archive_change_requested": new.change_requested, "archive_change_approved": new.change_approved}


def _failed(exc: Any) -> list[int]:
    reasons = exc.response.get("CancellationReasons", [])
    return [i for i, r in enumerate(reasons) if r.get("Code") == "ConditionalCheckFailed"]
