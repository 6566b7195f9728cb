"""Worker processes and their kernels die with the batch: nothing keeps writing after ``jykn run`` is gone.

- Ctrl-C in a terminal reaches the whole foreground process group; the workers ignore SIGINT, so only the parent
  decides: it stops the workers and their kernels (:func:`stop_tree`), records the run as interrupted and exits.
- SIGTERM (what cron and systemd send at a timeout or ``systemctl stop``) to the parent: the same, via
  :func:`interrupt_signals`, which turns it into :class:`Interrupted`.
- The parent killed outright (SIGKILL, OOM): each worker asked the kernel (Linux ``PR_SET_PDEATHSIG``) for SIGTERM
  when its parent dies; a worker receiving SIGTERM kills its kernel first. A kernel also exits by itself when its
  worker is gone (ipykernel's parent poller).
- The worker runs papermill off its main thread (``execute._off_main_thread``): on the main thread nbclient would put
  its own SIGINT/SIGTERM handlers in place of these (shut the kernel down and keep the worker alive).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress

PR_SET_PDEATHSIG = 1
# The worker's current run: where its SIGTERM handler notes the signal, so the parent records that run as interrupted
# (not as a crashed worker) even when the signal reached the worker first (systemd's KillMode=control-group).
CURRENT_MARK: str | None = None
SIGNAL_NAMES = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM"}


class Interrupted(BaseException):
    """The batch was interrupted by a signal (BaseException: no ``except Exception`` swallows it)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum

    @property
    def label(self) -> str:
        return SIGNAL_NAMES.get(self.signum, f"信号 {self.signum}")

    @property
    def exit_code(self) -> int:
        return 128 + self.signum  # the shell's convention: 130 for Ctrl-C, 143 for SIGTERM


@contextmanager
def interrupt_signals() -> Iterator[None]:
    """In the main thread: SIGINT and SIGTERM raise :class:`Interrupted` (elsewhere: nothing changes)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        for s in (signal.SIGINT, signal.SIGTERM):  # once: a second signal must not cut the clean-up short
            signal.signal(s, signal.SIG_IGN)
        raise Interrupted(signum)

    saved = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in saved.items():
            signal.signal(s, h)


@contextmanager
def signals_ignored() -> Iterator[None]:
    """While cleaning up after an interruption: a second Ctrl-C must not leave a half-written index."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in saved.items():
            signal.signal(s, h)


def worker_init(parent_pid: int) -> None:
    """Initializer of every pool worker."""
    import psutil  # noqa: F401 - imported now: an import inside the signal handler can be cut by a second signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _worker_sigterm)
    die_with_parent()  # no prctl: the kernels' own parent poller still stops them
    if os.getppid() != parent_pid:  # the parent died before the line above took effect
        os._exit(1)


def die_with_parent(signum: int = signal.SIGTERM) -> None:
    """Linux: this process receives ``signum`` when its parent dies (``PR_SET_PDEATHSIG``); elsewhere nothing."""
    if sys.platform.startswith("linux"):
        with suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0)


def _worker_sigterm(signum, frame) -> None:
    """Stop the kernel, note the signal for the parent, exit — whatever happens on the way (the parent's death can
    deliver SIGTERM more than once: the handler must not be re-entered half-way)."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        kill_descendants(os.getpid())
        if CURRENT_MARK:
            fd = os.open(CURRENT_MARK, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.write(fd, str(signum).encode())
            os.close(fd)
    except BaseException:  # nothing may keep this worker alive
        pass
    finally:
        os._exit(128 + signum)


def signal_mark(path) -> int | None:
    """The signal a worker noted for its run (and the note removed), or None."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read().strip()
        os.unlink(path)
        return int(text)
    except (OSError, ValueError):
        return None


def descendants(pid: int):
    import psutil

    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def kill_descendants(pid: int) -> None:
    import psutil

    for child in descendants(pid):
        with suppress(psutil.Error):
            child.kill()


def pool_workers() -> list[int]:
    """This process's children that are multiprocessing workers (spawned interpreters)."""
    import psutil

    out = []
    for child in descendants(os.getpid()):
        with suppress(psutil.Error):
            if child.ppid() == os.getpid() and "spawn_main" in " ".join(child.cmdline()):
                out.append(child.pid)
    return out


def stop_tree(pids: Iterable[int], timeout: float = 5.0) -> None:
    """Stop these processes and all their descendants: collected first (a kernel outlives its worker otherwise),
    then SIGTERM, and SIGKILL for what is still there after ``timeout`` seconds."""
    import psutil

    procs = []
    for pid in pids:
        try:
            proc = psutil.Process(pid)
        except psutil.Error:
            continue
        procs += descendants(pid) + [proc]
    for proc in procs:
        with suppress(psutil.Error):
            proc.terminate()
    _, alive = psutil.wait_procs(procs, timeout=timeout)
    for proc in alive:
        with suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(alive, timeout=timeout)
