"""Offline validation of imported rows: everything that can be decided from the file alone.

录入操作步骤 §三.4–5: the system answers 「成功导入 xx 位团员，xx 位团员导入失败」 and hands
back the failed rows with their reasons — so every failure here names the row (the
spreadsheet's own row number) and the column, in Chinese, specific enough to act on.

Rules that need stored state — number segments, uniqueness across the whole system, quota,
whether the branch lies in the admin's subtree, the branch's industry (domain, notice §二.5)
— belong to the import service. It appends its findings to the same ``RowResult``::

    result.add(column, code, reason)     # or result.errors.append(row_error(...))

``values`` hold canonical text the domain parsers accept as is (the ID number upper-case,
the join month as ``YYYY-MM``, choices in their canonical spelling).
"""

from __future__ import annotations

import operator
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Final

from zhtj.domain.errors import DomainError
from zhtj.domain.glossary import Gender, Industry, OrgKind, StudyStatus
from zhtj.domain.ids import ResidentId, birth_date_of_canonical_id, parse_resident_id
from zhtj.domain.members import check_admission_age, check_gender_matches, check_join_month_not_future
from zhtj.domain.numbers import MEMBER_NUMBER_PROVINCE_CODES, check_number_join_year, parse_member_number
from zhtj.domain.orgs import NAME_MAX_LENGTH, SHORT_NAME_MAX_LENGTH
from zhtj.imports import definitions as d
from zhtj.imports.cells import (
    CellProblem,
    clean_text,
    digits_text,
    format_year_month,
    parse_year_month,
    resident_id_text,
)
from zhtj.imports.definitions import Column, TemplateDefinition
from zhtj.imports.gcpause import paused_gc
from zhtj.imports.reading import ImportRow
from zhtj.readers.spreadsheet import CellValue

PERSON_NAME_MAX_LENGTH: Final = 30
REMARKS_MAX_LENGTH: Final = 200
_MOBILE: Final = re.compile(r"1[3-9]\d{9}")
_DIGIT: Final = re.compile(r"\d")
# A name the full checks would keep exactly as it is: no space, digit, apostrophe (the export
# mark clean_text strips) or invisible character, 1–30 characters.
_MALE: Final = Gender.MALE.value
_FEMALE: Final = Gender.FEMALE.value
_PLAIN_NAME: Final = re.compile(f"[^\\s\\d'\u200b\u200c\u200d\u2060\ufeff]{{1,{PERSON_NAME_MAX_LENGTH}}}")


@dataclass(frozen=True, slots=True)
class RowError:
    column: str  # canonical column name ("" when the error concerns the whole row)
    code: str  # stable snake_case (DomainError codes where a domain rule decided)
    message: str  # Chinese, names the row and the column
    reason: str = ""  # the message without its 「第N行“列”：」 prefix (a form shows it beside the field)

    def to_dict(self) -> dict[str, str]:
        return {"column": self.column, "code": self.code, "message": self.message}


def row_error(row: int, column: str, code: str, reason: str) -> RowError:
    """The one place messages get their 「第N行“列”：」 prefix."""
    where = f"第{row}行“{column}”" if column else f"第{row}行"
    return RowError(column, code, f"{where}：{reason}", reason)


@dataclass(slots=True)
class RowResult:
    row: int  # the spreadsheet's own row number (header = row 1)
    values: dict[str, str]
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, column: str, code: str, reason: str) -> None:
        self.errors.append(row_error(self.row, column, code, reason))

    def add_domain_error(self, column: str, error: DomainError) -> None:
        self.add(column, error.code, error.message)

    def failed_columns(self) -> set[str]:
        return {error.column for error in self.errors}

    def to_dict(self) -> dict[str, object]:
        return {"row": self.row, "errors": [error.to_dict() for error in self.errors]}


# --- helpers shared by both templates ---------------------------------------------------


def _comparable(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


_CHOICE_TABLES: dict[tuple[str, str], tuple[Column, dict[str, str]]] = {}


def _choice_table(definition: TemplateDefinition, name: str) -> tuple[Column, dict[str, str]]:
    key = (definition.key, name)
    cached = _CHOICE_TABLES.get(key)
    if cached is None:
        column = definition.column(name)
        # Exact spellings first (the fast path: a dropdown gives exactly the choice), then
        # their NFKC/space-free forms, looked up only when the exact text is not found.
        pairs = [*column.choice_aliases, *((choice, choice) for choice in column.choices)]
        table = {_comparable(spelling): choice for spelling, choice in pairs}
        table.update({spelling: choice for spelling, choice in pairs})
        cached = _CHOICE_TABLES[key] = (column, table)
    return cached


class _Row:
    """Collects one row's canonical values and errors while the checks run."""

    def __init__(self, definition: TemplateDefinition, source: ImportRow) -> None:
        self.definition = definition
        self.raw = source.values
        self.result = RowResult(source.row, {})

    def text(self, name: str) -> str:
        """The column's cleaned text, computed on first use (half the columns are read
        from their raw value instead: ID, numbers, join month)."""
        values = self.result.values
        text = values.get(name)
        if text is None:
            text = values[name] = clean_text(self.raw.get(name))
        return text

    def finish(self) -> RowResult:
        """Every column of the row gets a value, also those no rule looked at."""
        values = self.result.values
        if len(values) != len(self.raw):
            for name, value in self.raw.items():
                if name not in values:
                    values[name] = clean_text(value)
        return self.result

    def fail(self, name: str, code: str, reason: str) -> None:
        self.result.add(name, code, reason)

    def required(self, name: str) -> str | None:
        """The column's text, or None after recording 「不能为空」."""
        text = self.text(name)
        if not text:
            self.fail(name, "required", "必填项，不能为空")
            return None
        return text

    def optional(self, name: str) -> str | None:
        return self.text(name) or None

    def choice(self, name: str, *, required: bool) -> str | None:
        column, table = _choice_table(self.definition, name)
        raw = self.raw.get(name)
        if type(raw) is str:
            found = table.get(raw)
            if found is not None:  # picked from the dropdown: nothing to clean
                self.result.values[name] = found
                return found
        text = self.required(name) if required else self.optional(name)
        if text is None:
            return None
        found = table.get(text)
        if found is None:
            found = table.get(_comparable(text))
        if found is None:
            shown = "、".join(column.choices) if len(column.choices) <= 12 else "下拉选项"
            self.fail(name, "not_a_choice", f"“{text}”不是可选的值，请从{shown}中选择")
            return None
        self.result.values[name] = found
        return found

    def length(self, name: str, limit: int) -> None:
        text = self.text(name)
        if len(text) > limit:
            self.fail(name, "too_long", f"不能超过{limit}个字，当前为{len(text)}个字")

    def person_name(self, name: str, *, required: bool) -> None:
        text = self.required(name) if required else self.optional(name)
        if text is None:
            return
        # Chinese names carry no spaces (minority names join parts with “·”): a space is a
        # typing slip, and keeping it would make 张 三 and 张三 two people.
        text = self.result.values[name] = "".join(text.split())
        if len(text) > PERSON_NAME_MAX_LENGTH:
            self.fail(name, "too_long", f"不能超过{PERSON_NAME_MAX_LENGTH}个字")
        elif _DIGIT.search(text):
            self.fail(name, "name_digits", f"“{text}”中含有数字，请填写与身份证一致的姓名")

    def resident_id(self, name: str, today: date, *, required: bool) -> ResidentId | None:
        value = self.raw.get(name)
        try:
            text = resident_id_text(value, column=name)
        except CellProblem as problem:
            self.result.values[name] = _as_excel_shows(value)
            self.fail(name, "id_not_text", problem.reason)
            return None
        self.result.values[name] = text
        if not text:
            if required:
                self.fail(name, "required", "必填项，不能为空")
            return None
        try:
            resident = parse_resident_id(text, today)
        except DomainError as error:
            self.fail(name, error.code, error.message)
            return None
        self.result.values[name] = resident.number
        return resident

    def mobile(self, name: str, *, required: bool) -> None:
        value = self.raw.get(name)
        try:
            text = digits_text(value, column=name)
        except CellProblem as problem:
            self.result.values[name] = _as_excel_shows(value)
            self.fail(name, problem.code, problem.reason)
            return
        text = text.replace("-", "")
        if text.startswith("+86"):
            text = text[3:]
        elif len(text) == 13 and text.startswith("86"):
            text = text[2:]
        self.result.values[name] = text
        if not text:
            if required:
                self.fail(name, "required", "必填项，不能为空")
            return
        if not _MOBILE.fullmatch(text):
            self.fail(name, "mobile_format", f"“{text}”不是有效的11位手机号码")


def _as_excel_shows(value: CellValue) -> str:
    if isinstance(value, float):
        return f"{value:.6g}".replace("e+", "E+")
    return clean_text(value)


def _flag_duplicates(results: Sequence[RowResult], column: str, rule: str) -> None:
    """Every row of a repeated value gets an error naming the other rows (in-file only:
    uniqueness across the system is the import service's check)."""
    rows_by_value: dict[str, list[RowResult]] = defaultdict(list)
    for result in results:
        value = result.values.get(column, "")
        if value and (not result.errors or column not in result.failed_columns()):
            rows_by_value[value].append(result)
    for group in rows_by_value.values():
        if len(group) < 2:
            continue
        for result in group:
            others = "、".join(f"第{other.row}行" for other in group if other is not result)
            result.add(column, "duplicate_in_file", f"与{others}重复，{rule}")


# --- 团员 (录入操作步骤 §三) -------------------------------------------------------------


def _validate_member(row: _Row, today: date) -> None:
    row.person_name(d.NAME, required=True)
    # DESIGN "Admission checks": GB 11643 check digit, a real birth date, x = X.
    resident = row.resident_id(d.RESIDENT_ID, today, required=True)
    gender = row.choice(d.GENDER, required=True)
    if resident is not None and gender is not None:
        try:
            check_gender_matches(resident, gender)
        except DomainError as error:
            row.fail(d.GENDER, error.code, error.message)
    row.choice(d.ETHNICITY, required=True)
    row.choice(d.POLITICAL_STATUS, required=True)

    join: tuple[int, int] | None = None
    if row.raw.get(d.JOIN_MONTH) is None:
        row.fail(d.JOIN_MONTH, "required", "必填项，不能为空")
    else:
        try:
            join = parse_year_month(row.raw[d.JOIN_MONTH])
        except CellProblem as problem:
            row.fail(d.JOIN_MONTH, problem.code, problem.reason)
    if join is not None:
        row.result.values[d.JOIN_MONTH] = format_year_month(*join)
        try:
            check_join_month_not_future(*join, today)
            if resident is not None:
                # Notice §三.1 and 团章: 年满14周岁方可入团.
                check_admission_age(resident.birth_date, *join)
        except DomainError as error:
            row.fail(d.JOIN_MONTH, error.code, error.message)

    # 操作指引 §3.1/§4.2: the number is entered and checked with the join time; its first
    # four digits are the join year (the real system enforces it, DESIGN).
    number_value = row.raw.get(d.MEMBER_NUMBER)
    try:
        number_text = digits_text(number_value, column=d.MEMBER_NUMBER)
    except CellProblem as problem:
        row.result.values[d.MEMBER_NUMBER] = _as_excel_shows(number_value)
        row.fail(d.MEMBER_NUMBER, problem.code, problem.reason)
    else:
        row.result.values[d.MEMBER_NUMBER] = number_text
        if not number_text:
            row.fail(d.MEMBER_NUMBER, "required", "必填项，不能为空")
        else:
            try:
                number = parse_member_number(number_text)
                row.result.values[d.MEMBER_NUMBER] = number.text
                if join is not None:
                    check_number_join_year(number, join[0])
            except DomainError as error:
                row.fail(d.MEMBER_NUMBER, error.code, error.message)

    # Q&A §5.8: 在读状况 may be empty; whether it fits the branch (notice §二.5, a social
    # branch admits no student) needs the branch's industry — the import service's check.
    row.choice(d.STUDY_STATUS, required=False)
    row.choice(d.EDUCATION, required=True)
    row.mobile(d.MOBILE, required=True)
    row.length(d.BRANCH, NAME_MAX_LENGTH)
    row.length(d.REMARKS, REMARKS_MAX_LENGTH)


class _CanonicalMemberRows:
    """The bulk path of member validation: accepts a row whose every cell is already in the
    form the full checks (``_validate_member``) would store and passes every offline rule,
    and returns the values they would give; anything else returns None and goes through the
    full checks, which name each fault. A real file is mostly such rows (dropdown choices,
    text-formatted columns), and what repeats across rows — choices, join months, branch
    names, birth dates against join months — is decided once per file. Equivalence with the
    full checks is a tested property (tests/unit/test_import_fast_path.py)."""

    _COLUMNS: Final = (d.NAME, d.RESIDENT_ID, d.GENDER, d.ETHNICITY, d.POLITICAL_STATUS, d.JOIN_MONTH,
                       d.MEMBER_NUMBER, d.STUDY_STATUS, d.EDUCATION, d.MOBILE, d.BRANCH, d.REMARKS)

    def __init__(self, definition: TemplateDefinition, today: date) -> None:
        self.today = today
        self.choice_tables = tuple(_choice_table(definition, name)[1] for name in (
            d.GENDER, d.ETHNICITY, d.POLITICAL_STATUS, d.STUDY_STATUS, d.EDUCATION))
        self.names = definition.column_names
        # The cells in the order unpacked below, whatever the definition's order.
        self.order = operator.itemgetter(*(self.names.index(column) for column in self._COLUMNS))
        self.join_months: dict[tuple[type, CellValue], tuple[int, int, str] | None] = {}
        self.admissible: dict[tuple[date, int, int], bool] = {}
        self.texts: dict[tuple[str, type, CellValue], str | None] = {}

    def __call__(self, source: ImportRow) -> dict[str, str] | None:
        """The row's values when it takes the bulk path; None: the full checks decide. Only
        rows read with their cells (ImportRow.cells) are looked at: a blank cell is then still
        "" or spaces, which every check below refuses except for the optional columns."""
        cells = source.cells
        if cells is None or len(cells) != len(self.names):
            return None
        (name, resident_id, gender_cell, ethnicity_cell, political_cell, join_cell, number, study_cell,
         education_cell, mobile, branch_cell, remarks_cell) = self.order(cells)
        if (type(name) is not str or type(resident_id) is not str or type(number) is not str
                or type(mobile) is not str or not _PLAIN_NAME.fullmatch(name)):
            return None
        birth = birth_date_of_canonical_id(resident_id, self.today)
        join = self._join_month(join_cell)
        if birth is None or join is None:
            return None
        year, month, join_text = join
        if (not self._admissible(birth, year, month)
                or len(number) != 12 or not number.isascii() or not number.isdigit()
                or number[4:6] not in MEMBER_NUMBER_PROVINCE_CODES or int(number[:4]) != year
                or len(mobile) != 11 or not mobile.isascii() or not _MOBILE.fullmatch(mobile)):
            return None
        genders, ethnicities, politicals, studies, educations = self.choice_tables
        gender = genders.get(gender_cell) if type(gender_cell) is str else None
        ethnicity = ethnicities.get(ethnicity_cell) if type(ethnicity_cell) is str else None
        political = politicals.get(political_cell) if type(political_cell) is str else None
        education = educations.get(education_cell) if type(education_cell) is str else None
        # 在读状况 is optional (Q&A §5.8): empty is ""
        study = "" if study_cell is None or study_cell == "" else (
            studies.get(study_cell) if type(study_cell) is str else None)
        if (gender is None or ethnicity is None or political is None or study is None or education is None
                or gender != (_MALE if int(resident_id[16]) % 2 else _FEMALE)):
            return None
        branch = self._text(d.BRANCH, branch_cell, NAME_MAX_LENGTH)
        remarks = self._text(d.REMARKS, remarks_cell, REMARKS_MAX_LENGTH)
        if branch is None or remarks is None:
            return None
        return {d.NAME: name, d.RESIDENT_ID: resident_id, d.GENDER: gender, d.ETHNICITY: ethnicity,
                d.POLITICAL_STATUS: political, d.JOIN_MONTH: join_text, d.MEMBER_NUMBER: number,
                d.STUDY_STATUS: study, d.EDUCATION: education, d.MOBILE: mobile, d.BRANCH: branch,
                d.REMARKS: remarks}

    def _join_month(self, cell: CellValue) -> tuple[int, int, str] | None:
        key = (type(cell), cell)
        if key not in self.join_months:
            found: tuple[int, int, str] | None = None
            if cell is not None:
                try:
                    year, month = parse_year_month(cell)
                    check_join_month_not_future(year, month, self.today)
                    found = (year, month, format_year_month(year, month))
                except (CellProblem, DomainError):
                    pass
            self.join_months[key] = found
        return self.join_months[key]

    def _admissible(self, birth: date, year: int, month: int) -> bool:
        key = (birth, year, month)
        if key not in self.admissible:
            try:
                check_admission_age(birth, year, month)
                self.admissible[key] = True
            except DomainError:
                self.admissible[key] = False
        return self.admissible[key]

    def _text(self, column: str, cell: CellValue, limit: int) -> str | None:
        key = (column, type(cell), cell)
        if key not in self.texts:
            text = clean_text(cell)
            self.texts[key] = text if len(text) <= limit else None
        return self.texts[key]


def _member_duplicates(results: Sequence[RowResult]) -> None:
    _flag_duplicates(results, d.RESIDENT_ID, "同一文件中每名团员只能出现一次")
    _flag_duplicates(results, d.MEMBER_NUMBER, "每个发展团员编号只能用于一名团员")


# --- 下级组织 (录入操作步骤 §二) -------------------------------------------------------


def _validate_branch(row: _Row, today: date) -> None:
    kind = row.choice(d.ORG_KIND, required=True)
    if row.required(d.SHORT_NAME):
        row.length(d.SHORT_NAME, SHORT_NAME_MAX_LENGTH)
    full_name = row.required(d.FULL_NAME)
    if full_name:
        row.length(d.FULL_NAME, NAME_MAX_LENGTH)
    # Q&A §5.8: a 团支部's 行业类别 decides its members' domain, so it cannot be left out.
    industry = row.choice(d.INDUSTRY, required=False)
    if kind == "团支部" and industry is None and not row.text(d.INDUSTRY):
        row.fail(d.INDUSTRY, "industry_required", "组织类别为团支部时必填，它决定团员所属领域且创建后不可修改")
    parent = row.optional(d.PARENT_NAME)
    if parent:
        row.length(d.PARENT_NAME, NAME_MAX_LENGTH)
        if full_name and _comparable(parent) == _comparable(full_name):
            row.fail(d.PARENT_NAME, "parent_is_self", "上级组织不能是本组织自己")
    row.person_name(d.SECRETARY_NAME, required=False)
    row.resident_id(d.SECRETARY_ID, today, required=False)
    row.mobile(d.SECRETARY_MOBILE, required=False)
    if not row.text(d.SECRETARY_NAME) and (row.text(d.SECRETARY_ID) or row.text(d.SECRETARY_MOBILE)):
        row.fail(d.SECRETARY_NAME, "required", "填写了书记身份证号码或手机号码时，书记姓名必填")
    row.length(d.REMARKS, REMARKS_MAX_LENGTH)


def _branch_duplicates(results: Sequence[RowResult]) -> None:
    _flag_duplicates(results, d.FULL_NAME, "同一文件中组织全称不能重复")


_BulkPath = Callable[[TemplateDefinition, date], Callable[[ImportRow], dict[str, str] | None]]
_VALIDATORS: Final[dict[str, tuple[Callable[[_Row, date], None], Callable[[Sequence[RowResult]], None],
                                   _BulkPath | None]]] = {
    d.MEMBER_TEMPLATE.key: (_validate_member, _member_duplicates, _CanonicalMemberRows),
    d.BRANCH_TEMPLATE.key: (_validate_branch, _branch_duplicates, None),  # files of a few rows
}


def validate_rows(definition: TemplateDefinition, rows: Iterable[ImportRow], today: date) -> list[RowResult]:
    """Check every row of a read template offline; results in file order, one per row."""
    validator = RowValidator(definition, today)
    validator.add(rows)
    return validator.finish()


class RowValidator:
    """``validate_rows`` for rows that come in parts (while the file is still being read):
    each part is checked as it is added; the in-file duplicates, which need every row, are
    flagged by ``finish``."""

    def __init__(self, definition: TemplateDefinition, today: date) -> None:
        self.definition = definition
        self.today = today
        self.validate_one, self.flag_duplicates, bulk_path = _VALIDATORS[definition.key]
        self.accept = bulk_path(definition, today) if bulk_path is not None else None
        self.results: list[RowResult] = []

    def add(self, rows: Iterable[ImportRow]) -> None:
        definition, today, accept, validate_one = self.definition, self.today, self.accept, self.validate_one
        results = self.results
        with paused_gc():
            for source in rows:
                values = accept(source) if accept is not None else None
                if values is not None:
                    results.append(RowResult(source.row, values))
                    continue
                row = _Row(definition, source)
                validate_one(row, today)
                results.append(row.finish())

    def finish(self) -> list[RowResult]:
        with paused_gc():
            self.flag_duplicates(self.results)
        return self.results


# --- typed views of a passing row, for the import service --------------------------------


@dataclass(frozen=True, slots=True)
class MemberFields:
    """A member row that passed the offline checks, with the domain's types."""

    row: int
    name: str
    resident_id: str  # normalised: half-width, upper-case X
    gender: str
    ethnicity: str
    political_status: str
    join_year: int
    join_month: int
    member_number: str  # the canonical 12 digits
    study_status: StudyStatus | None  # Q&A §5.8: decides the domain in a school branch
    education: str
    mobile: str
    branch_name: str | None  # None: the importing admin's own 团支部
    remarks: str


@dataclass(frozen=True, slots=True)
class BranchFields:
    row: int
    kind: OrgKind
    short_name: str
    name: str
    industry: Industry | None
    parent_name: str | None  # None: under the importing admin's organisation
    secretary_name: str | None
    secretary_resident_id: str | None
    secretary_mobile: str | None
    remarks: str


def member_fields(result: RowResult) -> MemberFields:
    """The typed fields of a passing member row (ValueError for a failed row)."""
    if result.errors:
        raise ValueError(f"row {result.row} failed validation")
    values = result.values
    year, month = values[d.JOIN_MONTH].split("-")
    return MemberFields(
        row=result.row,
        name=values[d.NAME],
        resident_id=values[d.RESIDENT_ID],
        gender=values[d.GENDER],
        ethnicity=values[d.ETHNICITY],
        political_status=values[d.POLITICAL_STATUS],
        join_year=int(year),
        join_month=int(month),
        member_number=values[d.MEMBER_NUMBER],
        study_status=StudyStatus(values[d.STUDY_STATUS]) if values.get(d.STUDY_STATUS) else None,
        education=values[d.EDUCATION],
        mobile=values[d.MOBILE],
        branch_name=values.get(d.BRANCH) or None,
        remarks=values.get(d.REMARKS, ""),
    )


def branch_fields(result: RowResult) -> BranchFields:
    """The typed fields of a passing organisation row (ValueError for a failed row)."""
    if result.errors:
        raise ValueError(f"row {result.row} failed validation")
    values = result.values
    return BranchFields(
        row=result.row,
        kind=OrgKind(values[d.ORG_KIND]),
        short_name=values[d.SHORT_NAME],
        name=values[d.FULL_NAME],
        industry=Industry(values[d.INDUSTRY]) if values.get(d.INDUSTRY) else None,
        parent_name=values.get(d.PARENT_NAME) or None,
        secretary_name=values.get(d.SECRETARY_NAME) or None,
        secretary_resident_id=values.get(d.SECRETARY_ID) or None,
        secretary_mobile=values.get(d.SECRETARY_MOBILE) or None,
        remarks=values.get(d.REMARKS, ""),
    )
