from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhtj.domain.errors import InvalidMemberNumber, SegmentError
from zhtj.domain.glossary import Domain
from zhtj.domain.numbers import (
    MemberNumber,
    Segment,
    check_disjoint,
    check_number_join_year,
    format_member_number,
    parse_member_number,
)


def number_code(raw: str) -> str:
    with pytest.raises(InvalidMemberNumber) as caught:
        parse_member_number(raw)
    assert caught.value.field == "member_number"
    return caught.value.code


def segment(
    first: int, last: int, *, year: int = 2023, domain: Domain = Domain.JUNIOR_HIGH, province: str = "32"
) -> Segment:
    return Segment(year=year, domain=domain, province_code=province, first=first, last=last)


def test_format_and_parse_round_trip() -> None:
    assert format_member_number(2023, "32", 123) == "202332000123"
    assert parse_member_number("202332000123") == MemberNumber(2023, "32", 123, "202332000123")
    assert str(parse_member_number("202332999999")) == "202332999999"


@pytest.mark.parametrize("typed", [" 2023 32 000123 ", "２０２３３２０００１２３", "\u3000202332000123"])
def test_parse_tolerates_spaces_and_full_width_digits(typed: str) -> None:
    assert parse_member_number(typed).text == "202332000123"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "number_empty"),
        ("   ", "number_empty"),
        ("20233200012", "number_format"),  # 11 digits
        ("2023320001234", "number_format"),  # 13 digits
        ("2023-32-00012", "number_format"),
        ("20233200012X", "number_format"),
        ("202332000123.0", "number_format"),  # a spreadsheet float
        ("202300000123", "number_province"),
        ("202399000123", "number_province"),
        ("202383000123", "number_province"),  # a residence-permit prefix, not a province
    ],
)
def test_malformed_numbers_are_refused(raw: str, code: str) -> None:
    assert number_code(raw) == code


def test_format_refuses_parts_that_do_not_fit() -> None:
    for year, province, sequence, code in [
        (999, "32", 1, "number_format"),
        (10000, "32", 1, "number_format"),
        (2023, "3", 1, "number_province"),
        (2023, "99", 1, "number_province"),
        (2023, "32", -1, "number_format"),
        (2023, "32", 1_000_000, "number_format"),
    ]:
        with pytest.raises(InvalidMemberNumber) as caught:
            format_member_number(year, province, sequence)
        assert caught.value.code == code


def test_a_member_number_must_agree_with_its_text() -> None:
    with pytest.raises(ValueError):
        MemberNumber(2023, "32", 1, "202332000002")


def test_the_first_four_digits_must_be_the_join_year() -> None:
    check_number_join_year(parse_member_number("202332000123"), 2023)
    with pytest.raises(InvalidMemberNumber) as caught:
        check_number_join_year(parse_member_number("202232000123"), 2023)
    assert caught.value.code == "number_year"
    assert caught.value.message == "发展团员编号前四位（2022）须与入团年份（2023）一致"


@pytest.mark.parametrize(("first", "last"), [(-1, 10), (10, 9), (0, 1_000_000), (1_000_000, 1_000_000)])
def test_a_segment_range_must_be_within_the_sequence_space(first: int, last: int) -> None:
    with pytest.raises(SegmentError) as caught:
        segment(first, last)
    assert caught.value.code == "segment_range"


def test_a_segment_needs_a_real_year_and_province() -> None:
    with pytest.raises(SegmentError) as caught:
        segment(0, 1, year=23)
    assert caught.value.code == "segment_year"
    with pytest.raises(SegmentError) as caught:
        segment(0, 1, province="00")
    assert caught.value.code == "segment_province"


def test_segment_size_and_end_numbers() -> None:
    whole = segment(0, 999_999)
    assert whole.size == 1_000_000
    assert (whole.first_number, whole.last_number) == ("202332000000", "202332999999")
    single = segment(5, 5)
    assert single.size == 1 and single.first_number == single.last_number == "202332000005"
    assert str(segment(1, 200)) == "202332000001–202332000200"


def test_number_at_counts_from_the_first_number() -> None:
    block = segment(100, 102)
    assert [block.number_at(offset) for offset in range(3)] == [
        "202332000100",
        "202332000101",
        "202332000102",
    ]
    for offset in (-1, 3):
        with pytest.raises(SegmentError) as caught:
            block.number_at(offset)
        assert caught.value.code == "segment_exhausted"


def test_contains_checks_year_province_and_both_ends_inclusive() -> None:
    block = segment(100, 199)
    assert block.contains(parse_member_number("202332000100"))
    assert block.contains(parse_member_number("202332000199"))
    assert not block.contains(parse_member_number("202332000099"))
    assert not block.contains(parse_member_number("202332000200"))
    assert not block.contains(parse_member_number("202232000150"))  # another year
    assert not block.contains(parse_member_number("202311000150"))  # another province


def test_overlaps_across_domains_of_one_year_but_not_across_years_or_provinces() -> None:
    block = segment(100, 199)
    assert block.overlaps(segment(199, 300))  # sharing the last number
    assert block.overlaps(segment(0, 100))  # sharing the first number
    assert block.overlaps(segment(120, 130))  # nested
    assert block.overlaps(segment(0, 999_999))  # nesting
    assert block.overlaps(segment(150, 160, domain=Domain.SOCIAL))  # one sequence space
    assert not block.overlaps(segment(200, 300))  # adjacent
    assert not block.overlaps(segment(0, 99))
    assert not block.overlaps(segment(100, 199, year=2022))
    assert not block.overlaps(segment(100, 199, province="11"))


def test_covers_requires_the_same_domain() -> None:
    parent = segment(100, 199)
    assert parent.covers(segment(100, 199)) and parent.covers(segment(150, 150))
    assert not parent.covers(segment(99, 150))
    assert not parent.covers(segment(150, 200))
    assert not parent.covers(segment(150, 160, domain=Domain.SOCIAL))


def test_split_gives_the_first_numbers_and_the_rest() -> None:
    block = segment(100, 199, domain=Domain.HIGH_SCHOOL)
    head, rest = block.split(30)
    assert head == segment(100, 129, domain=Domain.HIGH_SCHOOL)
    assert rest == segment(130, 199, domain=Domain.HIGH_SCHOOL)
    assert block.split(1) == (
        segment(100, 100, domain=Domain.HIGH_SCHOOL),
        segment(101, 199, domain=Domain.HIGH_SCHOOL),
    )
    assert block.split(99)[1] == segment(199, 199, domain=Domain.HIGH_SCHOOL)
    assert block.split(100) == (block, None)


@pytest.mark.parametrize("count", [0, -5, 101])
def test_split_refuses_impossible_counts(count: int) -> None:
    with pytest.raises(SegmentError) as caught:
        segment(100, 199).split(count)
    assert caught.value.code == "segment_split"


def test_check_disjoint_accepts_adjacent_and_separate_spaces() -> None:
    check_disjoint([])
    check_disjoint(
        [
            segment(0, 99),
            segment(100, 199, domain=Domain.SOCIAL),
            segment(200, 200),
            segment(0, 99, year=2022),
            segment(0, 99, province="11"),
        ]
    )


@pytest.mark.parametrize(
    "segments",
    [
        [segment(0, 100), segment(100, 200)],
        [segment(0, 100), segment(50, 60, domain=Domain.SOCIAL)],  # across domains
        [segment(0, 1000), segment(10, 20), segment(30, 40)],  # one long segment hides under the next
        [segment(30, 40), segment(0, 1000), segment(10, 20)],  # in any order
        [segment(5, 5), segment(5, 5)],
    ],
)
def test_check_disjoint_refuses_overlaps(segments: list[Segment]) -> None:
    with pytest.raises(SegmentError) as caught:
        check_disjoint(segments)
    assert caught.value.code == "segment_overlap"
    assert "号段重叠" in caught.value.message


# --- properties ---------------------------------------------------------------------------

ranges = st.tuples(st.integers(0, 2_000), st.integers(0, 300)).map(lambda pair: (pair[0], pair[0] + pair[1]))


@settings(database=None, max_examples=300)
@given(bounds=ranges, data=st.data())
def test_split_partitions_the_segment(bounds: tuple[int, int], data: st.DataObject) -> None:
    block = segment(*bounds)
    count = data.draw(st.integers(1, block.size))
    head, rest = block.split(count)
    assert head.size == count and head.first == block.first
    parts = [head] if rest is None else [head, rest]
    assert sum(part.size for part in parts) == block.size
    assert all(block.covers(part) for part in parts)
    check_disjoint(parts)
    if rest is not None:
        assert rest.last == block.last and rest.first == head.last + 1


@settings(database=None, max_examples=300)
@given(
    st.lists(
        st.tuples(ranges, st.sampled_from([2022, 2023]), st.sampled_from(list(Domain))),
        max_size=6,
    )
)
def test_check_disjoint_agrees_with_pairwise_overlaps(
    specs: list[tuple[tuple[int, int], int, Domain]],
) -> None:
    segments = [segment(*bounds, year=year, domain=domain) for bounds, year, domain in specs]
    any_overlap = any(a.overlaps(b) for a, b in itertools.combinations(segments, 2))
    if any_overlap:
        with pytest.raises(SegmentError):
            check_disjoint(segments)
    else:
        check_disjoint(segments)


@settings(database=None, max_examples=300)
@given(year=st.integers(1000, 9999), sequence=st.integers(0, 999_999))
def test_every_formatted_number_parses_back(year: int, sequence: int) -> None:
    number = parse_member_number(format_member_number(year, "32", sequence))
    assert (number.year, number.province_code, number.sequence) == (year, "32", sequence)
