"""Writing files: one atomic write for everything the suite produces, and the file-mode policy.

Every output is written to a temporary file in the target's folder, flushed to disk, then renamed over the target
(``os.replace`` is atomic on one file system), so an interrupted or failed write never leaves a truncated file that
looks good: the old file stays, or the new one is complete.

File modes (the policy the README states): files that hold personal data (workbooks, executed notebooks, kept
Parquet tables, notices, logs) are readable by their owner only (0600); reports without personal data (leaders' HTML,
charts, index pages, run manifests) are readable by all (0644, less what the umask removes). So a file with identity
numbers is never more open than the reports.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

PERSONAL_MODE = 0o600
REPORT_MODE = 0o644
# Set by the batch runner for each notebook run (the kernel inherits it): every completed write appends its path,
# so the runner knows exactly what a failed run wrote and can move it aside (jykn_lib.runner.outputs).
WRITTEN_LOG_ENV = "JYKN_WRITTEN_LOG"


class OutputError(OSError):
    """An output cannot be written (read-only folder, full disk, file open in Excel). The message is Chinese."""


def _umask() -> int:
    try:  # Linux exposes the umask without changing it
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    return 0o022


def mode_for(personal: bool) -> int:
    return PERSONAL_MODE if personal else REPORT_MODE & ~_umask()


def _describe(exc: OSError, path: Path) -> str:
    import errno

    if exc.errno == errno.ENOSPC:
        return f"磁盘空间不足，无法写入 {path}：请清理磁盘后重新运行（已写出的旧文件保持不变）"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (f"没有权限写入 {path}（文件夹只读，或文件正在 Excel/WPS 中打开）：请检查文件夹权限或关闭文件后重新运行")
    return f"无法写入 {path}：{exc.strerror or exc}"


@contextmanager
def atomic_path(path: str | os.PathLike, *, personal: bool) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; when the block ends without error, give it its mode, fsync it and
    rename it onto ``path``. On error the temporary file is removed and ``path`` is untouched."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
    except OSError as exc:
        raise OutputError(exc.errno, _describe(exc, target)) from exc
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, mode_for(personal))
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        if isinstance(exc, OutputError):
            raise
        raise OutputError(exc.errno, _describe(exc, target)) from exc
    finally:
        tmp.unlink(missing_ok=True)
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable (POSIX)
        fd = os.open(target.parent, os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    _record_written(target)


def _record_written(target: Path) -> None:
    log = os.environ.get(WRITTEN_LOG_ENV)
    if not log:
        return
    line = (str(target.resolve()) + "\n").encode("utf-8")
    try:  # one short O_APPEND write per file: whole lines even when several processes append
        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PERSONAL_MODE)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
    except OSError:  # the file itself was written; the runner still finds expected outputs by their time
        pass


def atomic_write(path: str | os.PathLike, data: bytes | str | Callable[[Path], Any], *, personal: bool) -> Path:
    """Write bytes, text (UTF-8) or whatever ``data(tmp_path)`` writes, atomically. Returns the path."""
    target = Path(path)
    with atomic_path(target, personal=personal) as tmp:
        if callable(data):
            data(tmp)
        elif isinstance(data, str):
            tmp.write_text(data, encoding="utf-8", newline="\n")
        else:
            tmp.write_bytes(data)
    return target


def atomic_json(path: str | os.PathLike, payload: Any, *, personal: bool, default=None) -> Path:
    text = json.dumps(payload, ensure_ascii=False, indent=2, default=default) + "\n"
    return atomic_write(path, text, personal=personal)


# The runner hashes every input once per batch (run_manifest.json) and hands the digests to its kernels in this file,
# with each file's size, modification time and inode: the parse cache does not hash a file whose stat still matches.
DIGESTS_ENV = "JYKN_INPUT_DIGESTS"


def file_stamp(path: str | os.PathLike) -> list[int]:
    st = os.stat(path)
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def sha256_file(path: str | os.PathLike) -> str:
    """The SHA-256 of a file's bytes, read in blocks (the run manifest's hashes, the parse cache's keys)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
