"""The rule engine: per-subject state, a watermark of message time, and the
violations that open and close as messages arrive and as time passes.

Every decision uses message time. Time-based checks (sensor silence, camera
grace, pest cycles, the clearance cut-off) run when the watermark — the latest
message time seen, less an allowance for late messages — passes their
deadline, or when `advance_to` moves it explicitly. A subject whose deadline
passed unnoticed (its next message arrives after the deadline) gets the
violation it had, opened at the deadline and closed at the message. A reading
older than a violation's last opening or closing arrived late: it is stored but
does not move that violation's state back.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from core.contract import (
    BinReading,
    CameraHeartbeat,
    DeviceStatus,
    Message,
    PointCleared,
    SewerReading,
    SiteVisited,
)
from core.localday import DEFAULT_TZ
from core.registry import Registry
from core.registry.models import DeviceKind
from core.schema import ViolationKind, ViolationState
from core.thresholds import DEFAULT_THRESHOLDS, RuleThresholds
from ingest import rules
from ingest.points import MANUAL_VEHICLE, clearance_line
from ingest.rules import ViolationEvent

log = logging.getLogger("yiju.ingest")

K = ViolationKind
# Devices reporting further ahead of the watermark than this move it only when
# several agree (one broken clock must not age the whole district).
MAX_CLOCK_JUMP_MS = 24 * 3_600_000
JUMP_QUORUM = 3
# The lateness allowance adapts to the delays seen (a fast simulation through
# several connections delivers some devices minutes of message time behind
# others), up to this bound.
MAX_LATENESS_MS = 6 * 3_600_000


@dataclass(frozen=True, slots=True)
class Place:
    community: str
    town: str


@dataclass
class RestoredState:
    """What `restore.load_state` reads back from InfluxDB after a restart."""

    watermark: int | None = None
    open_violations: list[ViolationEvent] = field(default_factory=list)
    # When each violation (kind, subject) last opened or closed, open or not.
    violation_changed: dict[tuple[ViolationKind, str], int] = field(default_factory=dict)
    sensor_seen: dict[str, int] = field(default_factory=dict)
    point_fill: dict[str, tuple[int, float]] = field(default_factory=dict)
    point_cleared: dict[str, int] = field(default_factory=dict)
    camera: dict[str, tuple[int, bool]] = field(default_factory=dict)
    site_visit: dict[str, int] = field(default_factory=dict)


class _Deadlines:
    """A heap with at most one scheduled check per subject."""

    def __init__(self) -> None:
        self._heap: list[tuple[int, str]] = []
        self._scheduled: set[str] = set()

    def schedule(self, subject: str, deadline: int) -> None:
        if subject not in self._scheduled:
            self._scheduled.add(subject)
            heapq.heappush(self._heap, (deadline, subject))

    def due(self, upto: int) -> Iterable[str]:
        while self._heap and self._heap[0][0] <= upto:
            _, subject = heapq.heappop(self._heap)
            self._scheduled.discard(subject)
            yield subject


class RuleEngine:
    """Not thread-safe; the service feeds it from one thread at a time."""

    def __init__(
        self,
        registry: Registry,
        thresholds: RuleThresholds = DEFAULT_THRESHOLDS,
        *,
        tz: str = DEFAULT_TZ,
        lateness_ms: int = 300_000,
    ) -> None:
        self.th = thresholds
        self.tz = tz
        self.lateness_ms = lateness_ms
        self.devices = registry.devices
        self.sensor_interval = {
            d.device_id: d.interval_s
            for d in self.devices.values()
            if d.kind in (DeviceKind.BIN, DeviceKind.SEWER) and d.interval_s
        }
        self.camera_heartbeat = {c.id: c.heartbeat_s for c in registry.cameras}
        town_of = {c.id: c.town_id for c in registry.communities}
        self.places: dict[str, Place] = {}
        for p in registry.collection_points:
            self.places[p.id] = Place(p.community_id, town_of[p.community_id])
        for o in registry.sewage_outlets:
            self.places[o.id] = Place(o.community_id, town_of[o.community_id])
        for c in registry.cameras:
            self.places[c.id] = Place(c.community_id, town_of[c.community_id])
        for s in registry.pest_sites:
            self.places[s.id] = Place(s.community_id, town_of[s.community_id])
        for d in self.devices.values():
            if d.community_id is not None:
                self.places.setdefault(d.device_id, Place(d.community_id, d.town_id))
        self.overflow_level = {o.id: o.overflow_level_cm for o in registry.sewage_outlets}
        self.site_cycle = {
            s.id: (s.cycle_days_peak, s.cycle_days_normal) for s in registry.pest_sites
        }
        self.point_ids = [p.id for p in registry.collection_points]

        self.watermark: int | None = None
        self.next_cutoff: int | None = None
        self.open: dict[tuple[ViolationKind, str], ViolationEvent] = {}
        self.changed_at: dict[tuple[ViolationKind, str], int] = {}
        self.sensor_seen: dict[str, int] = {}
        self.point_fill: dict[str, tuple[int, float]] = {}
        self.truck_cleared: dict[str, int] = {}
        self.cleared_day: dict[str, date] = {}
        self.outlet_ts: dict[str, int] = {}
        self.camera_last: dict[str, int] = {}
        self.site_visit: dict[str, int] = {}
        self._silent = _Deadlines()
        self._cameras = _Deadlines()
        self._pests = _Deadlines()
        self._ahead: dict[str, int] = {}
        self._events: list[ViolationEvent] = []
        self._lines: list[str] = []

    # --- inputs ------------------------------------------------------------------

    def restore(self, state: RestoredState) -> None:
        """Start from what InfluxDB holds: open violations stay open, not reopened."""
        self.changed_at.update(state.violation_changed)
        for event in state.open_violations:
            self.open[(event.kind, event.subject)] = event
            self.changed_at.setdefault((event.kind, event.subject), event.ts_ms)
        self.sensor_seen.update(state.sensor_seen)
        self.point_fill.update(state.point_fill)
        for point, ts in state.point_cleared.items():
            self.truck_cleared[point] = ts
            day = rules.clearance_day(ts, self.th, self.tz)
            if day is not None:
                self.cleared_day[point] = day
        self.camera_last.update({cam: ts for cam, (ts, _) in state.camera.items()})
        self.site_visit.update(state.site_visit)
        if state.watermark is not None:
            self._start_clock(state.watermark)
        log.info(
            "restored %d open violations, watermark %s", len(state.open_violations), self.watermark
        )

    def feed(self, messages: Iterable[Message]) -> None:
        for m in messages:
            self._advance_for(m.ts_ms, m)
            if isinstance(m, BinReading):
                self._bin(m)
            elif isinstance(m, SewerReading):
                self._sewer(m)
            elif isinstance(m, CameraHeartbeat):
                self._camera(m.device_id, m.ts_ms, m.online)
            elif isinstance(m, DeviceStatus):
                if m.kind is DeviceKind.CAMERA:
                    self._camera(m.device_id, m.ts_ms, m.online)
            elif isinstance(m, PointCleared):
                self._cleared(m.point_id, m.ts_ms, truck=True)
            elif isinstance(m, SiteVisited):
                self._visited(m.site_id, m.ts_ms)

    def advance_to(self, ms: int) -> None:
        """Move the rules' clock to `ms` (no lateness allowance) and run every check due."""
        if self.watermark is None:
            self._start_clock(ms)
        self.watermark = max(self.watermark or ms, ms)
        self._run_checks(ms)

    def take(self) -> tuple[list[ViolationEvent], list[str]]:
        """The violation events and derived points (manual clearances) since the last take."""
        events, lines = self._events, self._lines
        self._events, self._lines = [], []
        return events, lines

    # --- the clock -------------------------------------------------------------------

    def _start_clock(self, ms: int) -> None:
        """Pest-control cycles of sites with no visit on record count from here.
        Sensors and cameras are judged from their own first message (a device that
        never reported is not installed yet, not silent)."""
        self.watermark = ms if self.watermark is None else max(self.watermark, ms)
        base = self.watermark
        for device, seen in self.sensor_seen.items():
            interval = self.sensor_interval.get(device)
            if interval is not None:
                self._silent.schedule(device, rules.silent_deadline(seen, interval, self.th))
        for cam, last in self.camera_last.items():
            heartbeat = self.camera_heartbeat.get(cam)
            if heartbeat is not None:
                self._cameras.schedule(cam, rules.camera_deadline(last, heartbeat, self.th))
        for site, (peak, normal) in self.site_cycle.items():
            visit = self.site_visit.setdefault(site, base)
            self._pests.schedule(site, rules.pest_due_ms(visit, peak, normal, self.th, self.tz))
        self.next_cutoff = rules.cutoff_after(base, self.th, self.tz)

    def _advance_for(self, ts: int, m: Message) -> None:
        if self.watermark is None:
            self._start_clock(ts)
            return
        if ts <= self.watermark:
            return
        if ts - self.watermark > MAX_CLOCK_JUMP_MS:
            device = getattr(m, "device_id", None) or getattr(m, "vehicle_id", None) or "?"
            self._ahead[str(device)] = ts
            if len(self._ahead) < JUMP_QUORUM:
                return
            ts = min(self._ahead.values())
            log.warning("clock jumps to %d: %d devices agree", ts, len(self._ahead))
        self._ahead.clear()
        if ts - self.watermark > 300_000:
            log.debug("clock moves %d s ahead with %s", (ts - self.watermark) // 1000, m)
        self.watermark = ts
        self._run_checks(ts - self.lateness_ms)

    def _late(self, ts: int) -> None:
        """A message new for its device but behind the watermark: widen the allowance
        to twice the delay seen, so time checks wait for such stragglers."""
        if self.watermark is not None and ts < self.watermark:
            delay = 2 * (self.watermark - ts)
            if delay > self.lateness_ms:
                self.lateness_ms = min(delay, MAX_LATENESS_MS)
                log.info("lateness allowance now %d s of message time", self.lateness_ms // 1000)

    def _run_checks(self, upto: int) -> None:
        for device in self._silent.due(upto):
            self._check_sensor(device, upto)
        for cam in self._cameras.due(upto):
            self._check_camera(cam, upto)
        for site in self._pests.due(upto):
            self._check_site(site, upto)
        while self.next_cutoff is not None and self.next_cutoff <= upto:
            self._cutoff(self.next_cutoff)
            self.next_cutoff = rules.cutoff_after(self.next_cutoff, self.th, self.tz)

    # --- subjects ----------------------------------------------------------------------

    def _check_sensor(self, device: str, upto: int) -> None:
        interval = self.sensor_interval.get(device)
        if interval is None or (K.SENSOR_SILENT, device) in self.open:
            return
        deadline = rules.silent_deadline(self.sensor_seen.get(device, upto), interval, self.th)
        if deadline <= upto:
            silent_s = (deadline - self.sensor_seen[device]) / 1000
            self._open(K.SENSOR_SILENT, device, deadline, silent_s)
        else:
            self._silent.schedule(device, deadline)

    def _seen(self, device: str, ts: int) -> None:
        if ts <= self.sensor_seen.get(device, -1):
            return
        self._late(ts)
        self._check_sensor(device, ts - 1)
        self.sensor_seen[device] = ts
        if self._in_order(K.SENSOR_SILENT, device, ts):
            self._close(K.SENSOR_SILENT, device, ts, 0.0)
        interval = self.sensor_interval.get(device)
        if interval is not None:
            self._silent.schedule(device, rules.silent_deadline(ts, interval, self.th))

    def _bin(self, m: BinReading) -> None:
        self._seen(m.device_id, m.ts_ms)
        point = self.devices[m.device_id].subject_id
        previous = self.point_fill.get(point)
        if previous is not None and m.ts_ms <= previous[0]:
            return  # stale or redelivered: the rules saw a later reading already
        self.point_fill[point] = (m.ts_ms, m.fill_pct)
        if previous is not None:
            truck_since = self.truck_cleared.get(point, -1) >= previous[0]
            if rules.is_manual_clearance(previous[1], m.fill_pct, truck_since, self.th):
                place = self.places[point]
                self._lines.append(
                    clearance_line(
                        point, place.community, place.town, MANUAL_VEHICLE, previous[1], m.ts_ms
                    )
                )
                self._cleared(point, m.ts_ms, truck=False)
        if not self._in_order(K.BIN_OVERFLOW, point, m.ts_ms):
            return
        change = rules.bin_overflow_change(
            (K.BIN_OVERFLOW, point) in self.open, m.fill_pct, self.th
        )
        if change is True:
            self._open(K.BIN_OVERFLOW, point, m.ts_ms, m.fill_pct)
        elif change is False:
            self._close(K.BIN_OVERFLOW, point, m.ts_ms, m.fill_pct)

    def _sewer(self, m: SewerReading) -> None:
        self._seen(m.device_id, m.ts_ms)
        outlet = self.devices[m.device_id].subject_id
        if m.ts_ms <= self.outlet_ts.get(outlet, -1):
            return
        self.outlet_ts[outlet] = m.ts_ms
        level = self.overflow_level.get(outlet)
        if level is None or not self._in_order(K.SEWER_OVERFLOW, outlet, m.ts_ms):
            return
        is_open = (K.SEWER_OVERFLOW, outlet) in self.open
        change = rules.sewer_overflow_change(is_open, m.level_cm, level, self.th)
        if change is True:
            self._open(K.SEWER_OVERFLOW, outlet, m.ts_ms, m.level_cm)
        elif change is False:
            self._close(K.SEWER_OVERFLOW, outlet, m.ts_ms, m.level_cm)

    def _check_camera(self, cam: str, upto: int) -> None:
        heartbeat = self.camera_heartbeat.get(cam)
        last = self.camera_last.get(cam)
        if heartbeat is None or last is None or (K.CAMERA_OFFLINE, cam) in self.open:
            return
        deadline = rules.camera_deadline(last, heartbeat, self.th)
        if deadline <= upto:
            self._open(K.CAMERA_OFFLINE, cam, deadline, (deadline - last) / 1000)
        else:
            self._cameras.schedule(cam, deadline)

    def _camera(self, cam: str, ts: int, online: bool) -> None:
        """A heartbeat or status: online closes an open violation; an explicit
        offline opens one at once; silence opens one after the grace period."""
        heartbeat = self.camera_heartbeat.get(cam)
        if heartbeat is None or ts < self.camera_last.get(cam, -1):
            return
        self._late(ts)
        self._check_camera(cam, ts - 1)
        self.camera_last[cam] = ts
        if self._in_order(K.CAMERA_OFFLINE, cam, ts):
            if online:
                self._close(K.CAMERA_OFFLINE, cam, ts, 0.0)
            else:
                self._open(K.CAMERA_OFFLINE, cam, ts, 0.0)
        self._cameras.schedule(cam, rules.camera_deadline(ts, heartbeat, self.th))

    def _cleared(self, point: str, ts: int, *, truck: bool) -> None:
        if point not in self.places:
            return
        if truck:
            self.truck_cleared[point] = max(ts, self.truck_cleared.get(point, ts))
        day = rules.clearance_day(ts, self.th, self.tz)
        if day is not None and (point not in self.cleared_day or self.cleared_day[point] < day):
            self.cleared_day[point] = day
        # An overflow closes on a reading below the threshold, not on the event.
        self._close(K.BIN_NOT_CLEARED, point, ts, self.point_fill.get(point, (ts, 0.0))[1])

    def _cutoff(self, cutoff_ms: int) -> None:
        """At a day's cut-off every collection point of the registry, reporting or
        not, must have been cleared that day (日产日清). Each day is its own
        violation: yesterday's, if still open, closes at today's cut-off."""
        day = rules.clearance_day(cutoff_ms, self.th, self.tz)
        opened = 0
        for point in self.point_ids:
            if self.cleared_day.get(point) == day:
                continue
            fill = self.point_fill.get(point, (cutoff_ms, 0.0))[1]
            # A millisecond before: the same series at the same time would overwrite.
            self._close(K.BIN_NOT_CLEARED, point, cutoff_ms - 1, fill)
            self._open(K.BIN_NOT_CLEARED, point, cutoff_ms, fill)
            opened += 1
        log.info("cut-off %s: %d collection points not cleared", day, opened)

    def _check_site(self, site: str, upto: int) -> None:
        cycle = self.site_cycle.get(site)
        if cycle is None or (K.PEST_OVERDUE, site) in self.open:
            return
        visit = self.site_visit.get(site, upto)
        due = rules.pest_due_ms(visit, cycle[0], cycle[1], self.th, self.tz)
        if due <= upto:
            self._open(K.PEST_OVERDUE, site, due, (due - visit) / 86_400_000)
        else:
            self._pests.schedule(site, due)

    def _visited(self, site: str, ts: int) -> None:
        cycle = self.site_cycle.get(site)
        if cycle is None or ts <= self.site_visit.get(site, -1):
            return
        self._check_site(site, ts - 1)
        self.site_visit[site] = ts
        self._close(K.PEST_OVERDUE, site, ts, 0.0)
        self._pests.schedule(site, rules.pest_due_ms(ts, cycle[0], cycle[1], self.th, self.tz))

    # --- events ------------------------------------------------------------------------

    def _in_order(self, kind: ViolationKind, subject: str, reading_ms: int) -> bool:
        """False for a reading older than the violation's last opening or closing: it
        came late (or from a clock gone wrong) and must not move the state back."""
        return reading_ms >= self.changed_at.get((kind, subject), reading_ms)

    def _open(self, kind: ViolationKind, subject: str, ts: int, value: float) -> None:
        if (kind, subject) in self.open:
            return
        place = self.places[subject]
        event = ViolationEvent(
            kind,
            subject,
            place.community,
            place.town,
            ViolationState.OPEN,
            ts,
            float(value),
            rules.violation_id(kind, subject, ts),
        )
        self.open[(kind, subject)] = event
        self.changed_at[(kind, subject)] = ts
        self._events.append(event)

    def _close(self, kind: ViolationKind, subject: str, ts: int, value: float) -> None:
        opened = self.open.pop((kind, subject), None)
        if opened is None:
            return
        closed_ms = max(ts, opened.ts_ms + 1)
        self.changed_at[(kind, subject)] = closed_ms
        self._events.append(
            ViolationEvent(
                kind,
                subject,
                opened.community,
                opened.town,
                ViolationState.CLOSED,
                closed_ms,
                float(value),
                opened.violation_id,
            )
        )
