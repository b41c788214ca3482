"""A hang becomes a failure: SIGALRM after a limit far above the expected time, so that a
busy machine cannot trip it and only a runaway computation does."""

import contextlib
import signal


@contextlib.contextmanager
def watchdog(seconds: int = 60):
    def expire(*_):
        raise TimeoutError(f"still running after {seconds} s: a runaway computation")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
