"""The bulk path of member validation (``_CanonicalMemberRows``) is an optimisation only: for
every row it accepts, the full checks find no fault and store exactly the same values; every
other row goes through the full checks. Proved here on generated rows near the rules' edges."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.unit.imports._support import TODAY, member, resident_id
from zhtj.imports import MEMBER_TEMPLATE, ImportRow, validate_rows
from zhtj.imports.validation import _CanonicalMemberRows, _Row, _validate_member

NAMES = MEMBER_TEMPLATE.column_names


def _read(row: list[object], number: int = 2) -> ImportRow:
    """The row as reading a file gives it: its cells in template order, blanks as they were."""
    return ImportRow(number, cells=tuple(row), names=NAMES)  # type: ignore[arg-type]


def _full(source: ImportRow) -> tuple[dict[str, str], list[str]]:
    row = _Row(MEMBER_TEMPLATE, source)
    _validate_member(row, TODAY)
    result = row.finish()
    return result.values, [error.code for error in result.errors]


# Variants of each cell: canonical ones and the near misses the full checks must judge.
_ID_VARIANTS = st.sampled_from([
    resident_id(date(2008, 1, 1), 3), resident_id(date(2008, 2, 29), 4), resident_id(date(2009, 12, 31), 5),
    resident_id(date(2010, 5, 1), 7), resident_id(date(2008, 3, 15), 9, "830000"),
    "32010220080101003" + "0", "32010220080101003x", "3201022008010100３X", " " + resident_id(date(2008, 1, 1), 3),
    "990102200801010031", "320102200802300031", "32010220241231003X", 3.2010220080101e17, None, "",
    resident_id(date(2008, 1, 1), 3)[:17],
])
_NAME_VARIANTS = st.sampled_from(["张三", "阿依古丽·买买提", "张 三", " 张三", "张三1", "张三１", "'张三", "'=张三",
                                  "张\u200b三", "李" * 30, "李" * 31, "", None, 12, "Zhang San", "O'Neil"])
_GENDERS = st.sampled_from(["男", "女", "男 ", "男性", "", None, "M"])
_CHOICE = st.sampled_from(["汉族", "汉", "回族", " 汉族", "火星族", None])
_POLITICAL = st.sampled_from(["共青团员", "团员", "群众", None])
_JOIN = st.sampled_from(["2023-03", "2023.3", "2023年3月", "202303", "2023-07", "2022-01", "2021-12", "2023-13",
                         45000, 45000.5, datetime(2023, 3, 1), date(2023, 3, 1), "2023-3", None, "三月"])
_NUMBER = st.sampled_from(["202332000123", "202232000123", "202383000123", "202399000123", "20233200012",
                           "２０２３32000123", " 202332000123", 202332000123.0, "2023320001234", None])
_STUDY = st.sampled_from(["初中在读", "普通高中在读", "中职在读", "不在读", "在读", "", " ", None])
_EDUCATION = st.sampled_from(["初中", "高中", "普通高中", "博士后", None])
_MOBILE = st.sampled_from(["13812345678", "+8613812345678", "138-1234-5678", "12812345678", "1381234567",
                           "１３８12345678", 13812345678, 13812345678.0, None])
_BRANCH = st.sampled_from(["南京市第一中学初三（1）班团支部", "", None, "  ", " 某团支部 ", "支" * 60, "支" * 61, 7])
_REMARKS = st.sampled_from(["", None, "\u3000", "转入", "=HYPERLINK(1)", "'=1", "备" * 200, "备" * 201])


@st.composite
def rows(draw: Any) -> ImportRow:
    base = member(1)
    for index, variants in enumerate((_NAME_VARIANTS, _ID_VARIANTS, _GENDERS, _CHOICE, _POLITICAL, _JOIN, _NUMBER,
                                      _STUDY, _EDUCATION, _MOBILE, _BRANCH, _REMARKS)):
        if draw(st.integers(0, 4)) == 0:  # most rows keep most cells canonical: both paths get exercised
            base[index] = draw(variants)
    return _read(base)


@given(rows())
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(_read(member(1)))
def test_an_accepted_row_is_exactly_what_the_full_checks_give(source: ImportRow) -> None:
    accepted = _CanonicalMemberRows(MEMBER_TEMPLATE, TODAY)(source)
    values, errors = _full(source)
    if accepted is not None:
        assert errors == []
        assert accepted == values


def test_canonical_rows_take_the_bulk_path_and_validate_rows_gives_the_same() -> None:
    """Rows as the template asks for them are accepted (so the path is in use), and the
    results of validate_rows are those of the full checks, for passing and failing rows."""
    canonical = [member(i, 入团年月=form) for i, form in enumerate(("2023-03", "2023.3", "2023年3月", "202303"), 1)]
    failing = [member(9, 性别="女"), member(10, 发展团员编号="202232000010")]
    accept = _CanonicalMemberRows(MEMBER_TEMPLATE, TODAY)
    assert all(accept(_read(row)) is not None for row in canonical)
    assert all(accept(_read(row)) is None for row in failing)
    imported = [_read(row, n) for n, row in enumerate(canonical + failing, start=2)]
    results = validate_rows(MEMBER_TEMPLATE, imported, TODAY)
    assert [(r.values, [e.code for e in r.errors]) for r in results] == [_full(row) for row in imported]


def test_rows_given_as_values_take_the_full_checks() -> None:
    """Single entry and other callers give values, not cells: nothing for the bulk path."""
    assert _CanonicalMemberRows(MEMBER_TEMPLATE, TODAY)(ImportRow(2, _read(member(1)).values)) is None
