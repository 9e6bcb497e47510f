"""S3 adapter: the site bucket (template.yaml → SiteBucket: versioned, encrypted, public access
blocked; CloudFront will serve it in front of the site). Implements
``zhtj.services.publishing.PublishedFiles`` for what the API publishes under ``published/``.

Conditional writes are S3's own (``If-None-Match: *`` creates only, ``If-Match: <etag>``
replaces only the version read); a lost condition is ``PreconditionFailed`` (412), or
``ConditionalRequestConflict`` (409) when two conditional writes race.
"""

from __future__ import annotations

from typing import Any

from zhtj.adapters.aws import ClientFactory
from zhtj.services.publishing import WriteConflict, content_disposition

_LOST = {"PreconditionFailed", "ConditionalRequestConflict", "412", "409"}


class SiteBucket:
    def __init__(self, clients: ClientFactory, bucket: str) -> None:
        self._clients = clients
        self.bucket = bucket

    @property
    def client(self) -> Any:
        return self._clients.client("s3")

    def read(self, key: str) -> tuple[bytes, str] | None:
        client = self.client
        try:
            result = client.get_object(Bucket=self.bucket, Key=key)
        except client.exceptions.NoSuchKey:
            return None
        except client.exceptions.ClientError as exc:
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                return None
            raise
        body = result["Body"]
        try:
            return bytes(body.read()), str(result.get("ETag", ""))
        finally:
            body.close()

    def write(self, key: str, body: bytes, *, content_type: str, cache_control: str,
              if_none_match: bool = False, if_match: str | None = None) -> None:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": key, "Body": body, "ContentType": content_type,
                                  "CacheControl": cache_control}
        if if_none_match:
            kwargs["IfNoneMatch"] = "*"
        if if_match:
            kwargs["IfMatch"] = if_match
        client = self.client
        try:
            client.put_object(**kwargs)
        except client.exceptions.ClientError as exc:
            error = exc.response.get("Error", {})
            status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
            lost = error.get("Code") in _LOST or status in ("412", "409")
            if lost or (if_match and error.get("Code") in ("NoSuchKey", "404")):  # the version read is gone
                raise WriteConflict(key) from None
            raise

    def presign_get(self, key: str, *, filename: str, content_type: str, expires_in: int) -> str:
        return str(self.client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": key, "ResponseContentType": content_type,
                    "ResponseContentDisposition": content_disposition(filename)},
            ExpiresIn=expires_in,
        ))

