"""Integration tier: the real adapters against moto (in process), with the resources created
from template.yaml exactly as the local stack creates them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.local.moto_fidelity import make_dynamodb_writes_atomic
from infra.local.resources import LocalResources, create_resources
from zhtj import bootstrap
from zhtj.settings import Settings


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalResources]:
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    make_dynamodb_writes_atomic()
    with mock_aws():
        yield create_resources(boto3.session.Session(), endpoint_url=None,
                               parameters={"Stage": "test", "SiteOrigin": "http://127.0.0.1:8000"})


@pytest.fixture
def container(aws: LocalResources) -> Iterator[bootstrap.Container]:
    built = bootstrap.build(Settings.from_environ({**aws.environment, "AWS_REGION": "us-east-1"}))
    bootstrap.reset(built)
    yield built
    bootstrap.reset()


def client(service: str) -> Any:
    return boto3.client(service, region_name="us-east-1")
