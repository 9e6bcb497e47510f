"""Deployment settings. Read from the environment in exactly one place (bootstrap), so that
domain and services never touch os.environ."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    table_name: str
    archive_bucket: str
    user_pool_id: str
    user_pool_client_id: str
    province_code: str = "32"
    sender_email: str = "no-reply@example.org"
    # The stage's SES templates are this prefix + a zhtj.mail template name (template.yaml).
    mail_template_prefix: str = "zhtj-local-"
    site_origin: str = "http://127.0.0.1:8000"
    url_ttl_seconds: int = 300
    # Days an e-mailed approval link stays valid (Approvals: the token's expiry).
    approval_link_days: int = 14
    id_hash_key: str = "local-only-id-hash-key-change-me-0000"
    region: str = "us-east-1"
    # The site bucket (template.yaml → SiteBucket): the published allocation table (附件1).
    site_bucket: str = ""
    # Set only in the local stack: where the embedded AWS (moto server) listens.
    endpoint_url: str | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        return cls(
            table_name=environ["ZHTJ_TABLE_NAME"],
            archive_bucket=environ["ZHTJ_ARCHIVE_BUCKET"],
            user_pool_id=environ["ZHTJ_USER_POOL_ID"],
            user_pool_client_id=environ["ZHTJ_USER_POOL_CLIENT_ID"],
            province_code=environ.get("ZHTJ_PROVINCE_CODE", "32"),
            sender_email=environ.get("ZHTJ_SENDER_EMAIL", "no-reply@example.org"),
            mail_template_prefix=environ.get("ZHTJ_MAIL_TEMPLATE_PREFIX", "zhtj-local-"),
            site_origin=environ.get("ZHTJ_SITE_ORIGIN", "http://127.0.0.1:8000"),
            url_ttl_seconds=int(environ.get("ZHTJ_URL_TTL_SECONDS", "300")),
            approval_link_days=int(environ.get("ZHTJ_APPROVAL_LINK_DAYS", "14")),
            id_hash_key=environ["ZHTJ_ID_HASH_KEY"],
            region=environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "us-east-1",
            endpoint_url=environ.get("ZHTJ_AWS_ENDPOINT_URL") or None,
            site_bucket=environ.get("ZHTJ_SITE_BUCKET", ""),
        )

    def as_environ(self) -> dict[str, str]:
        """The inverse of from_environ (the local stack sets it for the handlers)."""
        env = {
            "ZHTJ_TABLE_NAME": self.table_name,
            "ZHTJ_ARCHIVE_BUCKET": self.archive_bucket,
            "ZHTJ_USER_POOL_ID": self.user_pool_id,
            "ZHTJ_USER_POOL_CLIENT_ID": self.user_pool_client_id,
            "ZHTJ_PROVINCE_CODE": self.province_code,
            "ZHTJ_SENDER_EMAIL": self.sender_email,
            "ZHTJ_MAIL_TEMPLATE_PREFIX": self.mail_template_prefix,
            "ZHTJ_SITE_ORIGIN": self.site_origin,
            "ZHTJ_URL_TTL_SECONDS": str(self.url_ttl_seconds),
            "ZHTJ_APPROVAL_LINK_DAYS": str(self.approval_link_days),
            "ZHTJ_ID_HASH_KEY": self.id_hash_key,
            "AWS_REGION": self.region,
        }
        if self.endpoint_url:
            env["ZHTJ_AWS_ENDPOINT_URL"] = self.endpoint_url
        if self.site_bucket:
            env["ZHTJ_SITE_BUCKET"] = self.site_bucket
        return env
