"""Start and stop local server processes that belong to this project.

Each process is started in its own session with its output in a log file and
its pid in `<run_dir>/<name>.pid` next to the config path it was given, so
`stop` ends exactly the processes this project started and nothing else.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("yiju.services")


class ServiceError(RuntimeError):
    """A local service could not be started, reached or stopped."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def find_binary(name: str, package: str, extra_dirs: tuple[str, ...] = ("/usr/sbin",)) -> str:
    """Path of a server binary, or a ServiceError that gives the install command."""
    found = shutil.which(name)
    if found:
        return found
    for folder in extra_dirs:
        candidate = Path(folder) / name
        if candidate.exists():
            return str(candidate)
    raise ServiceError(f"{name} is not installed; install it with: apt-get install -y {package}")


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@dataclass
class ManagedProcess:
    """One server process identified by its pid file and the config path in its command."""

    name: str
    argv: list[str]
    run_dir: Path
    marker: str  # a string that must be in the process's command line (its config path)

    @property
    def pid_file(self) -> Path:
        return self.run_dir / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.run_dir / f"{self.name}.log"

    def pid(self) -> int | None:
        """The pid of our running process, or None (a stale pid file is ignored)."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if self.marker in _cmdline(pid) else None

    def running(self) -> bool:
        return self.pid() is not None

    def start(
        self,
        ready: Callable[[], bool],
        timeout_s: float = 30.0,
        ports: tuple[tuple[str, int], ...] = (),
    ) -> int:
        """Start (unless already running) and wait until `ready()` is true.

        `ports` must be free before a new process starts: another server answering
        there would pass the readiness check in our process's place."""
        existing = self.pid()
        child: subprocess.Popen[bytes] | None = None
        if existing is None:
            taken = [f"{host}:{port}" for host, port in ports if port_open(host, port)]
            if taken:
                raise ServiceError(
                    f"cannot start {self.name}: {', '.join(taken)} is already in use by "
                    "another process; stop it, or choose other ports (YIJU_MQTT_PORT, "
                    "YIJU_INFLUX_URL)"
                )
            self.run_dir.mkdir(parents=True, exist_ok=True)
            with self.log_file.open("ab") as out:
                child = subprocess.Popen(
                    self.argv,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
            self.pid_file.write_text(f"{child.pid}\n")
            existing = child.pid
            log.info("started %s (pid %d)", self.name, child.pid)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if ready():
                return existing
            # Right after fork /proc shows the parent's command line, so a child we
            # started is watched through its Popen object, not through pid().
            exited = child.poll() is not None if child is not None else self.pid() is None
            if exited:
                break
            time.sleep(0.1)
        tail = self.log_tail()
        self.stop()
        raise ServiceError(
            f"{self.name} did not become ready within {timeout_s:.0f} s; its log "
            f"({self.log_file}) ends with:\n{tail}"
        )

    def stop(self, timeout_s: float = 15.0) -> bool:
        """SIGTERM, then SIGKILL after `timeout_s`; True if a process was stopped."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.05)
        if _alive(pid):
            log.warning("%s (pid %d) ignored SIGTERM; killing it", self.name, pid)
            os.kill(pid, signal.SIGKILL)
            while _alive(pid):
                time.sleep(0.05)
        self.pid_file.unlink(missing_ok=True)
        log.info("stopped %s (pid %d)", self.name, pid)
        return True

    def signal(self, signum: int) -> None:
        pid = self.pid()
        if pid is not None:
            os.kill(pid, signum)

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    if state == "Z":
        with contextlib.suppress(ChildProcessError):  # reap it if it is our child
            os.waitpid(pid, os.WNOHANG)
        return False
    return True
