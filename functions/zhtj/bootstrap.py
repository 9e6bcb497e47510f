"""The one place that wires adapters into services. Nothing here runs at import time:
handlers call ``container()`` on their first invocation (and tests build their own)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from zhtj.adapters.aws import ClientFactory
from zhtj.adapters.cognito import CognitoIdentityProvider
from zhtj.adapters.cognito_directory import CognitoDirectory
from zhtj.adapters.dynamodb import DynamoStore
from zhtj.adapters.dynamodb_approvals import DynamoApprovalStore
from zhtj.adapters.dynamodb_archives import DynamoArchiveStore
from zhtj.adapters.dynamodb_distribution import DynamoDistribution
from zhtj.adapters.s3 import S3ArchiveFiles
from zhtj.adapters.ses import SesMailer
from zhtj.adapters.site_bucket import SiteBucket
from zhtj.services.approvals import ApprovalMail, LinkContext
from zhtj.services.archives import NO_EVENTS
from zhtj.settings import Settings


@dataclass
class Container:
    settings: Settings
    clients: ClientFactory
    store: DynamoStore
    identity: CognitoIdentityProvider
    archives: DynamoArchiveStore
    archive_files: S3ArchiveFiles
    distribution: DynamoDistribution
    site: SiteBucket
    # Approvals: e-mailed links, the admin directory, mail, and the archive hooks that send it.
    approval_links: DynamoApprovalStore
    directory: CognitoDirectory
    mailer: SesMailer
    archive_events: ApprovalMail


def build(settings: Settings | None = None, *, environ: Mapping[str, str] | None = None,
          session: Any = None) -> Container:
    settings = settings or Settings.from_environ(os.environ if environ is None else environ)
    clients = ClientFactory(settings, session=session)
    store = DynamoStore(clients, settings.table_name)
    archives = DynamoArchiveStore(clients, settings.table_name)
    approval_links = DynamoApprovalStore(clients, settings.table_name)
    directory = CognitoDirectory(clients, settings.user_pool_id)
    mailer = SesMailer(clients, settings.sender_email, settings.mail_template_prefix)
    return Container(
        settings=settings,
        clients=clients,
        store=store,
        identity=CognitoIdentityProvider(clients, settings.user_pool_id, settings.user_pool_client_id),
        archives=archives,
        archive_files=S3ArchiveFiles(clients, settings.archive_bucket),
        distribution=DynamoDistribution(clients, settings.table_name),
        site=SiteBucket(clients, settings.site_bucket),
        approval_links=approval_links,
        directory=directory,
        mailer=mailer,
        archive_events=ApprovalMail(links=approval_links, directory=directory, mailer=mailer, ledger=archives,
                                    orgs=store, site_origin=settings.site_origin,
                                    link_days=settings.approval_link_days),
    )


def link_context(container: Container) -> LinkContext:
    """What the e-mailed link's use cases need — for its routes, the follow-up sweeper and the
    tests that act as either. The archive events are passed as they are: the service logs a
    failed outcome e-mail itself and keeps it due for a retry (a stand-in container without
    them sends nothing)."""
    return LinkContext(links=container.approval_links, directory=container.directory, ledger=container.archives,
                       files=container.archive_files,
                       events=getattr(container, "archive_events", None) or NO_EVENTS,
                       url_ttl_seconds=int(container.settings.url_ttl_seconds))


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
