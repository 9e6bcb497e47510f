"""In-memory implementations of the ports, for the socket-free unit tier. They keep the same
contracts as the DynamoDB adapter (conflicts, quota bounds) so services can be tested
without moto."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from zhtj.domain.errors import QuotaExceeded
from zhtj.domain.orgs import Organisation
from zhtj.services.errors import AuthenticationFailed, Conflict
from zhtj.services.members import HeldSegment, QuotaUse
from zhtj.services.ports import SignInResult


@dataclass
class InMemoryStore:
    orgs: dict[str, Organisation] = field(default_factory=dict)
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    numbers: dict[str, str] = field(default_factory=dict)
    segments: list[HeldSegment] = field(default_factory=list)
    quotas: dict[tuple[int, str, str], dict[str, int]] = field(default_factory=dict)

    # OrganisationRepository
    def get(self, org_id: str) -> Organisation | None:
        return self.orgs.get(org_id)

    def get_many(self, org_ids: Sequence[str]) -> dict[str, Organisation]:
        return {i: self.orgs[i] for i in org_ids if i in self.orgs}

    def children(self, parent_id: str) -> list[Organisation]:
        return sorted((o for o in self.orgs.values() if o.parent_id == parent_id), key=lambda o: o.name)

    def add(self, org: Organisation) -> None:
        if org.org_id in self.orgs:
            raise Conflict("org_exists", f"组织“{org.name}”已存在，请勿重复创建", field="name")
        self.orgs[org.org_id] = org

    def add_many(self, orgs: Iterable[Organisation]) -> None:
        for org in orgs:
            self.orgs[org.org_id] = org

    def check(self) -> dict[str, str]:
        return {"table": "ok"}

    # MemberLedger
    def segments_of(self, org_ids: Sequence[str], year: int, domain: str) -> list[HeldSegment]:
        return [h for h in self.segments if h.holder_id in org_ids and h.segment.year == year
                and h.segment.domain.value == domain]

    def quota_holders(self, org_ids: Sequence[str], year: int, domain: str) -> list[str]:
        return [o for o in org_ids if (year, domain, o) in self.quotas]

    def register_member(self, member: Mapping[str, Any], *, member_number: str, counters: Sequence[QuotaUse],
                        segment: HeldSegment | None = None) -> None:
        member_id = str(member["member_id"])
        if member_id in self.members:
            raise Conflict("member_exists", "该团员已录入，请勿重复提交")
        if member_number in self.numbers:
            raise Conflict("number_used", "该发展团员编号已被使用", field="发展团员编号")
        for c in counters:
            quota = self.quotas[(c.year, c.domain, c.org_id)]
            if quota["used"] + c.delta > quota["quota"]:
                raise QuotaExceeded("quota_exceeded", "发展团员计划名额已用完")
        for c in counters:
            self.quotas[(c.year, c.domain, c.org_id)]["used"] += c.delta
        self.members[member_id] = dict(member)
        self.numbers[member_number] = member_id

    # MemberDirectory
    def get_member(self, member_id: str) -> dict[str, Any] | None:
        return self.members.get(member_id)


@dataclass
class FakeIdentity:
    accounts: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)

    def sign_in(self, username: str, password: str) -> SignInResult:
        account = self.accounts.get(username)
        if account is None or account[0] != password:
            raise AuthenticationFailed("bad_credentials", "用户名或密码错误")
        return SignInResult(id_token=f"token-for-{username}", expires_in=3600)

    def create_admin(self, *, username: str, password: str, org_id: str, role: str,
                     email: str | None = None) -> None:
        self.accounts[username] = (password, {"custom:org_id": org_id, "custom:role": role})
