"""Make the embedded DynamoDB as atomic as the real one.

DynamoDB applies each conditional write (and each transaction) atomically: the condition is
evaluated and the write applied with no other write to the item in between. moto evaluates
and applies in plain Python with no lock, so two threads can both pass ``remaining >= 1``
and both take the last number (measured: 11 of 10 places taken by 40 threads). Everything
this project proves about concurrency would then be proved about moto's race, not about the
design. The local stack and the integration tests therefore serialise moto's DynamoDB write
operations with one lock — per table would be closer to DynamoDB, but transactions span
tables, and a global lock is what a single-process emulator can honestly offer.
Two more things make moto's TransactWriteItems faithful and affordable, installed with the lock:

* **Rollback by journal.** moto backs a transaction up with ``copy.deepcopy(table)`` once per
  *item* (moto 5.2.5) — the whole table, its items and its stream's records, 100 times for a
  100-item transaction — so a transaction's cost grew with the table (DESIGN.md: 116 tx/s
  empty, 4 at 2,500 items). Here, during a transaction, moto's "backup" is the table itself
  (so its own restore is a no-op), and the wrapper keeps a journal instead: a copy of each item
  the transaction names, taken before it runs, put back if the transaction is cancelled or
  fails. What a cancelled transaction leaves is the same — every named item as it was — at a
  cost that depends on the transaction's size, not the table's.
* **No stream records for a cancelled transaction.** DynamoDB writes none; moto's partial
  writes before the failing item appended some. The wrapper drops them. GetRecords takes the
  lock, so no reader sees records of a transaction that is still running.

Tests: tests/integration/test_moto_fidelity.py."""

from __future__ import annotations

import functools
import threading
from typing import Any

_LOCK = threading.RLock()
_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item")
# Reads take the lock too: moto's Query and Scan iterate the table's dict of items, and a write
# in another thread that adds a partition key makes that loop raise "dictionary changed size
# during iteration" (seen in CI: a registration's Query racing a take-back's Put). DynamoDB's
# reads never fail that way; serialised, moto's don't either (they run under the GIL anyway).
_READS = ("get_item", "query", "scan")
_INSTALLED = False
_IN_TRANSACTION = threading.local()


def make_dynamodb_writes_atomic() -> None:
    global _INSTALLED
    if _INSTALLED:
        return
    from moto.dynamodb.models import DynamoDBBackend

    for name in _WRITES + _READS:
        original = getattr(DynamoDBBackend, name)

        @functools.wraps(original)
        def locked(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with _LOCK:
                return __original(self, *args, **kwargs)

        setattr(DynamoDBBackend, name, locked)
    _install_journalled_transactions()
    _lock_stream_reads()
    _INSTALLED = True


class _TableBackupIsTheTable:
    """Stands in for the ``copy`` module inside moto's DynamoDB models: inside a transaction
    on this thread, a deep copy of a Table is the table itself; anything else is copied."""

    def __init__(self, real: Any, table_type: type) -> None:
        self._real = real
        self._table_type = table_type

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        if type(value) is self._table_type and getattr(_IN_TRANSACTION, "active", False):
            return value
        return self._real.deepcopy(value, memo)


class _Journal:
    """The items a transaction names, as they were before it ran, and each table's stream length."""

    def __init__(self, backend: Any, transact_items: list[dict[str, Any]]) -> None:
        self.backend = backend
        self.saved: list[tuple[Any, Any, Any, Any]] = []  # table, hash key, range key, item or None
        self.stream_lengths: dict[str, int] = {}
        for entry in transact_items:
            for op in entry.values():
                self._save(op)

    def _save(self, op: Any) -> None:
        import copy

        table = self.backend.tables.get(op.get("TableName")) if isinstance(op, dict) else None
        if table is None:
            return  # moto itself refuses the transaction before writing anything
        try:
            key = op["Key"] if "Key" in op else {
                name: op["Item"][name] for name in (table.hash_key_attr, table.range_key_attr) if name}
            hash_key, range_key = self.backend.get_keys_value(table, key)
        except Exception:
            return  # a malformed operation: moto raises a validation error before writing
        item = table.get_item(hash_key, range_key)
        self.saved.append((table, hash_key, range_key, copy.deepcopy(item) if item is not None else None))
        if table.stream_shard is not None:
            self.stream_lengths.setdefault(table.name, len(table.stream_shard.items))

    def restore(self) -> None:
        for table, hash_key, range_key, item in reversed(self.saved):
            if table.has_range_key:
                bucket = table.items[hash_key]
                if item is None:
                    bucket.pop(range_key, None)
                else:
                    bucket[range_key] = item
                if not bucket:
                    table.items.pop(hash_key, None)
            elif item is None:
                table.items.pop(hash_key, None)
            else:
                table.items[hash_key] = item
        for name, length in self.stream_lengths.items():
            table = self.backend.tables.get(name)
            if table is not None and table.stream_shard is not None:
                del table.stream_shard.items[length:]


def _install_journalled_transactions() -> None:
    import copy

    from moto.dynamodb import models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    setattr(models, "copy", _TableBackupIsTheTable(copy, Table))  # noqa: B010 (moto exports no such name)
    original = DynamoDBBackend.transact_write_items

    @functools.wraps(original)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]], *args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            journal = _Journal(self, transact_items)
            _IN_TRANSACTION.active = True
            try:
                return original(self, transact_items, *args, **kwargs)
            except BaseException:
                journal.restore()
                raise
            finally:
                _IN_TRANSACTION.active = False

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def _lock_stream_reads() -> None:
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    get_records = DynamoDBStreamsBackend.get_records

    @functools.wraps(get_records)
    def locked_get_records(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return get_records(self, *args, **kwargs)

    DynamoDBStreamsBackend.get_records = locked_get_records  # type: ignore[method-assign]

