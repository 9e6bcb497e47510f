"""Errors raised by use cases (in addition to the domain's own). Handlers map them to HTTP
statuses by type — never by matching message text."""

from __future__ import annotations

from zhtj.domain.errors import DomainError


class NotFound(DomainError):
    """The thing asked for does not exist (or the caller may not know it exists)."""


class AuthenticationFailed(DomainError):
    """Wrong username or password, or a disabled account."""


class Conflict(DomainError):
    """The request contradicts stored state (e.g. a duplicate that a conditional write caught)."""


class InvalidRequest(DomainError):
    """The request itself is malformed (missing or ill-typed fields)."""
