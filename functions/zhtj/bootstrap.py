"""The one place that wires adapters into services. Nothing here runs at import time:
handlers call ``container()`` on their first invocation (and tests build their own)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from zhtj.adapters.aws import ClientFactory
from zhtj.adapters.cognito import CognitoIdentityProvider
from zhtj.adapters.dynamodb import DynamoStore
from zhtj.settings import Settings


@dataclass
class Container:
    settings: Settings
    clients: ClientFactory
    store: DynamoStore
    identity: CognitoIdentityProvider


def build(settings: Settings | None = None, *, environ: Mapping[str, str] | None = None,
          session: Any = None) -> Container:
    settings = settings or Settings.from_environ(os.environ if environ is None else environ)
    clients = ClientFactory(settings, session=session)
    return Container(
        settings=settings,
        clients=clients,
        store=DynamoStore(clients, settings.table_name),
        identity=CognitoIdentityProvider(clients, settings.user_pool_id, settings.user_pool_client_id),
    )


_container: Container | None = None


def container() -> Container:
    """The process-wide container (created on first use, reused on warm invocations)."""
    global _container
    if _container is None:
        _container = build()
    return _container


def reset(new: Container | None = None) -> None:
    """Tests and the local stack swap the container (e.g. after changing the environment)."""
    global _container
    _container = new
