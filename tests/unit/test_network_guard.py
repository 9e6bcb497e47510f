import socket

import pytest

from tests.unit.conftest import NetworkUsedInUnitTest


def test_unit_tier_refuses_ip_connections() -> None:
    with socket.socket() as s, pytest.raises(NetworkUsedInUnitTest):
        s.connect(("127.0.0.1", 9))
