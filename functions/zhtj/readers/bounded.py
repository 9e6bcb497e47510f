"""Run one function in a killable child process with a wall-clock and a memory bound.

Why a child process and not a thread or ``signal.alarm``: parsing an untrusted file (PDF,
spreadsheet) may spin inside C code (zlib, the regex engine, an XML parser), where neither a
signal handler nor a thread can interrupt it, and it may allocate without bound. A child can
be given its own address-space limit and be SIGKILLed when it runs out of time, and whatever
it does, the caller's process survives.

Why ``multiprocessing.Process`` + ``Pipe`` and not ``Pool``/``Queue``: AWS Lambda has no
``/dev/shm``, and ``Pool``/``Queue`` need POSIX semaphores there. ``Process`` with the fork
start method needs only a pipe; ``Pipe(duplex=False)`` is an ``os.pipe`` (Linux).

Why fork: the child inherits the caller's memory, so a 20 MB upload is not pickled to it, and
modules the caller already imported (pypdf, openpyxl) are not imported again — a spawned
child would pay their import time (pypdf ≈ 0.24 s, DESIGN "Cold start") on every call.
Fork is safe here because Lambda workers are single-threaded; do not call ``run_bounded``
while other threads hold locks (logging handlers, boto3 transfer threads).

The memory bound is ``RLIMIT_AS`` set inside the child to the child's address-space size at
start plus ``memory_bytes``: the bound is on what the function *adds*, so it means the same in
a small Lambda process and in a pytest process with hundreds of modules mapped.

Usage::

    result = run_bounded(parse, data, timeout_s=15, memory_bytes=512 * 2**20)

The function and its arguments need not be picklable (fork); its return value must be.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import resource
import signal
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, Final, TypeVar, TypeVarTuple, Unpack

__all__ = [
    "BoundedCrash",
    "BoundedError",
    "BoundedFuncError",
    "BoundedMemoryExceeded",
    "BoundedTimeout",
    "run_bounded",
]

T = TypeVar("T")
Ts = TypeVarTuple("Ts")

# Exit code the child uses when it ran out of memory and could not even report it through
# the pipe (sending needs a little memory too). 75 = EX_TEMPFAIL, unlikely to collide.
_EXIT_MEMORY: Final = 75
# Exit code when the result could not be pickled or sent.
_EXIT_SEND_FAILED: Final = 76
# Seconds to wait for a killed child to be reaped.
_REAP_S: Final = 5.0


class BoundedError(Exception):
    """The bounded call did not produce a result."""


class BoundedTimeout(BoundedError):
    """The child ran longer than ``timeout_s`` and was killed."""

    def __init__(self, timeout_s: float) -> None:
        super().__init__(f"child process exceeded {timeout_s:g} s and was killed")
        self.timeout_s = timeout_s


class BoundedMemoryExceeded(BoundedError):
    """The child needed more than ``memory_bytes`` of extra address space."""

    def __init__(self, memory_bytes: int) -> None:
        super().__init__(f"child process exceeded its memory bound of {memory_bytes} bytes")
        self.memory_bytes = memory_bytes


class BoundedCrash(BoundedError):
    """The child died without answering (a signal, ``os._exit``, a fault in C code)."""

    def __init__(self, exitcode: int | None) -> None:
        how = f"killed by signal {-exitcode}" if exitcode is not None and exitcode < 0 else f"exit code {exitcode}"
        super().__init__(f"child process died without a result ({how})")
        self.exitcode = exitcode

    @property
    def signal(self) -> int | None:
        """The signal number that killed the child, if one did."""
        return -self.exitcode if self.exitcode is not None and self.exitcode < 0 else None


class BoundedFuncError(BoundedError):
    """The function raised an exception in the child.

    The original exception object is not carried over (it may not pickle); its type name,
    message and formatted traceback are.
    """

    def __init__(self, exc_type: str, message: str, traceback_text: str) -> None:
        super().__init__(f"{exc_type}: {message}")
        self.exc_type = exc_type
        self.message = message
        self.traceback_text = traceback_text


def run_bounded(
    func: Callable[[Unpack[Ts]], T],
    *args: *Ts,
    timeout_s: float,
    memory_bytes: int,
    meanwhile: Callable[[], object] | None = None,
) -> T:
    """Call ``func(*args)`` in a child process and return its (picklable) result.

    ``meanwhile`` runs in this process while the child works (e.g. a check of the same
    input); if it raises, the child is killed and its exception propagates.

    Raises ``BoundedTimeout`` after ``timeout_s`` seconds of wall-clock time (the child is
    SIGKILLed), ``BoundedMemoryExceeded`` when the child needed more than ``memory_bytes``
    on top of what it inherited, ``BoundedCrash`` when it died without a result, and
    ``BoundedFuncError`` when ``func`` raised. No child outlives the call.
    """
    if timeout_s <= 0:
        raise ValueError("timeout_s must be positive")
    if memory_bytes <= 0:
        raise ValueError("memory_bytes must be positive")
    ctx: Any = multiprocessing.get_context(_start_method())
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(
        target=_child_main,
        args=(sender, func, args, timeout_s, memory_bytes),
        name="zhtj-bounded",
        daemon=True,  # multiprocessing kills daemonic children if the parent exits first
    )
    try:
        process.start()
        # Close the parent's copy of the sending end, so that the child's death shows as
        # EOF on the receiving end instead of leaving poll() waiting for the timeout.
        sender.close()
        if meanwhile is not None:
            meanwhile()
        message = _receive(receiver, timeout_s)
        if message is None:
            raise BoundedTimeout(timeout_s)
        if message is _EOF:
            _reap(process)
            if process.exitcode == _EXIT_MEMORY:
                raise BoundedMemoryExceeded(memory_bytes)
            raise BoundedCrash(process.exitcode)
        assert isinstance(message, tuple)
        kind = message[0]
        if kind == "ok":
            return message[1]  # type: ignore[no-any-return]
        if kind == "memory":
            raise BoundedMemoryExceeded(memory_bytes)
        raise BoundedFuncError(message[1], message[2], message[3])
    finally:
        _stop(process)
        receiver.close()
        with contextlib.suppress(OSError):
            sender.close()


_EOF: Final = object()


def _start_method() -> str:
    # Fork everywhere it exists (Linux, Lambda); spawn elsewhere (then func, args must pickle).
    return "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"


def _receive(receiver: Connection, timeout_s: float) -> object:
    """The child's message, ``_EOF`` if it died without one, ``None`` on timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        try:
            if not receiver.poll(remaining):
                continue  # loop re-checks the deadline (poll may wake early)
            return receiver.recv()
        except (EOFError, OSError):
            return _EOF
        except Exception:  # a truncated or unpicklable message: the child broke mid-send
            return _EOF


def _reap(process: multiprocessing.process.BaseProcess) -> None:
    process.join(_REAP_S)


def _stop(process: multiprocessing.process.BaseProcess) -> None:
    """Make sure the child is gone and reaped (never leave a zombie behind)."""
    if process.pid is None:  # never started
        return
    if process.exitcode is None:
        with contextlib.suppress(OSError, ProcessLookupError):
            process.kill()
        process.join(_REAP_S)
    with contextlib.suppress(ValueError, AttributeError):
        process.close()


def _child_main(
    sender: Connection,
    func: Callable[..., Any],
    args: tuple[Any, ...],
    timeout_s: float,
    memory_bytes: int,
) -> None:
    """Body of the child process: set limits, run, send one message, exit."""
    # A child must not handle the parent's SIGINT/SIGTERM logic; die on them quietly.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _set_limits(timeout_s, memory_bytes)
    try:
        try:
            message: tuple[Any, ...] = ("ok", func(*args))
        except MemoryError:
            message = ("memory",)
        except BaseException as exc:  # report everything, SystemExit included
            message = ("error", type(exc).__qualname__, str(exc)[:2000], traceback.format_exc()[-8000:])
        try:
            sender.send(message)
        except MemoryError:
            os._exit(_EXIT_MEMORY)
        except Exception:
            os._exit(_EXIT_SEND_FAILED)
    except MemoryError:
        os._exit(_EXIT_MEMORY)
    finally:
        with contextlib.suppress(Exception):
            sender.close()


def _set_limits(timeout_s: float, memory_bytes: int) -> None:
    # No core files: a crashing child with a large heap would write one to the cwd.
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # CPU time as a second line of defence: should the parent vanish without killing the
    # child (a frozen or crashed Lambda sandbox), the kernel still stops it.
    cpu_s = math.ceil(timeout_s) + 1
    with contextlib.suppress(ValueError, OSError):
        _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
        if hard != resource.RLIM_INFINITY:
            cpu_s = min(cpu_s, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, hard))
    limit = _address_space_now() + memory_bytes
    with contextlib.suppress(ValueError, OSError):
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _address_space_now() -> int:
    """The process's current virtual size in bytes (0 where /proc is unavailable)."""
    try:
        with open("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0
