"""S3 for batch imports, on the same bucket as the archives (template.yaml → ArchiveBucket).

Layout (keys carry no name and no ID number):

* ``uploads/imports/{job_id}/source.{xlsx|xls|csv}`` — the uploaded spreadsheet, posted by the
  browser with the presigned POST the API issued for exactly this key; the bucket notifies the
  upload queue (everything under ``uploads/``) and the worker processes it;
* ``reports/{job_id}/failures.xlsx`` — the failure report (录入操作步骤 §三.5), served with a
  short-lived presigned GET that names the Chinese file name in Content-Disposition.

Presigning, reading and heads are the archive adapter's own (``S3ArchiveFiles``, SigV4); this
module adds what it lacks: writing an object and presigning a download of any content type.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from zhtj.adapters.s3 import ObjectInfo, S3ArchiveFiles


class S3ImportFiles:
    def __init__(self, files: S3ArchiveFiles) -> None:
        self._files = files
        self.bucket = files.bucket

    @property
    def client(self) -> Any:
        return self._files.client

    def presign_post(self, key: str, *, content_type: str, max_bytes: int, expires_in: int) -> dict[str, Any]:
        return self._files.presign_post(key, content_type=content_type, max_bytes=max_bytes, expires_in=expires_in)

    def head(self, key: str, version_id: str | None = None) -> ObjectInfo:
        return self._files.head(key, version_id)

    def read(self, key: str, version_id: str | None, *, max_bytes: int) -> bytes:
        return self._files.read(key, version_id, max_bytes=max_bytes)

    def delete_version(self, key: str, version_id: str | None) -> None:
        self._files.delete_version(key, version_id)

    def put(self, key: str, data: bytes, *, content_type: str) -> str | None:
        result = self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)
        version = result.get("VersionId")
        return str(version) if version else None

    def presign_download(self, key: str, *, version_id: str | None, filename: str, content_type: str,
                         expires_in: int) -> str:
        """A GET that downloads as ``filename`` (RFC 6266/5987: an ASCII fallback and the UTF-8
        name, so browsers save 「…导入失败3条.xlsx」 rather than failures.xlsx)."""
        fallback = key.rsplit("/", 1)[-1]
        params: dict[str, Any] = {
            "Bucket": self.bucket, "Key": key, "ResponseContentType": content_type,
            "ResponseContentDisposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}",
        }
        if version_id:
            params["VersionId"] = version_id
        return str(self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in))
