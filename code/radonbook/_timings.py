"""Where a process's time goes, logged when ``$RADONBOOK_TIMINGS`` names a file.

``benchmarks/build_profile.py`` sets it for a build and reads the log back.  Each
line is one JSON record: ``pid``, ``time`` (Unix seconds at its end), ``event``,
``seconds`` (its duration) and event fields:

- ``import``: ``import radonbook``; ``since_start`` is the seconds from the
  process's start to the import's start (the kernel's own start-up), ``kernel``
  whether the process is a Jupyter kernel;
- ``compile``: one JAX compilation step (``step``: ``trace``, ``lower`` or
  ``compile``, the latter also when read back from JAX's compilation cache);
- ``sample``, ``inference_data``: a fresh fit's sampling and the building of
  its InferenceData (``model``; ``compile`` is the compilation seconds inside);
- ``cache_save``, ``cache_load``: a fit-cache entry written or read (``bytes``);
- ``cache_wait``: waiting for the lock of a fit another process is computing.

Without the variable nothing is recorded and nothing is imported.  Appends of
one short line are atomic, so processes running at once share a file.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

TIMINGS_ENV = "RADONBOOK_TIMINGS"
"""Environment variable naming the log file (JSON lines); unset: no log."""

_COMPILE_EVENTS = {
    "/jax/core/compile/jaxpr_trace_duration": "trace",
    "/jax/core/compile/jaxpr_to_mlir_module_duration": "lower",
    "/jax/core/compile/backend_compile_duration": "compile",
}
_compiled = [0.0]  # compilation seconds so far in this process
_listening = [False]


def enabled() -> bool:
    """Whether ``$RADONBOOK_TIMINGS`` is set."""
    return bool(os.environ.get(TIMINGS_ENV))


def record(event: str, seconds: float, **fields: Any) -> None:
    """Append one record to the log (nothing if the log is off)."""
    path = os.environ.get(TIMINGS_ENV)
    if not path:
        return
    line = {"pid": os.getpid(), "time": time.time(), "event": event, "seconds": seconds}
    with open(path, "a", encoding="utf-8") as stream:
        stream.write(json.dumps({**line, **fields}) + "\n")


def process_age() -> float:
    """Seconds since this process started (Linux ``/proc``; 0.0 elsewhere)."""
    try:
        with open("/proc/self/stat") as stream:
            started = int(stream.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as stream:
            uptime = float(stream.read().split()[0])
        return uptime - started / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def listen_to_compilation() -> None:
    """Log every JAX compilation step from now on (once per process; log on only)."""
    if not enabled() or _listening[0]:
        return
    from jax import monitoring

    def listener(event: str, duration: float, **_: Any) -> None:
        step = _COMPILE_EVENTS.get(event)
        if step is not None:
            _compiled[0] += duration
            record("compile", duration, step=step)

    monitoring.register_event_duration_secs_listener(listener)
    _listening[0] = True


@contextmanager
def timed(event: str, **fields: Any) -> Iterator[None]:
    """Record ``event`` with its duration and the compilation seconds inside it."""
    if not enabled():
        yield
        return
    start, compiled = time.perf_counter(), _compiled[0]
    yield
    record(event, time.perf_counter() - start, compile=_compiled[0] - compiled, **fields)
