"""One batch run at a time per quarter folder: ``<quarter>/.jykn/run.lock``.

The lock is an ``flock`` on that file, so it dies with the process that holds it (a crash, ``kill -9``, a reboot);
the file says who holds it (host, process, user, start time, command) so the refusal can say so. A lock file left by
a process that no longer runs is taken over, and the caller is told whose it was.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: fall back to exclusive creation and a liveness check
    fcntl = None

LOCK_NAME = "run.lock"


class LockBusy(RuntimeError):
    """Another run holds the quarter folder. The message is Chinese."""


def holder_text(info: dict[str, Any]) -> str:
    parts = [f"主机 {info.get('host', '?')}", f"进程 {info.get('pid', '?')}"]
    if info.get("user"):
        parts.append(f"用户 {info['user']}")
    if info.get("started"):
        parts.append(f"开始于 {info['started']}")
    return "，".join(parts)


class QuarterLock:
    def __init__(self, quarter_dir: Path):
        self.path = Path(quarter_dir) / ".jykn" / LOCK_NAME
        self._fd: int | None = None
        self.info: dict[str, Any] = {}

    def acquire(self) -> str | None:
        """Take the lock or raise :class:`LockBusy`. Returns a Chinese note when a stale lock was taken over."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            if not self._try_lock(fd):
                holder = _read(fd)
                os.close(fd)
                raise LockBusy(
                    f"输出文件夹 {self.path.parent.parent} 正被另一个运行使用（{holder_text(holder)}）："
                    "同一季度文件夹一次只能有一个运行。请等它结束后再运行；"
                    f"如确认该进程已不存在，可删除锁文件 {self.path}。"
                )
            try:  # the holder may have removed the file between our open and our lock: lock the file at the path
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        previous = _read(fd)
        self._fd = fd
        self.info = {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "user": _user(),
            "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "command": " ".join(sys.argv)[:300],
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(self.info, ensure_ascii=False) + "\n").encode("utf-8"), 0)
        os.fsync(fd)
        if previous:
            return (f"接管了一个已结束的运行留下的锁（{holder_text(previous)}）：该运行没有正常结束，"
                    "它的结果在本次运行中重新生成。")
        return None

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)  # while still locked: a waiting run then sees a fresh file
        finally:
            os.close(self._fd)  # releases the flock
            self._fd = None

    def _try_lock(self, fd: int) -> bool:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                return False
        holder = _read(fd)  # pragma: no cover - no flock: a recorded, living holder on this host keeps it
        return not (holder and holder.get("host") == socket.gethostname() and _alive(holder.get("pid")))

    def __enter__(self) -> QuarterLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def _read(fd: int) -> dict[str, Any]:
    try:
        raw = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
    except OSError:
        return {}
    try:
        info = json.loads(raw) if raw else {}
    except ValueError:
        info = None
    return info if isinstance(info, dict) else {"host": "?", "pid": "?"}


def _alive(pid: Any) -> bool:  # pragma: no cover - only without flock
    try:
        os.kill(int(pid), 0)
        return True
    except (OSError, ValueError, TypeError):
        return False


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in a container
        return ""
