"""Keep a process stoppable when it was started with SIGINT ignored.

A shell starts a script's background job, and ``nohup`` or cron may start a process, with
SIGINT ignored. While Dagster executes a run it maps SIGTERM to SIGINT's handler, and after the
run it puts SIGINT's back and maps SIGTERM to that again (``dagster._utils.interrupts``): so
after the first run SIGTERM is ignored too. A backgrounded `datalabs run` then no longer stops
on ``kill``, and every process it starts inherits the ignored SIGTERM: a run executed off the
main thread (where Dagster leaves the handlers alone) starts log tails that ignore Dagster's
``terminate``, which then waits 30 s for each of the two streams, after every run
(``reliability/test_dead_runs.py``: three runs, three minutes inside a backgrounded `make test`,
8 s alone). ``definitions`` applies this on import, in every process that runs this code
location's jobs, as it tunes the garbage collector.
"""

import signal
import threading


def keep_interrupts() -> None:
    """Give SIGINT back Python's handler (KeyboardInterrupt) when it is ignored, so that SIGTERM,
    which Dagster maps to it, stops the process; only the main thread may set a handler, so
    anywhere else this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
