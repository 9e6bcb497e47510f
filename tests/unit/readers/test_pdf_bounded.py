"""run_bounded: a killable child with a wall-clock and a memory bound (zhtj.readers.bounded)."""

from __future__ import annotations

import faulthandler
import multiprocessing
import os
import re
import signal

import pytest

from zhtj.readers.bounded import (
    BoundedCrash,
    BoundedError,
    BoundedFuncError,
    BoundedMemoryExceeded,
    BoundedTimeout,
    run_bounded,
)

MiB = 1024 * 1024
BOUND = {"timeout_s": 10.0, "memory_bytes": 256 * MiB}

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(autouse=True)
def _no_child_left() -> None:
    yield
    assert multiprocessing.active_children() == []


def _add(a: int, b: int) -> int:
    return a + b


def test_returns_the_result() -> None:
    assert run_bounded(_add, 2, 3, **BOUND) == 5


def test_arguments_need_not_pickle() -> None:
    # fork: the child inherits its arguments, so a lambda or a 20 MB bytes object is not copied
    data = bytes(20 * MiB)
    assert run_bounded(lambda blob: len(blob), data, **BOUND) == 20 * MiB


def test_runs_in_another_process() -> None:
    assert run_bounded(os.getpid, **BOUND) != os.getpid()


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
        run_bounded(_exit_hard, **BOUND)
    assert caught.value.exitcode == 3
    assert caught.value.signal is None


def test_child_killed_by_a_signal_is_a_crash() -> None:
    with pytest.raises(BoundedCrash) as caught:
        run_bounded(_segfault, **BOUND)
    assert caught.value.signal == signal.SIGSEGV


def _raise() -> None:
    raise ValueError("kaputt")


def test_exception_in_the_function_is_reported() -> None:
    with pytest.raises(BoundedFuncError) as caught:
        run_bounded(_raise, **BOUND)
    assert caught.value.exc_type == "ValueError"
    assert caught.value.message == "kaputt"
    assert "_raise" in caught.value.traceback_text


def test_unpicklable_result_is_an_error_not_a_hang() -> None:
    with pytest.raises(BoundedError):
        run_bounded(lambda: lambda: None, **BOUND)


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
            run_bounded(_segfault, **BOUND)
    assert run_bounded(_add, 1, 1, **BOUND) == 2
