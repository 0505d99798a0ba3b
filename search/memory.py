"""The serving process's heap: how many glibc malloc arenas its threads may use, and handing freed memory back.

Loading the model and warming an engine up (the language detector's models above all) allocate and
free hundreds of MB in small blocks; glibc keeps what was freed in its arenas, so a process's RSS stays
at its high-water mark. ``release_freed`` (``malloc_trim``) returns those pages to the system, and
``limit_arenas`` keeps the request threads from each growing an arena of their own (glibc allows 8 per
core). Both do nothing where the C library is not glibc (``scripts/bench_memory`` measures them).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from typing import Any

#: glibc's mallopt parameter number of M_ARENA_MAX (malloc.h).
_M_ARENA_MAX = -8
#: Arenas the request threads share (glibc's default on 2 cores is 16).
MALLOC_ARENAS = 2


@functools.cache
def _glibc() -> Any | None:
    """The C library when it is glibc (has ``malloc_trim``), else None."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None


def limit_arenas(arenas: int = MALLOC_ARENAS) -> None:
    """Let threads started from now on share at most ``arenas`` malloc arenas."""
    libc = _glibc()
    if libc is not None:
        libc.mallopt(_M_ARENA_MAX, arenas)


def release_freed() -> None:
    """Give the heap's free pages back to the system (after loading the model, opening a generation)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
