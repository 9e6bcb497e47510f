from __future__ import annotations

import pytest

from zhtj.domain.domains import check_admission_domain, resolve_domain
from zhtj.domain.errors import AdmissionRefused
from zhtj.domain.glossary import Domain, Industry, IndustryGroup, StudyStatus

SOCIAL_INDUSTRIES = [industry for industry in Industry if industry.group is IndustryGroup.SOCIAL]
SCHOOL_INDUSTRIES = [industry for industry in Industry if industry.group is IndustryGroup.SCHOOL]

BY_STATUS = {
    StudyStatus.JUNIOR_HIGH: Domain.JUNIOR_HIGH,
    StudyStatus.HIGH_SCHOOL: Domain.HIGH_SCHOOL,
    StudyStatus.SECONDARY_VOCATIONAL: Domain.SECONDARY_VOCATIONAL,
    StudyStatus.HIGHER_VOCATIONAL: Domain.HIGHER_VOCATIONAL,
    StudyStatus.UNDERGRADUATE: Domain.UNDERGRADUATE,
    StudyStatus.POSTGRADUATE: Domain.UNDERGRADUATE,
}
BY_INDUSTRY = {
    Industry.UNIVERSITY: Domain.UNDERGRADUATE,
    Industry.VOCATIONAL_COLLEGE: Domain.HIGHER_VOCATIONAL,
    Industry.HIGH_SCHOOL: Domain.HIGH_SCHOOL,
    Industry.SECONDARY_VOCATIONAL: Domain.SECONDARY_VOCATIONAL,
    Industry.JUNIOR_HIGH: Domain.JUNIOR_HIGH,
    Industry.NINE_YEAR: Domain.JUNIOR_HIGH,
}
AMBIGUOUS = [Industry.COMPLETE_SECONDARY, Industry.TWELVE_YEAR]


def test_the_industry_lists_are_the_design_lists() -> None:
    assert len(SOCIAL_INDUSTRIES) == 9 and len(SCHOOL_INDUSTRIES) == 8
    assert set(BY_INDUSTRY) | set(AMBIGUOUS) == set(SCHOOL_INDUSTRIES)


@pytest.mark.parametrize("industry", SOCIAL_INDUSTRIES)
@pytest.mark.parametrize("status", [None, *StudyStatus])
def test_rule_1_a_social_branch_counts_in_the_social_domain(
    industry: Industry, status: StudyStatus | None
) -> None:
    assert resolve_domain(industry, status) is Domain.SOCIAL


@pytest.mark.parametrize("industry", SCHOOL_INDUSTRIES)
@pytest.mark.parametrize("status", list(StudyStatus))
def test_rule_2_in_a_school_branch_the_study_status_decides(industry: Industry, status: StudyStatus) -> None:
    assert resolve_domain(industry, status) is BY_STATUS[status]
    assert check_admission_domain(industry, status) is BY_STATUS[status]


@pytest.mark.parametrize(("industry", "domain"), BY_INDUSTRY.items())
def test_rule_3_without_a_study_status_the_industry_decides(industry: Industry, domain: Domain) -> None:
    assert resolve_domain(industry, None) is domain
    assert check_admission_domain(industry, None) is domain


@pytest.mark.parametrize("industry", AMBIGUOUS)
def test_an_ambiguous_school_needs_the_study_status(industry: Industry) -> None:
    with pytest.raises(AdmissionRefused) as caught:
        resolve_domain(industry, None)
    assert caught.value.code == "study_status_required"
    assert caught.value.field == "study_status"
    assert industry.value in caught.value.message and "在读状况" in caught.value.message
    # …and with one it resolves: a 完全中学 has both 初中 and 高中 pupils.
    assert resolve_domain(industry, StudyStatus.JUNIOR_HIGH) is Domain.JUNIOR_HIGH
    assert resolve_domain(industry, StudyStatus.HIGH_SCHOOL) is Domain.HIGH_SCHOOL


@pytest.mark.parametrize("industry", SOCIAL_INDUSTRIES)
@pytest.mark.parametrize("status", list(StudyStatus))
def test_a_social_branch_may_not_admit_an_in_school_student(industry: Industry, status: StudyStatus) -> None:
    # notice §二.5: 社会领域团组织不得吸收在校学生入团
    with pytest.raises(AdmissionRefused) as caught:
        check_admission_domain(industry, status)
    assert caught.value.code == "social_branch_student"
    assert "学校团组织" in caught.value.message


@pytest.mark.parametrize("industry", SOCIAL_INDUSTRIES)
def test_a_social_branch_admits_a_young_worker(industry: Industry) -> None:
    assert check_admission_domain(industry, None) is Domain.SOCIAL
