"""A probe for calls that hold the GIL: how fast a pure-Python thread runs meanwhile.

``progress(call)`` runs ``call()`` while a second thread increments a counter in
pure Python, and returns (the counter's rate during the call / its idle rate, the
call's duration). A call that releases the GIL for its heavy work leaves the
counter near its idle rate (half of it when the two threads share one core); one
that holds the GIL stops it (the counter only moves in the gaps between the
call's Python-level steps). Used by tests/test_hostile_gil.py.
"""
from __future__ import annotations

import sys
import threading
import time


class _Counter:
    def __init__(self):
        self.n = 0
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stop:  # pure Python: needs the GIL for every step
            self.n += 1

    def __enter__(self):
        self.thread.start()
        time.sleep(0.01)
        return self

    def __exit__(self, *exc):
        self.stop = True
        self.thread.join()


def _rate(counter: _Counter, seconds: float) -> float:
    n0, t0 = counter.n, time.perf_counter()
    time.sleep(seconds)
    return (counter.n - n0) / (time.perf_counter() - t0)


def progress(call, *, idle_seconds: float = 0.1) -> tuple[float, float]:
    """(rate of a pure-Python counter thread during ``call()`` / its idle rate, seconds ``call()`` took)."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(0.001)  # the counter gets the GIL within 1 ms whenever it is free
    try:
        with _Counter() as counter:
            idle = _rate(counter, idle_seconds)
            n0, t0 = counter.n, time.perf_counter()
            call()
            dt = time.perf_counter() - t0
            busy = (counter.n - n0) / dt
            idle = max(idle, _rate(counter, idle_seconds))  # the better of the two idle windows
    finally:
        sys.setswitchinterval(old)
    return busy / idle if idle else 0.0, dt
