from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhtj.domain.errors import AdmissionRefused
from zhtj.domain.glossary import Gender
from zhtj.domain.ids import parse_resident_id
from zhtj.domain.members import (
    age_on,
    check_admission_age,
    check_gender_matches,
    check_join_month_not_future,
    join_date_from_year_month,
)

from ._support import TODAY, make_resident_id


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        (date(2009, 5, 10), date(2023, 5, 10), 14),  # the birthday completes the year
        (date(2009, 5, 10), date(2023, 5, 9), 13),
        (date(2009, 5, 10), date(2023, 12, 31), 14),
        (date(2009, 12, 31), date(2023, 1, 1), 13),
        (date(2008, 2, 29), date(2022, 2, 28), 13),  # leap-day birthday in a common year…
        (date(2008, 2, 29), date(2022, 3, 1), 14),  # …is completed on 1 March
        (date(2008, 2, 29), date(2036, 2, 29), 28),
        (date(2009, 5, 10), date(2009, 5, 10), 0),
        (date(2009, 5, 10), date(2009, 5, 9), -1),
    ],
)
def test_age_on(birth: date, on: date, age: int) -> None:
    assert age_on(birth, on) == age


def test_join_date_is_the_first_of_the_month() -> None:
    assert join_date_from_year_month(2023, 4) == date(2023, 4, 1)
    assert join_date_from_year_month(2023, 12) == date(2023, 12, 1)
    for month in (0, 13):
        with pytest.raises(AdmissionRefused) as caught:
            join_date_from_year_month(2023, month)
        assert caught.value.code == "join_month_invalid"
    with pytest.raises(AdmissionRefused) as caught:
        join_date_from_year_month(0, 5)
    assert caught.value.code == "join_year_invalid"


def test_a_thirteen_year_old_is_refused() -> None:
    # notice §三.1: 严格执行《团章》规定，年满14周岁方可入团
    with pytest.raises(AdmissionRefused) as caught:
        check_admission_age(date(2010, 1, 15), 2023, 4)
    assert caught.value.code == "under_age"
    assert caught.value.field == "join_date"
    assert "未满14周岁" in caught.value.message
    assert "最早可于2024年2月入团" in caught.value.message


def test_a_member_fourteen_on_the_first_of_the_join_month_is_admitted() -> None:
    check_admission_age(date(2009, 4, 1), 2023, 4)
    check_admission_age(date(2009, 3, 31), 2023, 4)
    check_admission_age(date(1998, 7, 1), 2023, 4)  # any older age is fine too


def test_turning_fourteen_later_in_the_join_month_is_not_enough() -> None:
    # The strict reading: the admission may have been on the 1st.
    with pytest.raises(AdmissionRefused) as caught:
        check_admission_age(date(2009, 4, 2), 2023, 4)
    assert "最早可于2023年5月入团" in caught.value.message
    with pytest.raises(AdmissionRefused) as caught:
        check_admission_age(date(2009, 12, 31), 2023, 12)
    assert "最早可于2024年1月入团" in caught.value.message


def test_a_leap_day_birth_is_fourteen_from_1_march() -> None:
    check_admission_age(date(2008, 2, 29), 2022, 3)
    with pytest.raises(AdmissionRefused) as caught:
        check_admission_age(date(2008, 2, 29), 2022, 2)
    assert "最早可于2022年3月入团" in caught.value.message


def test_the_join_month_cannot_be_in_the_future() -> None:
    check_join_month_not_future(2023, 3, TODAY)  # the current month has begun
    with pytest.raises(AdmissionRefused) as caught:
        check_join_month_not_future(2023, 4, TODAY)
    assert caught.value.code == "join_in_future"


def test_gender_must_match_the_id_number() -> None:
    female = parse_resident_id("11010519491231002X", TODAY)
    male = parse_resident_id("440524188001010014", TODAY)
    check_gender_matches(female, "女")
    check_gender_matches(male, " 男 ")
    check_gender_matches(male, Gender.MALE)
    with pytest.raises(AdmissionRefused) as caught:
        check_gender_matches(female, "男")
    assert caught.value.code == "gender_mismatch"
    assert caught.value.field == "gender"
    assert "第17位" in caught.value.message


@pytest.mark.parametrize("gender", ["", "M", "male", "未知"])
def test_gender_must_be_one_of_the_two_values(gender: str) -> None:
    with pytest.raises(AdmissionRefused) as caught:
        check_gender_matches(parse_resident_id("440524188001010014", TODAY), gender)
    assert caught.value.code == "gender_invalid"


@settings(database=None, max_examples=300)
@given(
    birth=st.dates(min_value=date(1990, 1, 1), max_value=date(2012, 12, 31)),
    join_year=st.integers(2020, 2026),
    join_month=st.integers(1, 12),
)
def test_the_age_check_is_exactly_fourteen_on_the_first_of_the_month(
    birth: date, join_year: int, join_month: int
) -> None:
    old_enough = age_on(birth, date(join_year, join_month, 1)) >= 14
    try:
        check_admission_age(birth, join_year, join_month)
    except AdmissionRefused:
        assert not old_enough
    else:
        assert old_enough


def test_the_age_check_works_from_a_parsed_id() -> None:
    birth = parse_resident_id(make_resident_id("320102", date(2009, 5, 10), 1), TODAY).birth_date
    with pytest.raises(AdmissionRefused):
        check_admission_age(birth, 2023, 5)  # 14 on the 10th, the month began before
    check_admission_age(birth, 2023, 6)
