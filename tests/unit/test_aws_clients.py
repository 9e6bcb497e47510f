"""The clients the adapters get (zhtj.adapters.aws): what the URLs handed to a browser name."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from zhtj.adapters.aws import ClientFactory
from zhtj.settings import Settings


def _settings(region: str, endpoint_url: str | None = None) -> Settings:
    return Settings(table_name="zhtj-test", archive_bucket="zhtj-archive", user_pool_id="pool",
                    user_pool_client_id="client", region=region, endpoint_url=endpoint_url)


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


@pytest.mark.parametrize(("region", "host"), [
    ("ap-southeast-1", "zhtj-archive.s3.ap-southeast-1.amazonaws.com"),
    ("us-east-1", "zhtj-archive.s3.us-east-1.amazonaws.com"),
    ("cn-north-1", "zhtj-archive.s3.cn-north-1.amazonaws.com.cn"),
])
def test_presigned_urls_on_aws_name_the_buckets_region(region: str, host: str) -> None:
    """Not the global bucket.s3.amazonaws.com: outside us-east-1 it answers a young bucket with
    a 307, which a browser's CORS upload does not follow. Presigning is local: no request."""
    s3 = ClientFactory(_settings(region)).client("s3")
    post = s3.generate_presigned_post("zhtj-archive", "uploads/archives/m/u.pdf", ExpiresIn=300)
    get = s3.generate_presigned_url("get_object", Params={"Bucket": "zhtj-archive", "Key": "archives/m/v1.pdf"},
                                    ExpiresIn=300)
    assert urlsplit(post["url"]).hostname == urlsplit(get).hostname == host
    assert post["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"


def test_the_local_stack_keeps_path_style_urls_on_its_endpoint() -> None:
    s3 = ClientFactory(_settings("us-east-1", "http://127.0.0.1:5000")).client("s3")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "zhtj-archive", "Key": "a.pdf"}, ExpiresIn=60)
    assert url.startswith("http://127.0.0.1:5000/zhtj-archive/a.pdf?")
