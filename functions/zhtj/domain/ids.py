"""居民身份证号码 (GB 11643-1999 公民身份号码): normalisation, validation, masking.

DESIGN "Admission checks": a new member needs a valid 18-digit ID number — MOD 11-2 check
digit, a real birth date, and a lower-case x means the same as X. The number is

    6-digit address code (GB/T 2260) · 8-digit birth date YYYYMMDD · 3-digit sequence
    (odd = 男, even = 女) · 1 check character (0–9 or X)

Only the province part of the address code is checked: county codes are renamed and merged
every year, and an ID keeps the code it was issued with, so a county table would refuse
real people.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date
from operator import mul
from typing import Final

from zhtj.domain.errors import InvalidResidentId
from zhtj.domain.glossary import Gender

FIELD: Final = "resident_id"
RESIDENT_ID_LENGTH: Final = 18

# GB/T 2260 province-level codes: 11–15 华北, 21–23 东北, 31–37 华东, 41–46 中南, 50–54 西南,
# 61–65 西北, 71 台湾, 81 香港, 82 澳门. 83 is not a GB/T 2260 code: it is the prefix of the
# 港澳台居民居住证 numbers (same 18-character layout and check digit), which these residents
# may present instead of an ID card, so it is accepted too.
PROVINCE_CODES: Final[frozenset[str]] = frozenset(
    [str(code) for code in range(11, 16)]
    + [str(code) for code in range(21, 24)]
    + [str(code) for code in range(31, 38)]
    + [str(code) for code in range(41, 47)]
    + [str(code) for code in range(50, 55)]
    + [str(code) for code in range(61, 66)]
    + ["71", "81", "82", "83"]
)

# The number system dates from 1999; its own worked example (440524188001010014) is of a
# person born in 1880. A year before 1800 is a typing error, not a person.
EARLIEST_BIRTH_YEAR: Final = 1800

_CHECK_WEIGHTS: Final = tuple(2 ** (17 - position) % 11 for position in range(17))
_CHECK_CHARACTERS: Final = "10X98765432"  # indexed by (Σ digit × weight) mod 11
_ZERO_TOTAL: Final = ord("0") * sum(_CHECK_WEIGHTS)  # Σ over the digits' ASCII codes overshoots by this

# Full-width digits and X (typed with a Chinese IME) become half-width; x is the same as X.
_HALFWIDTH: Final = str.maketrans(
    {**{chr(0xFF10 + digit): str(digit) for digit in range(10)}, "Ｘ": "X", "ｘ": "X", "x": "X"}
)
_HALFWIDTH_DIGITS_ONLY: Final = str.maketrans({chr(0xFF10 + digit): str(digit) for digit in range(10)})
# Characters that str.split() does not treat as spaces but that arrive with text copied from
# web pages and Word documents.
_INVISIBLE: Final = str.maketrans(dict.fromkeys(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]))
_ASCII_BODY: Final = re.compile(r"[0-9]{17}[0-9X]")

# 18 ID-like characters in free text (the log scrubber's pattern): 17 digits and a digit or
# X/x, not inside a longer run of digits. \d is deliberately Unicode and the full-width Ｘ/ｘ
# are included: an ID typed with a Chinese IME must not slip through a log line either.
RESIDENT_ID_PATTERN: Final[re.Pattern[str]] = re.compile(r"(?<!\d)\d{17}[\dXxＸｘ](?!\d)")


@dataclass(frozen=True, slots=True)
class ResidentId:
    """A validated 18-character ID number (normalised: half-width, upper-case X)."""

    number: str
    province_code: str
    birth_date: date
    gender: Gender

    @property
    def masked(self) -> str:
        return mask_resident_id(self.number)


def normalise_digit_string(raw: str) -> str:
    """Remove every kind of space (incl. full-width U+3000 and zero-width characters) and
    turn full-width digits into half-width ones. Shared by ID and member numbers."""
    return "".join(raw.translate(_INVISIBLE).split()).translate(_HALFWIDTH_DIGITS_ONLY)


def normalise_resident_id(raw: str) -> str:
    """The canonical form of a typed ID number: no spaces, half-width, upper-case X."""
    return "".join(raw.translate(_INVISIBLE).split()).translate(_HALFWIDTH)


def resident_id_check_character(first_17_digits: str) -> str:
    """GB 11643 MOD 11-2: the 18th character for the given 17 digits."""
    if len(first_17_digits) != 17 or not first_17_digits.isascii() or not first_17_digits.isdigit():
        raise ValueError("need exactly 17 ASCII digits")
    return _check_character(first_17_digits)


def _check_character(first_17_ascii_digits: str) -> str:
    # The digits' ASCII codes are summed instead of int(digit) each: same remainder, a
    # fraction of the cost (an import checks every row's number).
    total = sum(map(mul, first_17_ascii_digits.encode("ascii"), _CHECK_WEIGHTS)) - _ZERO_TOTAL
    return _CHECK_CHARACTERS[total % 11]


def parse_resident_id(raw: str, today: date) -> ResidentId:
    """Validate an ID number as typed by an admin; raise InvalidResidentId naming the fault.

    Checks run from the coarsest to the finest so that the message points at the real
    mistake: a date typo is reported as a date typo, not as a wrong check digit.
    """
    number = normalise_resident_id(raw)
    if not number:
        raise InvalidResidentId("id_empty", "身份证号码不能为空，请填写18位居民身份证号码", FIELD)
    if len(number) != RESIDENT_ID_LENGTH:
        if len(number) == 15 and number.isascii() and number.isdigit():
            message = "身份证号码应为18位，当前为15位的旧号码，请填写换发后的18位号码"
        else:
            message = f"身份证号码应为18位，当前为{len(number)}位，请核对是否漏填或多填"
        raise InvalidResidentId("id_length", message, FIELD)
    if not _ASCII_BODY.fullmatch(number):
        position, character = _first_bad_character(number)
        raise InvalidResidentId(
            "id_chars",
            f"身份证号码第{position}位“{character}”有误：前17位只能是数字，最后一位是数字或X",
            FIELD,
        )
    province_code = number[:2]
    if province_code not in PROVINCE_CODES:
        raise InvalidResidentId(
            "id_province",
            f"身份证号码前两位“{province_code}”不是有效的省级行政区划代码，请核对前两位",
            FIELD,
        )
    birth_date = _birth_date(number[6:14])
    if birth_date is None:
        raise InvalidResidentId(
            "id_birth_date",
            f"身份证号码第7–14位“{number[6:14]}”不是有效的出生日期（年月日），请核对",
            FIELD,
        )
    if birth_date > today:
        raise InvalidResidentId(
            "id_future_birth",
            f"身份证号码中的出生日期{birth_date.isoformat()}晚于今天，请核对第7–14位",
            FIELD,
        )
    if _check_character(number[:17]) != number[17]:
        # The expected check character is deliberately not shown: a typo in the middle
        # would otherwise be "fixed" by editing the last character to match, storing a
        # wrong number that then passes every check.
        raise InvalidResidentId(
            "id_checksum",
            "身份证号码校验位错误，请核对最后一位，并逐位核对前17位是否有误",
            FIELD,
        )
    gender = Gender.MALE if int(number[16]) % 2 == 1 else Gender.FEMALE
    return ResidentId(number=number, province_code=province_code, birth_date=birth_date, gender=gender)


def birth_date_of_canonical_id(number: str, today: date) -> date | None:
    """The birth date when ``number`` is already canonical (18 half-width characters, upper-case
    X) and passes every check of :func:`parse_resident_id`; None otherwise — then
    :func:`parse_resident_id` decides and names the fault. The bulk path of an import: the
    same rules without building a ResidentId or normalising text that needs none."""
    if len(number) != RESIDENT_ID_LENGTH or not _ASCII_BODY.fullmatch(number) or number[:2] not in PROVINCE_CODES:
        return None
    birth_date = _birth_date(number[6:14])
    if birth_date is None or birth_date > today or _check_character(number[:17]) != number[17]:
        return None
    return birth_date


def is_valid_resident_id(raw: str, today: date) -> bool:
    try:
        parse_resident_id(raw, today)
    except InvalidResidentId:
        return False
    return True


def mask_resident_id(number: str) -> str:
    """Keep the first 3 and the last 2 characters (enough to tell records apart in a list,
    not enough to identify anyone); anything of 5 characters or fewer is masked entirely."""
    if len(number) <= 5:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 5) + number[-2:]


def scrub_resident_ids(text: str) -> str:
    """Mask every ID-like sequence in free text (log lines, error reports)."""
    return RESIDENT_ID_PATTERN.sub(lambda match: mask_resident_id(match.group()), text)


def _first_bad_character(number: str) -> tuple[int, str]:
    for index, character in enumerate(number):
        allowed = "0123456789X" if index == RESIDENT_ID_LENGTH - 1 else "0123456789"
        if character not in allowed:
            return index + 1, character
    raise AssertionError("called only for a number that does not match the pattern")  # pragma: no cover


@functools.lru_cache(maxsize=1 << 16)  # pure; a file's members share birth dates
def _birth_date(yyyymmdd: str) -> date | None:
    year, month, day = int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:])
    if year < EARLIEST_BIRTH_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:  # 0229 in a common year, month 13, day 00, 0230…
        return None
