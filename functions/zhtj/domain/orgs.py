"""The organisation tree and who may administer which part of it.

DESIGN "Organisations": 团省委 → 团市委 → 团县(市、区)委 → 团委/团工委 → 团总支 → 团支部.
An organisation's place in the tree is its *path*: the ids from the root down to itself.
Storage keys subtrees by ``path_key`` so that "everything under X" is a prefix query.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from types import MappingProxyType
from typing import Final

from zhtj.domain.errors import InvalidOrganisation, NotAuthorised
from zhtj.domain.glossary import Industry, OrgKind, Role

NAME_MAX_LENGTH: Final = 60
SHORT_NAME_MAX_LENGTH: Final = 20
ORG_ID_MAX_LENGTH: Final = 64
PATH_SEPARATOR: Final = "/"

# Which kinds may be created under which (录入操作步骤 二: 创建下级组织).
# A province directly holds its cities and the provincial units the notice is addressed to
# (省级机关团工委, 省直有关单位, 省部属高校团委); a city holds its counties and city-level units;
# a county may hold branches directly (e.g. 农村、社区团支部); 团委/团工委 nest freely (a
# university 团委 holds college 团委/团总支); a 团总支 holds only 团支部; a 团支部 is a leaf.
_UNITS: Final = frozenset({OrgKind.COMMITTEE, OrgKind.WORK_COMMITTEE})
_UNITS_AND_BRANCHES: Final = _UNITS | {OrgKind.GENERAL_BRANCH, OrgKind.BRANCH}
ALLOWED_CHILDREN: Final[Mapping[OrgKind, frozenset[OrgKind]]] = MappingProxyType(
    {
        OrgKind.PROVINCE: frozenset({OrgKind.CITY}) | _UNITS,
        OrgKind.CITY: frozenset({OrgKind.COUNTY}) | _UNITS,
        OrgKind.COUNTY: _UNITS_AND_BRANCHES,
        OrgKind.COMMITTEE: _UNITS_AND_BRANCHES,
        OrgKind.WORK_COMMITTEE: _UNITS_AND_BRANCHES,
        OrgKind.GENERAL_BRANCH: frozenset({OrgKind.BRANCH}),
        OrgKind.BRANCH: frozenset(),
    }
)

# DESIGN "Organisations": name, short name, kind and industry are fixed after creation
# (the industry decides every member's domain, Q&A §5.8, so changing it would silently
# move counted members between quotas — notice §三.2 forbids cross-domain moves).
FIXED_FIELDS: Final = ("name", "short_name", "kind", "industry")
# The place in the tree is not an editable attribute either (moving a subtree would move
# its members and its quota with it).
STRUCTURAL_FIELDS: Final = ("org_id", "parent_id", "path")

_FIELD_LABELS: Final = {
    "name": "组织全称",
    "short_name": "组织简称",
    "kind": "组织类型",
    "industry": "行业类别",
    "org_id": "组织编号",
    "parent_id": "上级组织",
    "path": "上级组织",
}


@dataclass(frozen=True, slots=True)
class Organisation:
    org_id: str
    name: str
    short_name: str
    kind: OrgKind
    parent_id: str | None
    path: tuple[str, ...]  # ids root → self, inclusive
    industry: Industry | None

    def __post_init__(self) -> None:
        # A stored record whose path disagrees with its ids is corrupt; refuse to carry it
        # further rather than authorise against a wrong subtree.
        if not self.path or self.path[-1] != self.org_id:
            raise ValueError(f"path {self.path!r} must end with org_id {self.org_id!r}")
        expected_parent = self.path[-2] if len(self.path) > 1 else None
        if self.parent_id != expected_parent:
            raise ValueError(f"parent_id {self.parent_id!r} disagrees with path {self.path!r}")

    @property
    def path_key(self) -> str:
        return path_key(self.path)


def new_root(org_id: str, name: str, short_name: str) -> Organisation:
    """The province committee (团省委), root of the tree."""
    _check_org_id(org_id)
    return Organisation(
        org_id=org_id,
        name=_checked_name(name, field="name", label="组织全称", limit=NAME_MAX_LENGTH),
        short_name=_checked_short_name(short_name),
        kind=OrgKind.PROVINCE,
        parent_id=None,
        path=(org_id,),
        industry=None,
    )


def new_child(
    parent: Organisation,
    *,
    org_id: str,
    name: str,
    short_name: str,
    kind: OrgKind,
    industry: Industry | None,
) -> Organisation:
    """A new organisation under ``parent``; names are stored without surrounding spaces."""
    allowed = ALLOWED_CHILDREN[parent.kind]
    if kind not in allowed:
        if allowed:
            choices = "、".join(candidate.value for candidate in OrgKind if candidate in allowed)
            message = f"{parent.kind.value}下不能创建{kind.value}，只能创建：{choices}"
        else:
            message = f"{parent.kind.value}是最基层组织，不能创建下级组织"
        raise InvalidOrganisation("kind_not_allowed", message, "kind")
    _check_org_id(org_id)
    if org_id in parent.path:
        raise InvalidOrganisation("org_id_cycle", f"组织编号“{org_id}”已被上级组织使用", "org_id")
    if kind is OrgKind.BRANCH and industry is None:
        # Q&A §5.8: the branch's 行业类别 decides the domain of every member it admits.
        raise InvalidOrganisation(
            "industry_required",
            "创建团支部必须选择行业类别（学校或社会领域），它决定团员所属领域且创建后不可修改",
            "industry",
        )
    return Organisation(
        org_id=org_id,
        name=_checked_name(name, field="name", label="组织全称", limit=NAME_MAX_LENGTH),
        short_name=_checked_short_name(short_name),
        kind=kind,
        parent_id=parent.org_id,
        path=(*parent.path, org_id),
        industry=industry,
    )


def check_update(org: Organisation, changes: Mapping[str, object]) -> None:
    """Refuse an update that would change a field fixed at creation. Sending a fixed field
    with its current value is not a change (forms send every field back)."""
    for field, new_value in changes.items():
        if field not in FIXED_FIELDS and field not in STRUCTURAL_FIELDS:
            continue
        if new_value == getattr(org, field):
            continue
        label = _FIELD_LABELS[field]
        if field in FIXED_FIELDS:
            raise InvalidOrganisation(
                "field_fixed",
                f"{label}创建后不可修改；如确需更改，请撤销该组织后重新创建",
                field,
            )
        raise InvalidOrganisation("field_structural", f"不能通过编辑修改{label}", field)


def path_key(path: Sequence[str]) -> str:
    """Ids joined with "/" plus a trailing "/": the key prefix of a subtree. The trailing
    separator keeps a prefix query for "32/3/" from matching "32/31/"."""
    if not path:
        raise ValueError("an organisation path is never empty")
    return PATH_SEPARATOR.join(path) + PATH_SEPARATOR


def is_within(path: Sequence[str], ancestor_path: Sequence[str]) -> bool:
    """True when ``path`` is ``ancestor_path`` itself or lies below it. An empty ancestor
    path contains nothing: a missing path must never mean "everything"."""
    if not ancestor_path or len(path) < len(ancestor_path):
        return False
    return tuple(path[: len(ancestor_path)]) == tuple(ancestor_path)


def nearest_committee(chain: Sequence[Organisation]) -> Organisation | None:
    """The closest organisation strictly above ``chain[-1]`` whose kind is a committee.

    ``chain`` is root … org. This committee approves archives uploaded at a 团支部/团总支
    (操作指引 §3.2.1 "待上级团委审批", §3.3). None for the root or an empty chain.
    """
    for upper, lower in pairwise(chain):
        if lower.parent_id != upper.org_id:
            raise ValueError(f"{lower.org_id!r} is not a child of {upper.org_id!r}: chain broken")
    for organisation in reversed(chain[:-1]):
        if organisation.kind.is_committee:
            return organisation
    return None


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated account: one user bound to exactly one organisation."""

    username: str
    org_id: str
    org_path: tuple[str, ...]
    role: Role

    def __post_init__(self) -> None:
        if not self.org_path or self.org_path[-1] != self.org_id:
            raise ValueError(f"org_path {self.org_path!r} must end with org_id {self.org_id!r}")


def can_administer(principal: Principal, target_path: Sequence[str]) -> bool:
    """An admin manages its own organisation and everything below it (操作指引 §3.2:
    "本组织" and "下级支部"), never a sibling or an ancestor."""
    return principal.role is Role.ADMIN and is_within(target_path, principal.org_path)


def require_administers(principal: Principal, target_path: Sequence[str]) -> None:
    if not can_administer(principal, target_path):
        raise NotAuthorised("forbidden", "您无权管理该组织：只能管理本组织及其下级组织")


def _check_org_id(org_id: str) -> None:
    # Ids are joined with "/" into path keys, so they must not contain it (or spaces,
    # which would not survive a round trip through a form).
    if (
        not org_id
        or len(org_id) > ORG_ID_MAX_LENGTH
        or PATH_SEPARATOR in org_id
        or any(character.isspace() for character in org_id)
    ):
        raise InvalidOrganisation(
            "org_id_invalid",
            f"组织编号须为1–{ORG_ID_MAX_LENGTH}个字符，且不能包含“/”或空格",
            "org_id",
        )


def _checked_short_name(raw: str) -> str:
    return _checked_name(raw, field="short_name", label="组织简称", limit=SHORT_NAME_MAX_LENGTH)


def _checked_name(raw: str, *, field: str, label: str, limit: int) -> str:
    name = raw.strip()
    if not name:
        raise InvalidOrganisation(f"{field}_empty", f"{label}不能为空", field)
    if len(name) > limit:
        raise InvalidOrganisation(
            f"{field}_too_long",
            f"{label}不能超过{limit}个字，当前为{len(name)}个字",
            field,
        )
    return name
