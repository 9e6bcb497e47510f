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

``run_bounded_streaming`` is the same call for a function that hands over its result in
parts: it is called with an ``emit`` function first, and each ``emit(part)`` reaches the
caller's ``on_part(part)`` while the child goes on. The caller then works on part *n* while
the child makes part *n + 1* — a 20,000-row sheet is validated in this process while the
child still converts and sends its later rows (bench/bench_import_read.py).
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
from functools import partial
from multiprocessing.connection import Connection
from typing import Any, Final, TypeVar, TypeVarTuple, Unpack

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "BoundedCrash",
    "BoundedError",
    "BoundedFuncError",
    "BoundedMemoryExceeded",
    "BoundedTimeout",
    "Emit",
    "run_bounded",
    "run_bounded_streaming",
]

T = TypeVar("T")
Ts = TypeVarTuple("Ts")
# What a streaming function calls, in the child, to send one part to the caller.
Emit = Callable[[Any], None]

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
    return _run(partial(_call_plain, func, args), timeout_s, memory_bytes, meanwhile, None)


def run_bounded_streaming(
    func: Callable[[Emit, Unpack[Ts]], T],
    *args: *Ts,
    on_part: Callable[[Any], None],
    timeout_s: float,
    memory_bytes: int,
    meanwhile: Callable[[], object] | None = None,
) -> T:
    """``run_bounded`` for ``func(emit, *args)``: every part the child emits is passed to
    ``on_part`` here, in order, before the returned value comes back. ``meanwhile`` runs
    before the first part is looked at. If ``on_part`` raises, the child is killed and the
    exception propagates; ``timeout_s`` bounds the whole call, ``on_part``'s work included."""
    return _run(partial(_call_streaming, func, args), timeout_s, memory_bytes, meanwhile, on_part)


# Module-level (not lambdas), so that the call pickles where the child must be spawned.
def _call_plain(func: Callable[..., T], args: tuple[Any, ...], _emit: Emit) -> T:
    return func(*args)


def _call_streaming(func: Callable[..., T], args: tuple[Any, ...], emit: Emit) -> T:
    return func(emit, *args)


def _run(
    call: Callable[[Emit], T],
    timeout_s: float,
    memory_bytes: int,
    meanwhile: Callable[[], object] | None,
    on_part: Callable[[Any], None] | None,
) -> T:
    if timeout_s <= 0:
        raise ValueError("timeout_s must be positive")
    if memory_bytes <= 0:
        raise ValueError("memory_bytes must be positive")
    ctx: Any = multiprocessing.get_context(_start_method())
    receiver, sender = ctx.Pipe(duplex=False)
    _widen(receiver)
    process = ctx.Process(
        target=_child_main,
        args=(sender, call, timeout_s, memory_bytes),
        name="zhtj-bounded",
        daemon=True,  # multiprocessing kills daemonic children if the parent exits first
    )
    deadline = time.monotonic() + timeout_s
    try:
        process.start()
        # Close the parent's copy of the sending end, so that the child's death shows as
        # EOF on the receiving end instead of leaving poll() waiting for the timeout.
        sender.close()
        if meanwhile is not None:
            meanwhile()
        while True:
            message = _receive(receiver, deadline)
            if message is None:
                raise BoundedTimeout(timeout_s)
            if message is _EOF:
                _reap(process)
                if process.exitcode == _EXIT_MEMORY:
                    raise BoundedMemoryExceeded(memory_bytes)
                raise BoundedCrash(process.exitcode)
            assert isinstance(message, tuple)
            kind = message[0]
            if kind == "part" and on_part is not None:
                on_part(message[1])
                continue
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
# Room in the pipe for a few parts of a streamed sheet (1,000 rows ≈ 170 KB), so that the child
# goes on converting while the caller is busy with earlier parts instead of waiting for it to
# read. 1 MiB is Linux's default /proc/sys/fs/pipe-max-size for unprivileged processes.
_PIPE_BYTES: Final = 1 << 20


def _widen(receiver: Connection) -> None:
    """Enlarge the pipe's buffer where the platform allows it (Linux); harmless elsewhere."""
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if set_size is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(receiver.fileno(), set_size, _PIPE_BYTES)


def _start_method() -> str:
    # Fork everywhere it exists (Linux, Lambda); spawn elsewhere (then func, args must pickle).
    return "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"


def _receive(receiver: Connection, deadline: float) -> object:
    """The child's next message, ``_EOF`` if it died without one, ``None`` past ``deadline``."""
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
    call: Callable[[Emit], Any],
    timeout_s: float,
    memory_bytes: int,
) -> None:
    """Body of the child process: set limits, run, send its parts and one result, exit."""
    # A child must not handle the parent's SIGINT/SIGTERM logic; die on them quietly.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _set_limits(timeout_s, memory_bytes)

    def emit(part: Any) -> None:
        sender.send(("part", part))  # blocks while the caller is still busy with earlier parts

    try:
        try:
            message: tuple[Any, ...] = ("ok", call(emit))
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
