"""Use cases on the organisation tree (录入操作步骤 §二: 管理下级组织 / 创建下级组织).

Every use case takes the verified caller (a Principal) and checks that the target lies in
the caller's subtree before it reads or writes anything else."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from zhtj.domain.glossary import Industry, OrgKind
from zhtj.domain.orgs import Organisation, Principal, new_child, require_administers
from zhtj.services.errors import NotFound
from zhtj.services.ports import OrganisationRepository


@dataclass(frozen=True)
class NewOrganisation:
    """What an admin fills in to create a sub-organisation."""

    name: str
    short_name: str
    kind: OrgKind
    industry: Industry | None = None


def child_id(parent_id: str, name: str) -> str:
    """Deterministic id of a child: the same parent and full name always give the same id,
    so a double-submitted form or a re-run batch import hits the conditional put and creates
    nothing twice. The full name is fixed after creation (DESIGN.md), so the id stays true."""
    digest = hashlib.sha256(f"{parent_id}/{name.strip()}".encode()).hexdigest()
    return "o" + digest[:12]


def load(orgs: OrganisationRepository, org_id: str) -> Organisation:
    org = orgs.get(org_id)
    if org is None:
        raise NotFound("org_not_found", f"组织“{org_id}”不存在，请检查组织编号", field="org_id")
    return org


def get_organisation(principal: Principal, org_id: str, orgs: OrganisationRepository) -> Organisation:
    org = load(orgs, org_id)
    require_administers(principal, org.path)
    return org


def list_children(principal: Principal, org_id: str, orgs: OrganisationRepository) -> list[Organisation]:
    parent = get_organisation(principal, org_id, orgs)
    return orgs.children(parent.org_id)


def ancestry(org: Organisation, orgs: OrganisationRepository) -> list[Organisation]:
    """The chain root … org (one batch read)."""
    found = orgs.get_many(list(org.path))
    return [found[i] for i in org.path if i in found]


def create_child(
    principal: Principal, parent_id: str, draft: NewOrganisation, orgs: OrganisationRepository
) -> Organisation:
    parent = get_organisation(principal, parent_id, orgs)
    child = new_child(
        parent,
        org_id=child_id(parent.org_id, draft.name),
        name=draft.name,
        short_name=draft.short_name,
        kind=draft.kind,
        industry=draft.industry,
    )
    orgs.add(child)
    return child
