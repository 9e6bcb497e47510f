"""S3 adapter: the archive bucket (template.yaml → ArchiveBucket: versioned, encrypted, public
access blocked). Implements ``zhtj.services.archives.ArchiveFiles``.

Layout (keys carry no name and no ID number — ``member_id`` is a keyed hash):

* ``uploads/archives/{member_id}/{upload_id}.pdf`` — where a browser posts one file with the
  presigned POST; the bucket notifies the upload queue for everything under ``uploads/``;
* ``archives/{member_id}/v{n}.pdf`` — version *n* of the member's archive, written once by the
  worker (every version kept; the record pins the S3 VersionId it wrote);
* ``refused/archives/{member_id}/{upload_id}.pdf`` — a file the worker refused, kept for the
  admin and for support, never the member's archive.

Every presigned URL is signed with SigV4 (the ClientFactory configures ``s3v4``: boto3 would
otherwise presign with SigV2, DESIGN.md known traps). Presigning is local computation: no
request reaches S3 until the browser uses the URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from zhtj.adapters.aws import ClientFactory
from zhtj.services.archives import FileMissing


@dataclass(frozen=True)
class ObjectInfo:
    size: int
    version_id: str | None
    etag: str | None


class S3ArchiveFiles:
    def __init__(self, clients: ClientFactory, bucket: str) -> None:
        self._clients = clients
        self.bucket = bucket

    @property
    def client(self) -> Any:
        return self._clients.client("s3")

    # ------------------------------------------------------------ presigning
    def presign_post(self, key: str, *, content_type: str, max_bytes: int, expires_in: int) -> dict[str, Any]:
        """A browser form upload of exactly ``key``: boto3 adds ``{"bucket": …}`` and
        ``{"key": key}`` (an exact match, because the key does not end in ``${filename}``) to
        the conditions below; the policy expires after ``expires_in`` seconds."""
        result = self.client.generate_presigned_post(
            Bucket=self.bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
            ExpiresIn=expires_in,
        )
        return {"url": result["url"], "fields": dict(result["fields"])}

    def presign_get(self, key: str, *, version_id: str | None, filename: str, expires_in: int) -> str:
        params: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": key,
            "ResponseContentType": "application/pdf",
            "ResponseContentDisposition": f'inline; filename="{filename}"',
        }
        if version_id:
            params["VersionId"] = version_id
        return str(self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in))

    # ------------------------------------------------------------ objects
    def head(self, key: str, version_id: str | None = None) -> ObjectInfo:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if version_id:
            kwargs["VersionId"] = version_id
        try:
            result = self.client.head_object(**kwargs)
        except self.client.exceptions.ClientError as exc:
            if _missing(exc):
                raise FileMissing(key) from None
            raise
        return ObjectInfo(size=int(result.get("ContentLength", 0)), version_id=result.get("VersionId"),
                          etag=(result.get("ETag") or "").strip('"') or None)

    def read(self, key: str, version_id: str | None, *, max_bytes: int) -> bytes:
        """The object's bytes; never more than ``max_bytes`` (the caller checked the size
        with ``head`` first; this is the bound should the object have changed since)."""
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": key, "Range": f"bytes=0-{max_bytes - 1}"}
        if version_id:
            kwargs["VersionId"] = version_id
        try:
            result = self.client.get_object(**kwargs)
        except self.client.exceptions.ClientError as exc:
            if _missing(exc):
                raise FileMissing(key) from None
            if exc.response.get("Error", {}).get("Code") == "InvalidRange":  # a 0-byte object
                return b""
            raise
        body = result["Body"]
        try:
            return bytes(body.read(max_bytes))
        finally:
            body.close()

    def copy(self, source_key: str, source_version: str | None, target_key: str, *,
             metadata: Mapping[str, str], content_type: str) -> str | None:
        """Server-side copy of one exact source version; returns the new object's VersionId."""
        source: dict[str, str] = {"Bucket": self.bucket, "Key": source_key}
        if source_version:
            source["VersionId"] = source_version
        try:
            result = self.client.copy_object(
                Bucket=self.bucket, Key=target_key, CopySource=source, MetadataDirective="REPLACE",
                Metadata=dict(metadata), ContentType=content_type,
            )
        except self.client.exceptions.ClientError as exc:
            if _missing(exc):
                raise FileMissing(source_key) from None
            raise
        version = result.get("VersionId")
        return str(version) if version else None

    def delete_version(self, key: str, version_id: str | None) -> None:
        """Permanently delete one version (no delete marker left behind). Without a version
        id (an unversioned bucket) the key itself is deleted."""
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if version_id:
            kwargs["VersionId"] = version_id
        self.client.delete_object(**kwargs)


def _missing(exc: Any) -> bool:
    code = str(exc.response.get("Error", {}).get("Code", ""))
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code in ("NoSuchKey", "NoSuchVersion", "404", "NotFound") or status == 404
