"""Lazily created boto3 clients.

A client made at import time would be created before moto (or a test) could point it
elsewhere and would be shared across tests, so adapters receive a ClientFactory and ask it
for a client the first time they need one. boto3 itself is imported here on first use only."""

from __future__ import annotations

import threading
from typing import Any

from zhtj.settings import Settings


class ClientFactory:
    def __init__(self, settings: Settings, session: Any = None) -> None:
        self._settings = settings
        self._session = session
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._make(service)
            return self._clients[service]

    def _make(self, service: str) -> Any:
        import boto3
        from botocore.config import Config

        # S3 must sign with SigV4: without it boto3 presigns with SigV2 (DESIGN.md, known traps).
        config = Config(
            signature_version="s3v4" if service == "s3" else None,
            retries={"mode": "standard", "max_attempts": 5},
            s3=({"addressing_style": "path"} if self._settings.endpoint_url else
                # On AWS, URLs the browser uses (presigned POST and GET) name the bucket's own
                # region: botocore's default, the global host bucket.s3.amazonaws.com, answers a
                # bucket outside us-east-1 with a 307 for its first hours, and a browser does
                # not follow a redirect of a CORS upload.
                {"addressing_style": "virtual", "us_east_1_regional_endpoint": "regional"}),
            max_pool_connections=32,
        )
        session: Any = self._session or boto3.session.Session()
        return session.client(
            service,
            region_name=self._settings.region,
            endpoint_url=self._settings.endpoint_url,
            config=config,
        )
