"""Builders shared by the domain tests."""

from __future__ import annotations

from datetime import date

from zhtj.domain.ids import resident_id_check_character

# A fixed "today" for every test: no test may depend on the machine's clock.
TODAY = date(2023, 3, 14)  # the notice's date (团苏组字〔2023〕2号, 2023年3月14日)


def make_resident_id(address: str, birth: date, sequence: int) -> str:
    """A valid 18-character ID for a 6-digit address code, a birth date and a 3-digit
    sequence (odd = 男, even = 女)."""
    body = f"{address}{birth:%Y%m%d}{sequence:03d}"
    return body + resident_id_check_character(body)


def with_check_character(first_17: str) -> str:
    """The 17 characters as given plus their correct check character, so that a test can
    make every check except one pass."""
    return first_17 + resident_id_check_character(first_17)
