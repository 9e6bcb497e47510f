"""One link decision in a process of its own, as the API function runs it, killed for real
(SIGKILL: no ``finally``, no ``except BaseException``, no release of the claim) just before
its write number ``--kill-before`` — test_decisions_exactly_once.py runs it once per point
between two writes of a clean run.

``python -m tests.integration.decision_process --table T --token TOKEN --last-four 0231
[--kill-before N]`` with the stack's ``ZHTJ_*`` environment. A run that is not killed prints
one JSON line: the answer (status, code) and every write it made, in order, as
``[operation, recipient]`` (the recipient for an e-mail, else null)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any, Final

# What changes state somewhere: DynamoDB items, a sent e-mail, an object. Reads are free to
# happen any number of times, so a kill between two reads is the same as a kill before the next write.
WRITES: Final = {
    "dynamodb": frozenset({"put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item"}),
    "ses": frozenset({"send_email", "send_templated_email", "send_raw_email"}),
    "s3": frozenset({"put_object", "copy_object", "delete_object", "delete_objects"}),
}


class KillSwitch:
    """Counts writes across every client of the process and kills the process before the
    armed one goes out."""

    def __init__(self, kill_before: int | None) -> None:
        self.kill_before = kill_before
        self.writes: list[tuple[str, str | None]] = []
        self._lock = threading.Lock()

    def before(self, operation: str, kwargs: dict[str, Any]) -> None:
        with self._lock:
            if self.kill_before is not None and len(self.writes) + 1 == self.kill_before:
                sys.stdout.flush()
                os.kill(os.getpid(), signal.SIGKILL)
            recipient = None
            if operation in ("send_email", "send_templated_email"):
                recipient = str(kwargs["Destination"]["ToAddresses"][0])
            self.writes.append((operation, recipient))


class KillableClient:
    """A boto3 client whose write calls pass the switch first; everything else is the client's."""

    def __init__(self, client: Any, writes: frozenset[str], switch: KillSwitch) -> None:
        self._client = client
        self._writes = writes
        self._switch = switch

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if name not in self._writes:
            return attribute

        def write(**kwargs: Any) -> Any:
            self._switch.before(name, kwargs)
            return attribute(**kwargs)

        return write


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--table", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--last-four", required=True)
    parser.add_argument("--kill-before", type=int, default=None)
    args = parser.parse_args(argv)

    from tests.integration.test_approvals import call
    from zhtj import bootstrap
    from zhtj.adapters.aws import ClientFactory
    from zhtj.handlers import api
    from zhtj.settings import Settings

    switch = KillSwitch(args.kill_before)
    make = ClientFactory._make

    def killable(self: ClientFactory, service: str) -> Any:
        client = make(self, service)
        return KillableClient(client, WRITES[service], switch) if service in WRITES else client

    ClientFactory._make = killable  # type: ignore[method-assign]  # this process only
    container = bootstrap.build(Settings.from_environ({**os.environ, "ZHTJ_TABLE_NAME": args.table}))
    bootstrap.reset(container)
    status, body, _ = call(api.build_app(container), "/api/approval-links/decision",
                           {"token": args.token, "approve": True, "last_four": args.last_four})
    print(json.dumps({"status": status, "code": body.get("code"), "writes": switch.writes}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
