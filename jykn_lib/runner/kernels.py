"""Notebook kernels forked from a preloaded process instead of a new interpreter for every run.

A kernel started the usual way (``python -m ipykernel_launcher``) spends about a second before the notebook's own work
starts: 0.5 s to start ipykernel, 0.65 s for the set-up cell's imports (pandas, pyarrow, the suite). A batch has 40 runs
at real size, so that second was a third of the warm quarter. Each batch worker therefore keeps one fork server
(the standard library's ``multiprocessing`` forkserver) that has imported ipykernel, pandas, pyarrow and the suite once;
every kernel is a fresh process forked from it. A run still gets its own process, environment, working folder and log,
exactly as with a launched kernel; only the imports are shared, and nothing is computed before the fork.

- Off with ``JYKN_KERNEL_PRELOAD=0`` (every kernel a new interpreter again); not used off Linux/macOS, or when the
  kernel spec names another interpreter or program than this one's ipykernel.
- The suite's own modules are preloaded only where :data:`jykn_lib.params.REPO_ROOT` does not depend on the working
  folder (a checkout or an editable install): an installed wheel resolves it from the kernel's own folder.
- A forked kernel runs in its own session (like ``start_new_session``), dies with the fork server (``PR_SET_PDEATHSIG``),
  and the fork server dies with its worker: nothing outlives the batch.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
import uuid
from pathlib import Path
from queue import Empty
from typing import Any

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import DottedObjectName, Type

from jykn_lib.runner.procs import die_with_parent

PRELOAD_ENV = "JYKN_KERNEL_PRELOAD"
PRELOAD_MODULE = "jykn_lib.runner.kernel_preload"
HARMLESS_OPTIONS = {"-Xfrozen_modules=off"}
# The worker's log for the run in progress: a forked kernel writes its stderr there (a launched kernel inherits the
# worker's redirected stderr; a forked one inherits the fork server's).
current_log: Path | None = None


def enabled() -> bool:
    """Kernels are forked unless switched off or the platform has no fork server."""
    if os.environ.get(PRELOAD_ENV, "").strip().lower() in ("0", "false", "no", "off"):
        return False
    return os.name == "posix" and "forkserver" in multiprocessing.get_all_start_methods()


def _context():
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([PRELOAD_MODULE])
    return ctx


def start_server() -> None:
    """Start the worker's fork server now (it imports in the background while the worker gets its first run)."""
    if enabled():
        _context()
        from multiprocessing import forkserver, util

        forkserver.ensure_running()
        # When the worker ends, stop the fork server and wait for it (the standard library's own way, used by its
        # tests), so that the server and its kernels are counted in the worker's children like launched kernels.
        stop = getattr(forkserver._forkserver, "_stop", None)
        if stop is not None:
            util.Finalize(None, stop, exitpriority=10)


def ipykernel_argv(cmd: list[str]) -> list[str] | None:
    """The ipykernel arguments of a kernel command that this interpreter's ipykernel would run, else None.

    ``-Xfrozen_modules=off`` (ipykernel's spec asks for it so that its debugger sees the standard library's source)
    is the one interpreter option accepted: it changes nothing a batch run does. Any other option keeps the launch."""
    try:
        at = cmd.index("-m")
    except ValueError:
        return None
    if cmd[at + 1:at + 2] != ["ipykernel_launcher"] or any(o not in HARMLESS_OPTIONS for o in cmd[1:at]):
        return None
    try:
        same = os.path.samefile(cmd[0], sys.executable)
    except OSError:
        same = False
    return list(cmd[at + 2:]) if same else None


class ForkedProcess:
    """What the provisioner needs of a kernel process (``subprocess.Popen``'s poll, wait, signals)."""

    stdin = stdout = stderr = None

    def __init__(self, process: Any):
        self._process = process
        self.pid = process.pid

    def poll(self) -> int | None:
        return self._process.exitcode

    def wait(self, timeout: float | None = None) -> int | None:
        self._process.join(timeout)
        return self._process.exitcode

    def send_signal(self, signum: int) -> None:
        if self._process.exitcode is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class ForkedKernelProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner (connection file, ports, shutdown) with the launch done by a fork."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        argv = ipykernel_argv(cmd) if enabled() else None
        if argv is None:
            return await super().launch_kernel(cmd, **kwargs)
        env = dict(kwargs.get("env") or os.environ)
        cwd = str(kwargs.get("cwd") or os.getcwd())
        log = str(current_log) if current_log else None
        process = _context().Process(target=kernel_main, args=(argv, env, cwd, log), name="jykn-kernel")
        process.start()
        self.process = ForkedProcess(process)
        self.pid = process.pid
        self.pgid = None  # its own session, made in the child: never signal the fork server's group
        self.cwd = cwd
        return self.connection_info


class ReadyKernelClient(AsyncKernelClient):
    """jupyter_client's client, ready as soon as the kernel has answered, without its fixed 0.2 s of IOPub silence.

    jupyter_client waits for a ``kernel_info`` reply, then drains IOPub until nothing has come for 0.2 s: a pure wait
    in every run. The kernel's IOPub messages come in the order it sent them, so the ``idle`` status of the last
    request asked is the last message any of them causes: once it has come, IOPub is connected and drained. When
    IOPub connects only after the kernel has published (its ``iopub_welcome`` comes instead), ask once more."""

    async def _async_wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            asked = self.kernel_info()
            reply = await self._next(self.shell_channel, 1.0, lambda m, asked=asked: _parent(m) == asked)
            if reply is not None:
                seen = await self._next(self.iopub_channel, 0.5, lambda m, asked=asked: m["msg_type"] == "iopub_welcome" or (
                    m["msg_type"] == "status" and m["content"].get("execution_state") == "idle"
                    and _parent(m) == asked))
                if seen is not None and seen["msg_type"] == "status":
                    self._handle_kernel_info_reply(reply)
                    return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

    wait_for_ready = _async_wait_for_ready  # AsyncKernelClient binds the name to the base's function itself

    @staticmethod
    async def _next(channel: Any, wait: float, wanted: Any) -> dict | None:
        """The first message on ``channel`` within ``wait`` seconds that is ``wanted`` (the others are dropped)."""
        end = time.monotonic() + wait
        while (left := end - time.monotonic()) > 0:
            try:
                msg = await channel.get_msg(timeout=left)
            except Empty:
                return None
            if wanted(msg):
                return msg
        return None


def _parent(msg: dict) -> str | None:
    return msg.get("parent_header", {}).get("msg_id")


class PreloadedKernelManager(AsyncKernelManager):
    """nbclient's kernel manager with :class:`ForkedKernelProvisioner` (``NotebookClient.kernel_manager_class``) and
    :class:`ReadyKernelClient`."""

    client_class = DottedObjectName(f"{__name__}.ReadyKernelClient", config=True)
    client_factory = Type(ReadyKernelClient, klass=AsyncKernelClient, config=True)

    async def _async_pre_start_kernel(self, **kw: Any):
        if self.provisioner is None:
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
            self.provisioner = ForkedKernelProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec,
                                                       parent=self)
        return await super()._async_pre_start_kernel(**kw)


def kernel_main(argv: list[str], env: dict[str, str], cwd: str, log: str | None) -> None:
    """In the forked child: become the kernel a launch would have started, then run ipykernel."""
    os.setsid()
    die_with_parent()
    server = os.getppid()
    if server == 1:  # the fork server is already gone: so is the worker
        os._exit(1)
    for sig in (signal.SIGTERM, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # the kernel's interrupt
    if log:
        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
    os.environ.clear()
    os.environ.update(env)
    os.environ["JPY_PARENT_PID"] = str(server)
    os.chdir(cwd)
    sys.argv = [sys.executable, "-m", "ipykernel_launcher", *argv]
    if sys.path and sys.path[0] == "":
        del sys.path[0]  # as ipykernel_launcher does
    from ipykernel.kernelapp import IPKernelApp

    IPKernelApp.launch_instance(argv=[*argv, f"--IPKernelApp.parent_handle={server}"])
