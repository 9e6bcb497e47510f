from __future__ import annotations

import pickle
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhtj.domain.errors import DomainError, InvalidResidentId
from zhtj.domain.glossary import Gender
from zhtj.domain.ids import (
    PROVINCE_CODES,
    RESIDENT_ID_PATTERN,
    ResidentId,
    is_valid_resident_id,
    mask_resident_id,
    normalise_resident_id,
    parse_resident_id,
    resident_id_check_character,
    scrub_resident_ids,
)

from ._support import TODAY, make_resident_id, with_check_character

# (number, birth date, gender). The first two are GB 11643-1999's own worked examples; the
# others were computed for this test with the MOD 11-2 rule by hand-checked code.
VALID = [
    ("11010519491231002X", date(1949, 12, 31), Gender.FEMALE),
    ("440524188001010014", date(1880, 1, 1), Gender.MALE),
    ("320102200905100014", date(2009, 5, 10), Gender.MALE),
    ("320583199912312562", date(1999, 12, 31), Gender.FEMALE),
    ("110101200802291238", date(2008, 2, 29), Gender.MALE),  # a leap day
    ("810000199001010019", date(1990, 1, 1), Gender.MALE),  # 香港
    ("830000200001010026", date(2000, 1, 1), Gender.FEMALE),  # 港澳台居民居住证
]
VALID_NUMBERS = [number for number, _, _ in VALID]


def code_of(raw: str, today: date = TODAY) -> str:
    with pytest.raises(InvalidResidentId) as caught:
        parse_resident_id(raw, today)
    assert caught.value.field == "resident_id"
    assert caught.value.message  # always a Chinese explanation
    return caught.value.code


@pytest.mark.parametrize(("number", "birth", "gender"), VALID)
def test_valid_numbers_parse_into_their_parts(number: str, birth: date, gender: Gender) -> None:
    parsed = parse_resident_id(number, TODAY)
    assert parsed == ResidentId(number=number, province_code=number[:2], birth_date=birth, gender=gender)
    assert is_valid_resident_id(number, TODAY)


@pytest.mark.parametrize("number", VALID_NUMBERS)
def test_every_one_character_change_is_refused(number: str) -> None:
    for position in range(18):
        for replacement in "0123456789X":
            if replacement == number[position]:
                continue
            changed = number[:position] + replacement + number[position + 1 :]
            assert not is_valid_resident_id(changed, TODAY), (position, changed)


@pytest.mark.parametrize("number", VALID_NUMBERS)
def test_every_swap_of_adjacent_characters_is_refused(number: str) -> None:
    for position in range(17):
        if number[position] == number[position + 1]:
            continue
        swapped = number[:position] + number[position + 1] + number[position] + number[position + 2 :]
        assert not is_valid_resident_id(swapped, TODAY), (position, swapped)


def test_lower_case_x_is_the_same_as_upper_case() -> None:
    parsed = parse_resident_id("11010519491231002x", TODAY)
    assert parsed.number == "11010519491231002X"


@pytest.mark.parametrize(
    "typed",
    [
        " 11010519491231002X ",
        "110105 19491231 002X",
        "\u3000１１０１０５１９４９１２３１００２Ｘ\u3000",  # full-width, as a Chinese IME types it
        "１１０１０５１９４９１２３１００２ｘ",
        "\ufeff11010519491231002X\u200b",  # copied from a web page
        "110105\t19491231\n002X",
    ],
)
def test_typing_variants_normalise_to_the_canonical_number(typed: str) -> None:
    assert normalise_resident_id(typed) == "11010519491231002X"
    assert parse_resident_id(typed, TODAY).number == "11010519491231002X"


def test_empty_is_refused() -> None:
    assert code_of("") == "id_empty"
    assert code_of(" \u3000 ") == "id_empty"


@pytest.mark.parametrize("raw", ["1101051949123100", "11010519491231002", "11010519491231002X1"])
def test_wrong_length_is_refused(raw: str) -> None:
    assert code_of(raw) == "id_length"


def test_a_fifteen_digit_old_number_gets_its_own_message() -> None:
    with pytest.raises(InvalidResidentId) as caught:
        parse_resident_id("110105491231002", TODAY)
    assert caught.value.code == "id_length"
    assert "15位的旧号码" in caught.value.message


@pytest.mark.parametrize(
    ("raw", "position"),
    [
        ("11010519491231002A", 18),
        ("1101051949123100X2", 17),  # X only in the last position
        ("X10105194912310021", 1),
        ("11010519491231002²", 18),  # str.isdigit() says yes; GB 11643 says no
        ("١١٠١٠٥١٩٤٩١٢٣١٠٠٢X", 1),  # Arabic-Indic digits are not ID digits
    ],
)
def test_characters_other_than_digits_and_a_final_x_are_refused(raw: str, position: int) -> None:
    with pytest.raises(InvalidResidentId) as caught:
        parse_resident_id(raw, TODAY)
    assert caught.value.code == "id_chars"
    assert f"第{position}位" in caught.value.message


@pytest.mark.parametrize(
    "province", ["00", "10", "16", "20", "24", "30", "38", "47", "55", "60", "66", "72", "84", "99"]
)
def test_unknown_province_codes_are_refused(province: str) -> None:
    number = with_check_character(f"{province}010220090510001")
    assert code_of(number) == "id_province"


@pytest.mark.parametrize("province", sorted(PROVINCE_CODES))
def test_every_known_province_code_is_accepted(province: str) -> None:
    assert is_valid_resident_id(make_resident_id(f"{province}0000", date(2000, 1, 1), 1), TODAY)


def test_province_code_list_is_the_gb_t_2260_list_plus_83() -> None:
    assert len(PROVINCE_CODES) == 35  # 34 province-level divisions + 83 (residence permits)
    assert {"32", "11", "65", "71", "81", "82", "83"} <= PROVINCE_CODES


@pytest.mark.parametrize(
    "birth_digits",
    [
        "20090230",  # 30 February
        "20090229",  # 2009 is not a leap year
        "19000229",  # neither is 1900
        "20091301",  # month 13
        "20090001",  # month 00
        "20090100",  # day 00
        "20090431",  # April has 30 days
        "17991231",  # before any plausible holder
        "00000101",
    ],
)
def test_birth_dates_that_are_not_real_calendar_dates_are_refused(birth_digits: str) -> None:
    number = with_check_character(f"320102{birth_digits}001")
    assert code_of(number) == "id_birth_date"


def test_birth_dates_in_the_future_are_refused() -> None:
    assert code_of(make_resident_id("320102", date(2099, 1, 1), 1)) == "id_future_birth"
    tomorrow = TODAY + timedelta(days=1)
    assert code_of(make_resident_id("320102", tomorrow, 1)) == "id_future_birth"
    assert is_valid_resident_id(make_resident_id("320102", TODAY, 1), TODAY)


def test_a_wrong_check_character_is_refused_without_revealing_the_right_one() -> None:
    with pytest.raises(InvalidResidentId) as caught:
        parse_resident_id("110105194912310021", TODAY)
    assert caught.value.code == "id_checksum"
    assert "校验位" in caught.value.message
    assert "X" not in caught.value.message


def test_checks_report_the_coarsest_fault_first() -> None:
    # A Feb 30 typo is reported as a date typo even though the check character is also wrong.
    assert code_of("320102200902300010") == "id_birth_date"


def test_gender_comes_from_the_seventeenth_digit() -> None:
    for sequence in range(10):
        expected = Gender.MALE if sequence % 2 else Gender.FEMALE
        number = make_resident_id("320102", date(2009, 5, 10), sequence)
        assert parse_resident_id(number, TODAY).gender is expected


def test_check_character_rejects_malformed_input() -> None:
    with pytest.raises(ValueError):
        resident_id_check_character("1234")
    with pytest.raises(ValueError):
        resident_id_check_character("１１０１０５１９４９１２３１００２")


def test_mask_keeps_the_first_three_and_last_two_characters() -> None:
    assert mask_resident_id("11010519491231002X") == "110*************2X"
    assert parse_resident_id("11010519491231002X", TODAY).masked == "110*************2X"
    assert mask_resident_id("12345") == "*****"
    assert mask_resident_id("") == ""


def test_the_log_pattern_finds_ids_in_free_text() -> None:
    text = "导入失败：张三 身份证11010519491231002X 与李四(440524188001010014)重复，x=320102200905100014x"
    assert RESIDENT_ID_PATTERN.findall(text) == [
        "11010519491231002X",
        "440524188001010014",
        "320102200905100014",
    ]
    assert RESIDENT_ID_PATTERN.findall("id=11010519491231002x;") == ["11010519491231002x"]
    # typed with a Chinese IME: full-width digits and Ｘ are caught too
    assert RESIDENT_ID_PATTERN.findall("证件：１１０１０５１９４９１２３１００２Ｘ。") == [
        "１１０１０５１９４９１２３１００２Ｘ"
    ]


@pytest.mark.parametrize(
    "text",
    [
        "电话 13812345678，编号 202332000123",  # phone numbers and member numbers are shorter
        "1101051949123100X",  # 17 characters
        "9110105194912310021",  # inside a longer run of digits
        "11010519491231002X9",
        "trace 1234567890123456789012345",
    ],
)
def test_the_log_pattern_ignores_other_digit_runs(text: str) -> None:
    assert RESIDENT_ID_PATTERN.search(text) is None


def test_scrub_masks_every_id_in_a_log_line() -> None:
    line = "member 11010519491231002X moved; other 440524188001010014."
    assert scrub_resident_ids(line) == "member 110*************2X moved; other 440*************14."


def test_errors_survive_pickling_and_render_as_their_message() -> None:
    with pytest.raises(InvalidResidentId) as caught:
        parse_resident_id("110105194912310021", TODAY)
    copy = pickle.loads(pickle.dumps(caught.value))
    assert isinstance(copy, InvalidResidentId)
    assert isinstance(copy, DomainError)
    assert (copy.code, copy.message, copy.field) == ("id_checksum", caught.value.message, "resident_id")
    assert str(copy) == copy.message
    assert copy.to_dict() == {"code": "id_checksum", "message": copy.message, "field": "resident_id"}
    assert "id_checksum" in repr(copy)


# --- properties ---------------------------------------------------------------------------

provinces = st.sampled_from(sorted(PROVINCE_CODES))
birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
sequences = st.integers(min_value=0, max_value=999)


@settings(database=None, max_examples=300)
@given(province=provinces, birth=birth_dates, sequence=sequences)
def test_any_generated_number_parses_back_to_its_parts(province: str, birth: date, sequence: int) -> None:
    number = make_resident_id(f"{province}0102", birth, sequence)
    parsed = parse_resident_id(number.lower(), TODAY)
    assert parsed.number == number
    assert parsed.province_code == province
    assert parsed.birth_date == birth
    assert parsed.gender is (Gender.MALE if sequence % 2 else Gender.FEMALE)
    assert RESIDENT_ID_PATTERN.fullmatch(number)


@settings(database=None, max_examples=300)
@given(
    province=provinces,
    birth=birth_dates,
    sequence=sequences,
    position=st.integers(min_value=0, max_value=17),
    replacement=st.sampled_from("0123456789X"),
)
def test_any_single_substitution_is_caught(
    province: str, birth: date, sequence: int, position: int, replacement: str
) -> None:
    number = make_resident_id(f"{province}0102", birth, sequence)
    changed = number[:position] + replacement + number[position + 1 :]
    assert is_valid_resident_id(changed, TODAY) == (changed == number)


@settings(database=None)
@given(st.text())
def test_normalisation_is_idempotent_and_never_raises(raw: str) -> None:
    once = normalise_resident_id(raw)
    assert normalise_resident_id(once) == once
    assert isinstance(is_valid_resident_id(raw, TODAY), bool)
