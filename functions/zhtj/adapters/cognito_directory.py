"""Who the admins of an organisation are, with their e-mail (implements
``zhtj.services.approvals.Directory``), read from the Cognito user pool.

Accounts carry ``custom:org_id``, ``custom:role`` and ``email`` (adapters/cognito.py). Cognito's
ListUsers can filter only on *standard* attributes (username, email, status, …): "Custom
attributes are not searchable" — AWS's own API reference, and moto refuses them the same way.
So "the admins of organisation X" cannot be one filtered call. This adapter lists the enabled
accounts of the pool (``Filter='status = "Enabled"'``, only the three attributes it needs,
60 per page) and groups them by organisation, keeping the result for ``cache_seconds`` in the
process: a worker batch, an API container or one reminder run pays one listing, not one per
archive. ListUsers is rate-limited (about 30 requests/s per pool by default), which bounds a
listing to roughly 1,800 accounts per second — fine for a province's few thousand admin
accounts; past that, the scaling step is a Cognito group per organisation written when an
account is created (ListUsersInGroup then answers "admins of X" in one call).

``account(username)`` reads one account (AdminGetUser) and is used to re-check, when an
e-mailed link is used, that its approver is still an enabled admin of the same organisation.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from zhtj.adapters.aws import ClientFactory
from zhtj.domain.glossary import Role
from zhtj.services.identity import ORG_CLAIM, ROLE_CLAIM

_ATTRIBUTES = ["email", ORG_CLAIM, ROLE_CLAIM]


@dataclass(frozen=True)
class Account:
    username: str
    org_id: str
    role: str
    email: str | None
    enabled: bool = True

    @property
    def is_admin(self) -> bool:
        return self.enabled and self.role == Role.ADMIN.value


class CognitoDirectory:
    def __init__(self, clients: ClientFactory, user_pool_id: str, *, cache_seconds: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._clients = clients
        self._pool = user_pool_id
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: tuple[float, dict[str, list[Account]]] | None = None

    @property
    def client(self) -> Any:
        return self._clients.client("cognito-idp")

    def admins_by_org(self) -> dict[str, list[Account]]:
        """Every enabled admin account that has an e-mail, by organisation id."""
        with self._lock:
            now = self._clock()
            if self._cached is not None and now - self._cached[0] < self._cache_seconds:
                return self._cached[1]
            grouped: dict[str, list[Account]] = {}
            for account in self._list_enabled():
                if account.is_admin and account.email and account.org_id:
                    grouped.setdefault(account.org_id, []).append(account)
            for accounts in grouped.values():
                accounts.sort(key=lambda a: a.username)
            self._cached = (now, grouped)
            return grouped

    def admins_of(self, org_id: str) -> list[Account]:
        return list(self.admins_by_org().get(org_id, []))

    def forget(self) -> None:
        with self._lock:
            self._cached = None

    def account(self, username: str) -> Account | None:
        client = self.client
        try:
            result = client.admin_get_user(UserPoolId=self._pool, Username=username)
        except client.exceptions.UserNotFoundException:
            return None
        attributes = {a["Name"]: a["Value"] for a in result.get("UserAttributes", [])}
        return _account(str(result["Username"]), attributes, bool(result.get("Enabled", True)))

    def _list_enabled(self) -> list[Account]:
        accounts: list[Account] = []
        kwargs: dict[str, Any] = {"UserPoolId": self._pool, "Limit": 60, "AttributesToGet": _ATTRIBUTES,
                                  "Filter": 'status = "Enabled"'}
        while True:
            result = self.client.list_users(**kwargs)
            for user in result.get("Users", []):
                attributes = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
                accounts.append(_account(str(user["Username"]), attributes, bool(user.get("Enabled", True))))
            token = result.get("PaginationToken")
            if not token:
                return accounts
            kwargs["PaginationToken"] = token


def _account(username: str, attributes: dict[str, str], enabled: bool) -> Account:
    return Account(username=username, org_id=attributes.get(ORG_CLAIM, ""), role=attributes.get(ROLE_CLAIM, ""),
                   email=attributes.get("email") or None, enabled=enabled)
