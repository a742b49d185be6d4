"""Cameras: retained online status, heartbeats, and outages.

Every camera announces `online` (retained) at the start and sends a heartbeat
every `heartbeat_s`. Outages come from power and network faults (mean time
between failures from the fault configuration, repair times of minutes to a
day), a few chronically flaky cameras with many short outages, and occasional
whole-recorder outages (an NVR or a switch) that take a community's cameras
down together. A camera in an outage sends nothing. For cameras behind a town
gateway the video platform marks the camera offline (retained status
`online: false`) when its third heartbeat is missed — exactly
`camera_missed_heartbeats × heartbeat_s` after the last one, so the status and
the silence tell ingest the same start. Cameras on their own connection just
fall silent (their Last Will covers a real crash). When a camera is back it
announces `online` again and resumes heartbeats on a new phase.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core.localday import MS_PER_DAY, MS_PER_MINUTE
from core.registry import Camera
from simulators.faults import FaultConfig, FaultKind
from simulators.linknames import is_device_link
from simulators.messages import Fact, Outbound
from simulators.seeding import stream
from simulators.sensors import FieldRun, MessageFaults

FLAKY_MTBF_MS = 6 * 3_600_000


class CameraField:
    family = "camera"

    def __init__(
        self,
        cameras: Sequence[Camera],
        links: Sequence[str],
        run: FieldRun,
    ) -> None:
        topics, faults, thresholds, report = run.topics, run.faults, run.thresholds, run.report
        start_ms, end_ms, seed = run.start_ms, run.end_ms, run.seed
        self.n = len(cameras)
        self.ids = [c.id for c in cameras]
        self.links = list(links)
        self.direct = [is_device_link(link) for link in self.links]
        self.topic = [topics.telemetry("camera", c) for c in self.ids]
        self.status_topic = [topics.status("camera", c) for c in self.ids]
        self.start_ms, self.end_ms = start_ms, end_ms
        self.report = report
        self.rng = rng = stream(seed, "cameras")
        self.interval = np.array([c.heartbeat_s * 1000 for c in cameras], dtype=np.int64)
        self.grace = self.interval * thresholds.camera_missed_heartbeats
        self.next_due = (
            start_ms
            + 1000
            + (rng.random(self.n) * np.maximum(self.interval - 2000, 1)).astype(np.int64)
        )
        self.last_ts = np.full(self.n, start_ms, dtype=np.int64)
        self.outages = self._plan_outages(cameras, faults)
        self._cursor = [0] * self.n
        self.down: dict[int, list[int]] = {}  # camera -> [back at, offline reported (0/1)]
        self.faults = MessageFaults("camera", topics, faults, seed, end_ms, report)

    # --- planning -------------------------------------------------------------

    def _plan_outages(
        self, cameras: Sequence[Camera], faults: FaultConfig
    ) -> list[list[tuple[int, int]]]:
        rng = self.rng
        begin = self.start_ms + int(self.interval.max() if self.n else 0)
        span = self.end_ms - begin
        raw: list[list[tuple[int, int]]] = [[] for _ in range(self.n)]
        if span <= 0:
            return raw
        flaky = rng.random(self.n) < faults.flaky_camera_share
        normal_rate = span / (faults.camera_mtbf_days * MS_PER_DAY)
        for i in range(self.n):
            rate = span / FLAKY_MTBF_MS if flaky[i] else normal_rate
            for _ in range(int(rng.poisson(rate))):
                start = begin + int(rng.random() * span)
                if flaky[i]:
                    minutes = float(np.clip(rng.lognormal(np.log(6), 0.8), 1, 60))
                else:
                    minutes = float(np.clip(rng.lognormal(np.log(90), 1.0), 5, 2 * 24 * 60))
                cause = "network" if rng.random() < 0.4 else "power"
                raw[i].append((start, start + int(minutes * MS_PER_MINUTE)))
                label = " (chronically flaky camera)" if flaky[i] else ""
                self.report(
                    FaultKind.CAMERA_OUTAGE,
                    self.ids[i],
                    start,
                    f"{cause} outage for {minutes:.0f} min{label}",
                )
        by_nvr: dict[str, list[int]] = {}
        for i, camera in enumerate(cameras):
            by_nvr.setdefault(camera.nvr_id, []).append(i)
        days = span / MS_PER_DAY
        for nvr, members in sorted(by_nvr.items()):
            for _ in range(int(rng.poisson(faults.nvr_outages_per_day * days))):
                start = begin + int(rng.random() * span)
                minutes = float(np.clip(rng.lognormal(np.log(120), 0.8), 15, 24 * 60))
                for i in members:
                    raw[i].append((start, start + int(minutes * MS_PER_MINUTE)))
                self.report(
                    FaultKind.NVR_OUTAGE,
                    nvr,
                    start,
                    f"recorder or switch down for {minutes:.0f} min, {len(members)} cameras dark",
                )
        return [_merge(spans) for spans in raw]

    # --- running --------------------------------------------------------------

    def opening(self) -> list[Outbound]:
        """Retained `online` status of every camera at the start of the run."""
        ts = self.start_ms
        return [self._status(i, ts, True) for i in range(self.n)]

    def step(self, t0: int, t1: int) -> list[Outbound]:
        draws = self.rng.random(self.n)
        out: list[Outbound] = []
        for i in np.nonzero(self.next_due < t1)[0].tolist():
            ts = int(self.next_due[i])
            while ts < t1:
                back = self._outage_end(i, ts)
                if back is not None:
                    if back - int(self.last_ts[i]) == int(self.grace[i]):
                        back += 1000  # never exactly at the threshold
                    self.down[i] = [back, 0]
                    ts = back
                    continue
                if i in self.down:
                    del self.down[i]
                    out.append(self._status(i, ts, True))
                self._heartbeat(i, ts, float(draws[i]), out)
                ts += int(self.interval[i])
            self.next_due[i] = ts
        for i, state in sorted(self.down.items()):
            if state[1] or self.direct[i]:
                continue
            offline_at = int(self.last_ts[i] + self.grace[i])
            if offline_at < t1 and offline_at < state[0]:
                state[1] = 1
                out.append(self._status(i, offline_at, False))
        return out

    def _outage_end(self, i: int, ts: int) -> int | None:
        spans = self.outages[i]
        k = self._cursor[i]
        while k < len(spans) and spans[k][1] <= ts:
            k += 1
        self._cursor[i] = k
        if k < len(spans) and spans[k][0] <= ts:
            return spans[k][1]
        return None

    def _heartbeat(self, i: int, ts: int, draw: float, out: list[Outbound]) -> None:
        self.last_ts[i] = ts
        msg = Outbound(
            ts,
            self.links[i],
            self.topic[i],
            f'{{"ts":{ts},"online":true,"recording":true}}'.encode(),
            False,
            "camera",
            Fact("camera", self.ids[i], ts, 1.0),
        )
        if draw >= self.faults.o:
            out.append(msg)
        else:
            self.faults.emit(out, msg, draw, int(self.interval[i]), False)

    def _status(self, i: int, ts: int, online: bool) -> Outbound:
        if online:
            self.last_ts[i] = ts
        word = "true" if online else "false"
        return Outbound(
            ts,
            self.links[i],
            self.status_topic[i],
            f'{{"online":{word},"ts":{ts}}}'.encode(),
            True,
            "status",
            Fact("camera", self.ids[i], ts, 1.0 if online else 0.0),
        )


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping outages of one camera as one."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
