"""发展团员编号 (member development numbers) and 号段 (number segments).

DESIGN "Member development number": 12 digits. The first four equal the join year — the
real system enforces that. This project's convention for the other eight is a 2-digit
province code (GB/T 2260, Jiangsu = 32) and a 6-digit sequence:

    2023 32 000123  →  year 2023, province 32, sequence 123

A segment is an inclusive sequence range given to one unit for one domain and year. All
domains of one year and province share one sequence space, so segments never overlap even
across domains — otherwise one number could be valid in two quotas (notice §三.2: 编号号段
不得相互挤占、挪用).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from zhtj.domain.errors import InvalidMemberNumber, SegmentError
from zhtj.domain.glossary import Domain
from zhtj.domain.ids import PROVINCE_CODES, normalise_digit_string

FIELD: Final = "member_number"
MEMBER_NUMBER_LENGTH: Final = 12
MAX_SEQUENCE: Final = 999_999
MIN_YEAR: Final = 1000  # the year part is exactly four digits
MAX_YEAR: Final = 9999
# 83 is a residence-permit prefix (see ids.PROVINCE_CODES), not a GB/T 2260 province.
MEMBER_NUMBER_PROVINCE_CODES: Final[frozenset[str]] = PROVINCE_CODES - {"83"}


@dataclass(frozen=True, slots=True)
class MemberNumber:
    year: int
    province_code: str
    sequence: int
    text: str  # the canonical 12-digit form

    def __post_init__(self) -> None:
        if self.text != _format(self.year, self.province_code, self.sequence):
            raise ValueError(f"text {self.text!r} disagrees with its parts")

    def __str__(self) -> str:
        return self.text


def format_member_number(year: int, province_code: str, sequence: int) -> str:
    _check_year_and_province(
        year,
        province_code,
        InvalidMemberNumber,
        year_code="number_format",
        province_code_error="number_province",
        field=FIELD,
    )
    if not 0 <= sequence <= MAX_SEQUENCE:
        raise InvalidMemberNumber("number_format", f"序号{sequence}有误：须在0–{MAX_SEQUENCE}之间", FIELD)
    return _format(year, province_code, sequence)


def parse_member_number(raw: str) -> MemberNumber:
    """Parse a number as typed or imported (spaces and full-width digits are tolerated)."""
    text = normalise_digit_string(raw)
    if not text:
        raise InvalidMemberNumber(
            "number_empty",
            "发展团员编号不能为空，请填写《入团志愿书》首页的12位编号",
            FIELD,
        )
    if len(text) != MEMBER_NUMBER_LENGTH or not text.isascii() or not text.isdigit():
        raise InvalidMemberNumber(
            "number_format",
            f"发展团员编号应为12位数字，当前为“{text}”（{len(text)}位），请核对《入团志愿书》首页的编号",
            FIELD,
        )
    province_code = text[4:6]
    if province_code not in MEMBER_NUMBER_PROVINCE_CODES:
        raise InvalidMemberNumber(
            "number_province",
            f"发展团员编号第5–6位“{province_code}”不是有效的省级行政区划代码（江苏为32），请核对",
            FIELD,
        )
    return MemberNumber(year=int(text[:4]), province_code=province_code, sequence=int(text[6:]), text=text)


def check_number_join_year(number: MemberNumber, join_year: int) -> None:
    """The first four digits must equal the join year (DESIGN; the real system enforces it).
    A number from last year's segment is last year's quota (notice §三.2: 不得跨年度挤占挪用)."""
    if number.year != join_year:
        raise InvalidMemberNumber(
            "number_year",
            f"发展团员编号前四位（{number.year}）须与入团年份（{join_year}）一致",
            FIELD,
        )


@dataclass(frozen=True, slots=True)
class Segment:
    """An inclusive range of sequences [first, last] for one year, domain and province."""

    year: int
    domain: Domain
    province_code: str
    first: int
    last: int

    def __post_init__(self) -> None:
        _check_year_and_province(
            self.year,
            self.province_code,
            SegmentError,
            year_code="segment_year",
            province_code_error="segment_province",
            field="segment",
        )
        if not 0 <= self.first <= self.last <= MAX_SEQUENCE:
            raise SegmentError(
                "segment_range",
                f"号段起止序号有误（{self.first}–{self.last}）：须满足 0 ≤ 起始 ≤ 结束 ≤ {MAX_SEQUENCE}",
                "segment",
            )

    @property
    def size(self) -> int:
        return self.last - self.first + 1

    @property
    def first_number(self) -> str:
        return _format(self.year, self.province_code, self.first)

    @property
    def last_number(self) -> str:
        return _format(self.year, self.province_code, self.last)

    def __str__(self) -> str:
        return f"{self.first_number}–{self.last_number}"

    def number_at(self, offset: int) -> str:
        """The ``offset``-th number of the segment, counting from 0."""
        if not 0 <= offset < self.size:
            raise SegmentError(
                "segment_exhausted",
                f"号段{self}共{self.size}个编号，已无第{offset + 1}个可用编号",
                "segment",
            )
        return _format(self.year, self.province_code, self.first + offset)

    def contains(self, number: MemberNumber) -> bool:
        """Same year and province, sequence inside. The domain is the caller's check: only
        the caller knows the member's domain."""
        return (
            number.year == self.year
            and number.province_code == self.province_code
            and self.first <= number.sequence <= self.last
        )

    def covers(self, other: Segment) -> bool:
        """``other`` lies entirely inside this segment, for the same domain (a child's
        segment must come out of its parent's)."""
        return (
            other.year == self.year
            and other.province_code == self.province_code
            and other.domain == self.domain
            and self.first <= other.first
            and other.last <= self.last
        )

    def overlaps(self, other: Segment) -> bool:
        """Ranges intersect within one year and province, whatever the domains: the domains
        of a year share one sequence space."""
        return (
            self.year == other.year
            and self.province_code == other.province_code
            and self.first <= other.last
            and other.first <= self.last
        )

    def split(self, count: int) -> tuple[Segment, Segment | None]:
        """The first ``count`` numbers, and the rest (None when nothing is left)."""
        if not 1 <= count <= self.size:
            raise SegmentError(
                "segment_split",
                f"号段{self}共{self.size}个编号，无法分出{count}个",
                "segment",
            )
        head = Segment(self.year, self.domain, self.province_code, self.first, self.first + count - 1)
        if count == self.size:
            return head, None
        return head, Segment(self.year, self.domain, self.province_code, self.first + count, self.last)


def check_disjoint(segments: Iterable[Segment]) -> None:
    """Raise SegmentError naming the first overlapping pair found."""
    ordered = sorted(segments, key=lambda segment: (segment.year, segment.province_code, segment.first))
    reach: Segment | None = None  # the segment reaching furthest so far in this year/province
    for segment in ordered:
        if reach is not None and reach.overlaps(segment):
            raise SegmentError(
                "segment_overlap",
                f"号段重叠：{reach}（{reach.domain.value}）与{segment}（{segment.domain.value}）"
                "存在相同编号，请调整起止编号",
                "segment",
            )
        same_space = reach is not None and (reach.year, reach.province_code) == (
            segment.year,
            segment.province_code,
        )
        if reach is None or not same_space or segment.last > reach.last:
            reach = segment


def _format(year: int, province_code: str, sequence: int) -> str:
    return f"{year:04d}{province_code}{sequence:06d}"


def _check_year_and_province(
    year: int,
    province_code: str,
    error: type[InvalidMemberNumber] | type[SegmentError],
    *,
    year_code: str,
    province_code_error: str,
    field: str,
) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise error(year_code, f"年份{year}有误：须为四位数年份", field)
    if province_code not in MEMBER_NUMBER_PROVINCE_CODES:
        raise error(province_code_error, f"省级行政区划代码“{province_code}”有误（江苏为32）", field)
