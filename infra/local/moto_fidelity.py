"""Make the embedded DynamoDB as atomic as the real one.

DynamoDB applies each conditional write (and each transaction) atomically: the condition is
evaluated and the write applied with no other write to the item in between. moto evaluates
and applies in plain Python with no lock, so two threads can both pass ``remaining >= 1``
and both take the last number (measured: 11 of 10 places taken by 40 threads). Everything
this project proves about concurrency would then be proved about moto's race, not about the
design. The local stack and the integration tests therefore serialise moto's DynamoDB write
operations with one lock — per table would be closer to DynamoDB, but transactions span
tables, and a global lock is what a single-process emulator can honestly offer."""

from __future__ import annotations

import functools
import threading
from typing import Any

_LOCK = threading.RLock()
_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item")
_INSTALLED = False


def make_dynamodb_writes_atomic() -> None:
    global _INSTALLED
    if _INSTALLED:
        return
    from moto.dynamodb.models import DynamoDBBackend

    for name in _WRITES:
        original = getattr(DynamoDBBackend, name)

        @functools.wraps(original)
        def locked(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with _LOCK:
                return __original(self, *args, **kwargs)

        setattr(DynamoDBBackend, name, locked)
    _INSTALLED = True
