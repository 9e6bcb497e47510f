"""Ports: what the use cases need from the outside world, as Protocols. Adapters implement
them (zhtj.adapters.*); tests may implement them in memory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from zhtj.domain.orgs import Organisation


class OrganisationRepository(Protocol):
    def get(self, org_id: str) -> Organisation | None: ...

    def get_many(self, org_ids: Sequence[str]) -> dict[str, Organisation]: ...

    def children(self, parent_id: str) -> list[Organisation]: ...

    def add(self, org: Organisation) -> None:
        """Store a new organisation; raises services.errors.Conflict if its id exists."""


@dataclass(frozen=True)
class SignInResult:
    id_token: str
    expires_in: int
    refresh_token: str | None = None


class IdentityProvider(Protocol):
    def sign_in(self, username: str, password: str) -> SignInResult:
        """Raises services.errors.AuthenticationFailed on bad credentials."""

    def create_admin(self, *, username: str, password: str, org_id: str, role: str,
                     email: str | None = None) -> None: ...


class HealthProbe(Protocol):
    def check(self) -> dict[str, str]:
        """Component name → "ok" or a short failure description."""
