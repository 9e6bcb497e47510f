"""Which domain (领域) a new member counts in — Q&A §5.8, exactly:

① the branch's 行业类别 is a social kind → 社会;
② it is a school kind → the member's 在读状况 decides;
③ no 在读状况 → the branch's 行业类别 decides.

Quotas and number segments are per domain (notice §三.2), so this decides which quota a
member uses and which segment the member's number must come from.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from zhtj.domain.errors import AdmissionRefused
from zhtj.domain.glossary import Domain, Industry, IndustryGroup, StudyStatus

DOMAIN_BY_STUDY_STATUS: Final[Mapping[StudyStatus, Domain]] = MappingProxyType(
    {
        StudyStatus.JUNIOR_HIGH: Domain.JUNIOR_HIGH,
        StudyStatus.HIGH_SCHOOL: Domain.HIGH_SCHOOL,
        StudyStatus.SECONDARY_VOCATIONAL: Domain.SECONDARY_VOCATIONAL,
        StudyStatus.HIGHER_VOCATIONAL: Domain.HIGHER_VOCATIONAL,
        StudyStatus.UNDERGRADUATE: Domain.UNDERGRADUATE,
        # The plan has no postgraduate domain: postgraduates count in 高校本科 (DESIGN).
        StudyStatus.POSTGRADUATE: Domain.UNDERGRADUATE,
    }
)

# School industries that name one domain. 完全中学 (初中 + 高中) and 十二年一贯制学校
# (小学 to 高中) are missing on purpose: without the member's 在读状况 nobody can tell which
# quota the member uses, so guessing would misallocate across domains (notice §三.2).
DOMAIN_BY_SCHOOL_INDUSTRY: Final[Mapping[Industry, Domain]] = MappingProxyType(
    {
        Industry.UNIVERSITY: Domain.UNDERGRADUATE,
        Industry.VOCATIONAL_COLLEGE: Domain.HIGHER_VOCATIONAL,
        Industry.HIGH_SCHOOL: Domain.HIGH_SCHOOL,
        Industry.SECONDARY_VOCATIONAL: Domain.SECONDARY_VOCATIONAL,
        Industry.JUNIOR_HIGH: Domain.JUNIOR_HIGH,
        # 九年一贯制 = 小学 + 初中; primary pupils are under 14, so a member is a 初中 pupil.
        Industry.NINE_YEAR: Domain.JUNIOR_HIGH,
    }
)

FIELD: Final = "study_status"


def resolve_domain(industry: Industry, study_status: StudyStatus | None) -> Domain:
    """The domain a member of a branch of ``industry`` counts in (Q&A §5.8)."""
    if industry.group is IndustryGroup.SOCIAL:
        return Domain.SOCIAL  # ①
    if study_status is not None:
        return DOMAIN_BY_STUDY_STATUS[study_status]  # ②
    domain = DOMAIN_BY_SCHOOL_INDUSTRY.get(industry)  # ③
    if domain is None:
        raise AdmissionRefused(
            "study_status_required",
            f"团支部行业类别为“{industry.value}”，无法确定团员所属领域，请填写在读状况"
            "（如初中在读、普通高中在读）",
            FIELD,
        )
    return domain


def check_admission_domain(industry: Industry, study_status: StudyStatus | None) -> Domain:
    """Like ``resolve_domain``, for admitting a new member: a social-domain branch may not
    admit an in-school student."""
    if industry.group is IndustryGroup.SOCIAL and study_status is not None:
        # Notice §二.5: 在校学生必须经学校团组织吸收入团，社会领域团组织不得吸收在校学生入团.
        raise AdmissionRefused(
            "social_branch_student",
            f"在校学生（{study_status.value}）必须经学校团组织吸收入团，"
            f"社会领域团支部（行业类别“{industry.value}”）不得吸收在校学生入团",
            FIELD,
        )
    return resolve_domain(industry, study_status)
