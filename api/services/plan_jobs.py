"""Planning jobs: a record in the plan store and a separate `yiju plan run-job` process.

The planning process owns the record once it runs (queued → running → done or
failed). A watcher thread reaps the process; when it exits without having
finished the record, the record is marked failed with the exit code and the
path of its log, so no job stays "queued" forever.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from pydantic import SecretStr

from core.localday import now_ms
from core.plans import PlanRecord, PlanState, PlanStore, new_plan_id
from core.settings import Settings

log = logging.getLogger("yiju.api")

FINISHED = (PlanState.DONE, PlanState.FAILED)


class PlanLaunchError(RuntimeError):
    """The planning process could not be started."""


class TooManyPlansError(PlanLaunchError):
    """As many planning processes as allowed are running already."""


def settings_env(settings: Settings) -> dict[str, str]:
    """The settings as `YIJU_*` variables, so a child process sees the same configuration."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        env[f"YIJU_{name.upper()}"] = str(value)
    return env


class PlanJobs:
    """Starts planning processes and keeps track of the ones still running."""

    def __init__(self, settings: Settings, store: PlanStore, *, max_running: int = 4) -> None:
        self.settings = settings
        self.store = store
        self.max_running = max_running
        self._running: dict[str, subprocess.Popen[bytes]] = {}
        self._lock = threading.Lock()

    def running(self) -> int:
        with self._lock:
            return sum(1 for p in self._running.values() if p.poll() is None)

    def submit(self, day: dt.date, kind: str, town_id: str | None) -> PlanRecord:
        if self.running() >= self.max_running:
            raise TooManyPlansError(
                f"{self.max_running} plans are being computed already; try again in a minute"
            )
        record = PlanRecord(
            plan_id=new_plan_id(day.isoformat(), kind),
            date=day.isoformat(),
            kind=kind,
            town_id=town_id,
            created_ms=now_ms(),
        )
        self.store.save(record)
        log_path = self.store.folder / f"{record.plan_id}.log"
        command = [sys.executable, "-m", "yiju", "plan", "run-job", record.plan_id]
        try:
            with log_path.open("wb") as out:
                process = subprocess.Popen(
                    command,
                    env={**os.environ, **settings_env(self.settings)},
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                )
        except OSError as exc:
            self._fail(record.plan_id, f"could not start the planning process: {exc}")
            raise PlanLaunchError(f"could not start the planning process: {exc}") from exc
        with self._lock:
            self._running[record.plan_id] = process
        log.info("plan %s (%s, %s) started as pid %d", record.plan_id, kind, day, process.pid)
        threading.Thread(
            target=self._watch, args=(record.plan_id, process, log_path), daemon=True
        ).start()
        return record

    def _watch(self, plan_id: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
        code = process.wait()
        with self._lock:
            self._running.pop(plan_id, None)
        record = self.store.get(plan_id)
        if record is not None and record.state not in FINISHED:
            self._fail(
                plan_id,
                f"the planning process exited with code {code} before finishing; "
                f"its output is in {log_path}",
            )
        log.info("plan %s process exited with code %d", plan_id, code)

    def _fail(self, plan_id: str, message: str) -> None:
        record = self.store.get(plan_id)
        if record is None:
            return
        record.state = PlanState.FAILED
        record.error = message
        record.finished_ms = now_ms()
        self.store.save(record)
        log.warning("plan %s failed: %s", plan_id, message)

    def stop_all(self, grace_s: float = 5.0) -> None:
        """Stop planning processes still running (on shutdown): SIGTERM to each job's
        process group (a job may start helpers), SIGKILL after `grace_s`."""
        with self._lock:
            processes = [p for p in self._running.values() if p.poll() is None]
        for process in processes:
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        for process in processes:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("plan process %d ignored SIGTERM; killing it", process.pid)
            # Helpers left in the group go too, even when the job itself has exited.
            _signal_group(process, signal.SIGKILL)


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    """Signal the job's own process group (it leads one: `start_new_session=True`)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)
