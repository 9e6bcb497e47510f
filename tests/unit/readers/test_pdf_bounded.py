"""run_bounded: a killable child with a wall-clock and a memory bound (zhtj.readers.bounded)."""

from __future__ import annotations

import faulthandler
import multiprocessing
import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from zhtj.readers.bounded import (
    BoundedCrash,
    BoundedError,
    BoundedFuncError,
    BoundedMemoryExceeded,
    BoundedTimeout,
    Emit,
    run_bounded,
    run_bounded_streaming,
)

MiB = 1024 * 1024
TIMEOUT = 10.0
MEMORY = 256 * MiB

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(autouse=True)
def _no_child_left() -> Iterator[None]:
    yield
    assert multiprocessing.active_children() == []


def _add(a: int, b: int) -> int:
    return a + b


def test_returns_the_result() -> None:
    assert run_bounded(_add, 2, 3, timeout_s=TIMEOUT, memory_bytes=MEMORY) == 5


def test_arguments_need_not_pickle() -> None:
    # fork: the child inherits its arguments, so a lambda or a 20 MB bytes object is not copied
    data = bytes(20 * MiB)
    assert run_bounded(lambda blob: len(blob), data, timeout_s=TIMEOUT, memory_bytes=MEMORY) == 20 * MiB


def test_runs_in_another_process() -> None:
    assert run_bounded(os.getpid, timeout_s=TIMEOUT, memory_bytes=MEMORY) != os.getpid()


def _spin() -> None:
    while True:
        pass


def test_python_loop_is_killed_on_timeout() -> None:
    with pytest.raises(BoundedTimeout) as caught:
        run_bounded(_spin, timeout_s=0.5, memory_bytes=64 * MiB)
    assert caught.value.timeout_s == 0.5


def _catastrophic_regex() -> object:
    # Exponential backtracking inside the C regex engine: no signal handler runs meanwhile,
    # which is why the bound is a killable process and not signal.alarm.
    return re.fullmatch(r"(a+)+b", "a" * 64)


def test_loop_inside_c_code_is_killed_on_timeout() -> None:
    with pytest.raises(BoundedTimeout):
        run_bounded(_catastrophic_regex, timeout_s=0.5, memory_bytes=64 * MiB)


def _allocate(size: int) -> int:
    return len(bytearray(size))


def test_memory_bound_stops_a_large_allocation() -> None:
    with pytest.raises(BoundedMemoryExceeded) as caught:
        run_bounded(_allocate, 4096 * MiB, timeout_s=10, memory_bytes=64 * MiB)
    assert caught.value.memory_bytes == 64 * MiB


def test_memory_bound_is_on_what_the_child_adds() -> None:
    # 32 MiB more fits a 64 MiB bound however large the (pytest) parent already is
    assert run_bounded(_allocate, 32 * MiB, timeout_s=10, memory_bytes=64 * MiB) == 32 * MiB


def _exit_hard() -> None:
    os._exit(3)


def _segfault() -> None:
    faulthandler.disable()  # pytest enables it; the child's dump would only be noise here
    os.kill(os.getpid(), signal.SIGSEGV)


def test_child_dying_without_result_is_a_crash() -> None:
    with pytest.raises(BoundedCrash) as caught:
        run_bounded(_exit_hard, timeout_s=TIMEOUT, memory_bytes=MEMORY)
    assert caught.value.exitcode == 3
    assert caught.value.signal is None


def test_child_killed_by_a_signal_is_a_crash() -> None:
    with pytest.raises(BoundedCrash) as caught:
        run_bounded(_segfault, timeout_s=TIMEOUT, memory_bytes=MEMORY)
    assert caught.value.signal == signal.SIGSEGV


def _raise() -> None:
    raise ValueError("kaputt")


def test_exception_in_the_function_is_reported() -> None:
    with pytest.raises(BoundedFuncError) as caught:
        run_bounded(_raise, timeout_s=TIMEOUT, memory_bytes=MEMORY)
    assert caught.value.exc_type == "ValueError"
    assert caught.value.message == "kaputt"
    assert "_raise" in caught.value.traceback_text


def test_meanwhile_runs_beside_the_child_and_its_exception_ends_the_child() -> None:
    seen: list[int] = []
    assert run_bounded(_add, 1, 2, timeout_s=TIMEOUT, memory_bytes=MEMORY, meanwhile=lambda: seen.append(1)) == 3
    assert seen == [1]

    def refuse() -> None:
        raise RuntimeError("the check refused the input")

    with pytest.raises(RuntimeError, match="refused"):
        run_bounded(_spin, timeout_s=TIMEOUT, memory_bytes=MEMORY, meanwhile=refuse)
    # the spinning child is gone (the autouse fixture checks), long before TIMEOUT


def _count_to(emit: Emit, n: int) -> str:
    for index in range(n):
        emit(index)
    return "done"


def test_streamed_parts_arrive_in_order_before_the_result() -> None:
    seen: list[int] = []
    result = run_bounded_streaming(_count_to, 5, on_part=seen.append, timeout_s=TIMEOUT, memory_bytes=MEMORY)
    assert (seen, result) == ([0, 1, 2, 3, 4], "done")


def test_the_caller_works_on_a_part_while_the_child_is_still_running(tmp_path: Path) -> None:
    """The child makes part 1 only once the caller has handled part 0 (it waits for the
    caller's mark): parts that reached the caller only at the end would time the call out."""
    mark = tmp_path / "part-0-handled"

    def parts(emit: Emit) -> str:
        emit(0)
        while not mark.exists():
            time.sleep(0.01)
        emit(1)
        return "done"

    def handle(part: int) -> None:
        seen.append(part)
        mark.touch()

    seen: list[int] = []
    assert run_bounded_streaming(parts, on_part=handle, timeout_s=TIMEOUT, memory_bytes=MEMORY) == "done"
    assert seen == [0, 1]


def test_the_child_runs_ahead_while_the_caller_is_busy(tmp_path: Path) -> None:
    """The pipe holds several parts (1 MiB, not Linux's default 64 KiB): the child sends
    five 150 KB parts and finishes while the caller is still busy with the first."""
    finished = tmp_path / "child-finished"

    def parts(emit: Emit) -> str:
        for _ in range(5):
            emit(b"x" * 150_000)
        finished.touch()
        return "done"

    def slow(_part: bytes) -> None:
        while not finished.exists():
            time.sleep(0.01)

    assert run_bounded_streaming(parts, on_part=slow, timeout_s=TIMEOUT, memory_bytes=MEMORY) == "done"


def _emit_forever(emit: Emit) -> None:
    while True:
        emit(b"x" * 1000)


def test_a_part_the_caller_refuses_ends_the_child() -> None:
    def refuse(_part: bytes) -> None:
        raise RuntimeError("not a template")

    with pytest.raises(RuntimeError, match="not a template"):
        run_bounded_streaming(_emit_forever, on_part=refuse, timeout_s=TIMEOUT, memory_bytes=MEMORY)
    # the emitting child is gone (the autouse fixture checks)


def test_the_timeout_bounds_the_callers_work_on_parts_too() -> None:
    with pytest.raises(BoundedTimeout):
        run_bounded_streaming(_emit_forever, on_part=lambda _part: time.sleep(0.05), timeout_s=0.5,
                              memory_bytes=MEMORY)


def test_unpicklable_result_is_an_error_not_a_hang() -> None:
    with pytest.raises(BoundedError):
        run_bounded(lambda: lambda: None, timeout_s=TIMEOUT, memory_bytes=MEMORY)


def test_all_failures_share_one_base_class() -> None:
    for kind in (BoundedTimeout, BoundedMemoryExceeded, BoundedCrash, BoundedFuncError):
        assert issubclass(kind, BoundedError)


@pytest.mark.parametrize("bound", [{"timeout_s": 0, "memory_bytes": MiB}, {"timeout_s": 1, "memory_bytes": 0}])
def test_bounds_must_be_positive(bound: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        run_bounded(_add, 1, 2, **bound)  # type: ignore[arg-type]


def test_parent_survives_many_failures() -> None:
    for _ in range(5):
        with pytest.raises(BoundedError):
            run_bounded(_segfault, timeout_s=TIMEOUT, memory_bytes=MEMORY)
    assert run_bounded(_add, 1, 1, timeout_s=TIMEOUT, memory_bytes=MEMORY) == 2


NO_SHM_PROBE = """
import multiprocessing, sys
try:
    multiprocessing.get_context("fork").Queue()
    print("queue-works")
except OSError:
    print("queue-fails")
from zhtj.readers.bounded import run_bounded
print(run_bounded(sum, [1, 2, 3], timeout_s=10, memory_bytes=64 * 2**20))
"""


def test_works_without_dev_shm() -> None:
    """AWS Lambda has no /dev/shm: multiprocessing.Queue/Pool fail there, Process+Pipe not.
    Reproduced in a private mount namespace with a read-only /dev/shm (needs root)."""
    import shutil
    import subprocess
    import sys

    from tests.conftest import ROOT

    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.skip("needs root and util-linux unshare to hide /dev/shm")
    script = f"mount -t tmpfs -o ro,size=4k tmpfs /dev/shm && exec {sys.executable} -c '{NO_SHM_PROBE}'"
    result = subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": f"{ROOT / 'functions'}:{ROOT}", "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        timeout=60,
    )
    if result.returncode != 0 and ("Operation not permitted" in result.stderr or "cannot" in result.stderr):
        pytest.skip(f"mount namespaces unavailable here: {result.stderr.strip()[:200]}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["queue-fails", "6"]
