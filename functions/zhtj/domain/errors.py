"""Errors raised by the domain rules.

Every refusal carries three things, because each has a different reader:

* ``code`` — stable snake_case, for programs (API clients, tests, the import-failure
  spreadsheet's filter column). Never reworded once published.
* ``message`` — Chinese, for the administrator who has to fix the data: it names what is
  wrong and what to do (the operation guide's own import flow, 录入操作步骤 三.4–5, hands
  the admin a spreadsheet "具有失败原因", so the reason must be specific enough to act on).
* ``field`` — which input field is at fault, when there is one, so a form can highlight it.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base class of every rule violation found by ``zhtj.domain``."""

    code: str
    message: str
    field: str | None

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        # All three go to Exception.args so that the error survives pickling (the file
        # readers run in a child process and send their errors back to the parent).
        super().__init__(code, message, field)
        self.code = code
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, field={self.field!r})"

    def to_dict(self) -> dict[str, str | None]:
        """The JSON-ready body an API or an import report shows for this error."""
        return {"code": self.code, "message": self.message, "field": self.field}


class InvalidResidentId(DomainError):
    """A 身份证号码 that is not a valid GB 11643 citizen identity number."""


class InvalidMemberNumber(DomainError):
    """A 发展团员编号 that is malformed or does not fit the member (year, segment)."""


class AdmissionRefused(DomainError):
    """A new member who may not be admitted as entered (age, domain, study status…)."""


class InvalidOrganisation(DomainError):
    """An organisation that may not be created or changed as asked."""


class TransitionNotAllowed(DomainError):
    """An archive action that the archive's current state does not allow."""


class NotAuthorised(DomainError):
    """A principal acting outside the organisations it administers."""


class QuotaExceeded(DomainError):
    """A plan or a distribution that would exceed a quota (notice §三.2: 不得超计划发展)."""


class SegmentError(DomainError):
    """A number segment (号段) that is malformed, overlaps another, or cannot be split."""
