"""Admission checks on a new member's personal data (age, gender, join month)."""

from __future__ import annotations

from datetime import date
from typing import Final

from zhtj.domain.errors import AdmissionRefused
from zhtj.domain.glossary import Gender
from zhtj.domain.ids import ResidentId

MINIMUM_AGE: Final = 14  # 团章; notice §三.1: 严格执行《团章》规定，年满14周岁方可入团
JOIN_DATE_FIELD: Final = "join_date"
GENDER_FIELD: Final = "gender"


def age_on(birth: date, on: date) -> int:
    """Full years (周岁) on ``on``. The birthday itself completes a year; a 29 February
    birthday is completed on 1 March in common years. Negative before ``birth``."""
    birthday_not_reached = (on.month, on.day) < (birth.month, birth.day)
    return on.year - birth.year - int(birthday_not_reached)


def join_date_from_year_month(year: int, month: int) -> date:
    """入团时间 is recorded as a year and a month; this is the first day of that month,
    the date the age rule is judged on (see ``check_admission_age``)."""
    if not 1 <= month <= 12:
        raise AdmissionRefused("join_month_invalid", f"入团月份“{month}”有误，须为1–12", JOIN_DATE_FIELD)
    if not 1 <= year <= 9999:
        raise AdmissionRefused("join_year_invalid", f"入团年份“{year}”有误", JOIN_DATE_FIELD)
    return date(year, month, 1)


def check_admission_age(birth: date, join_year: int, join_month: int) -> None:
    """Refuse a member not yet 14 full years old when admitted.

    入团年月 carries no day, so the member must be 14 on the *first* day of the join month.
    Why the strict reading: the admission (支部大会讨论 and 上级团委审批) may have been on any
    day of that month, and only a member already 14 on the 1st was certainly 14 on that day.
    The lenient reading (14 by the last day) would accept someone admitted on, say, the 3rd
    who turned 14 on the 20th — and notice §三.4 says 违反规定吸收入团的，一律不予承认, so the
    branch pays more for a false acceptance than for recording the admission a month later.
    """
    join_date = join_date_from_year_month(join_year, join_month)
    age = age_on(birth, join_date)
    if age < MINIMUM_AGE:
        turns_14 = _fourteenth_birthday(birth)
        earliest_month = turns_14 if turns_14.day == 1 else _first_of_next_month(turns_14)
        raise AdmissionRefused(
            "under_age",
            f"入团时未满14周岁：出生日期{birth.isoformat()}，入团年月{join_year}年{join_month}月"
            f"（按当月1日计算为{max(age, 0)}周岁）。团章规定年满14周岁方可入团，"
            f"最早可于{earliest_month.year}年{earliest_month.month}月入团",
            JOIN_DATE_FIELD,
        )


def check_join_month_not_future(join_year: int, join_month: int, today: date) -> None:
    """A member cannot be recorded as admitted in a month that has not begun."""
    join_date = join_date_from_year_month(join_year, join_month)
    if join_date > today:
        raise AdmissionRefused(
            "join_in_future",
            f"入团年月{join_year}年{join_month}月晚于当前月份，请核对入团时间",
            JOIN_DATE_FIELD,
        )


def check_gender_matches(resident_id: ResidentId, gender: str) -> None:
    """The entered 性别 must agree with the ID number's 17th digit (odd 男, even 女)."""
    entered = gender.strip()
    if entered not in (Gender.MALE.value, Gender.FEMALE.value):
        raise AdmissionRefused("gender_invalid", f"性别“{entered}”有误，只能填写“男”或“女”", GENDER_FIELD)
    if entered != resident_id.gender.value:
        raise AdmissionRefused(
            "gender_mismatch",
            f"性别“{entered}”与身份证号码不符（身份证号码第17位表示“{resident_id.gender.value}”），"
            "请核对性别或身份证号码",
            GENDER_FIELD,
        )


def _fourteenth_birthday(birth: date) -> date:
    try:
        return birth.replace(year=birth.year + MINIMUM_AGE)
    except ValueError:  # born 29 February, 14th birthday in a common year
        return date(birth.year + MINIMUM_AGE, 3, 1)


def _first_of_next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)
