"""Glossary: each domain term has exactly one English name in the code.

The Chinese term is the enum *value* (what users see, what spreadsheets hold); the English
name is the enum *member* (what code says). Sources: 团苏组字〔2023〕2号 (the notice) and
its 附件2 (the operation guide, 操作指引 and 录入操作步骤).

| English (code)            | 中文                      |
|---------------------------|---------------------------|
| organisation              | 团组织                    |
| committee                 | 团委 / 团工委 / 领导机关  |
| branch                    | 团支部                    |
| general branch            | 团总支                    |
| industry                  | 行业类别                  |
| domain                    | 领域                      |
| study status              | 在读状况                  |
| plan / quota              | 发展团员计划 / 名额        |
| member number             | 发展团员编号              |
| number segment            | 号段                      |
| archive                   | 团员电子档案（入团志愿书）|
| change request            | 变更申请（操作指引 §4.5） |
| usage rate                | 编号使用率                |
| completeness              | 电子档案录入完整率        |
| youth ratio               | 团青比                    |
"""

from __future__ import annotations

from enum import StrEnum


class OrgKind(StrEnum):
    """Kinds of organisation in the tree 团省委 → 团市委 → 团县委 → 团委/团工委 → 团总支 → 团支部."""

    PROVINCE = "团省委"
    CITY = "团市委"
    COUNTY = "团县(市、区)委"
    COMMITTEE = "团委"
    WORK_COMMITTEE = "团工委"
    GENERAL_BRANCH = "团总支"
    BRANCH = "团支部"

    @property
    def is_committee(self) -> bool:
        """Leading bodies (领导机关) and 团委/团工委: uploads by their admins need no approval
        (操作指引 §3.2.2) and they are the ones who approve (§3.3)."""
        return self not in (OrgKind.GENERAL_BRANCH, OrgKind.BRANCH)


class IndustryGroup(StrEnum):
    SCHOOL = "学校"
    SOCIAL = "社会"


class Industry(StrEnum):
    """行业类别 of a 团支部; fixed after creation."""

    # school kinds
    UNIVERSITY = "普通高等院校"
    VOCATIONAL_COLLEGE = "职业教育学校(高职)"
    HIGH_SCHOOL = "普通高中"
    SECONDARY_VOCATIONAL = "中等职业学校"
    COMPLETE_SECONDARY = "完全中学"
    JUNIOR_HIGH = "初中"
    NINE_YEAR = "九年一贯制学校"
    TWELVE_YEAR = "十二年一贯制学校"
    # social kinds
    GOVERNMENT = "党政机关"
    PUBLIC_INSTITUTION = "事业单位"
    STATE_ENTERPRISE = "国有企业"
    COLLECTIVE_ENTERPRISE = "集体企业"
    PRIVATE_ENTERPRISE = "非公企业"
    NEW_SOCIAL_ORGANISATION = "新社会组织"
    URBAN_COMMUNITY = "城市社区"
    RURAL = "农村"
    OTHER = "其他"

    @property
    def group(self) -> IndustryGroup:
        return IndustryGroup.SCHOOL if self in _SCHOOL_INDUSTRIES else IndustryGroup.SOCIAL


_SCHOOL_INDUSTRIES = frozenset(
    {
        Industry.UNIVERSITY,
        Industry.VOCATIONAL_COLLEGE,
        Industry.HIGH_SCHOOL,
        Industry.SECONDARY_VOCATIONAL,
        Industry.COMPLETE_SECONDARY,
        Industry.JUNIOR_HIGH,
        Industry.NINE_YEAR,
        Industry.TWELVE_YEAR,
    }
)


class Domain(StrEnum):
    """The plan's domains (领域). The notice §一.2 names five (初中, 普通高中, 中职, 高校, 社会);
    plans and segments split 高校 into 高校本科 and 高职(专科) (notice §二, §二.4), so quotas are
    kept per one of these six."""

    JUNIOR_HIGH = "初中"
    HIGH_SCHOOL = "普通高中"
    SECONDARY_VOCATIONAL = "中职"
    UNDERGRADUATE = "高校本科"
    HIGHER_VOCATIONAL = "高职(专科)"
    SOCIAL = "社会"

    @property
    def is_university(self) -> bool:
        return self in (Domain.UNDERGRADUATE, Domain.HIGHER_VOCATIONAL)


class StudyStatus(StrEnum):
    """在读状况 of a new member (Q&A §5.8)."""

    JUNIOR_HIGH = "初中在读"
    HIGH_SCHOOL = "普通高中在读"
    SECONDARY_VOCATIONAL = "中职在读"
    HIGHER_VOCATIONAL = "高职在读"
    UNDERGRADUATE = "本科在读"
    POSTGRADUATE = "研究生在读"


class ArchiveState(StrEnum):
    """团员身份认证 status of a member's archive (操作指引 §3, Q&A §5.3)."""

    NOT_CERTIFIED = "尚未认证"  # nothing accepted yet
    PENDING = "待审批"  # uploaded by a 团支部/团总支 admin, waiting for the upper committee
    CERTIFIED = "团员身份已认证"
    REJECTED = "认证不通过"


class Role(StrEnum):
    """Roles of an account; every account is bound to exactly one organisation."""

    ADMIN = "admin"  # 团组织管理员


class Gender(StrEnum):
    """性别 as the ID number encodes it (GB 11643: the 17th digit, odd = 男, even = 女)."""

    MALE = "男"
    FEMALE = "女"
