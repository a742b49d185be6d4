"""The referee: turns the delivered messages into the violations they imply.

It applies `core.thresholds.RuleThresholds` to the facts of the messages that
were actually published, in publish order, so the truth log describes what
ingest can see: a reading lost to a silent sensor does not exist here either.
See docs/simulators.md, "Truth log", for each rule's exact reading.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from core.localday import at_local, day_start_ms, local_date
from core.registry import DeviceKind, Registry
from core.schema import ViolationKind
from core.thresholds import RuleThresholds
from simulators.faults import FaultKind
from simulators.messages import Fact
from simulators.truth import FaultRecord, ViolationRecord


class Referee:
    def __init__(
        self,
        registry: Registry,
        thresholds: RuleThresholds,
        start_ms: int,
        pest_history: Mapping[str, int] | None = None,
    ) -> None:
        self.registry = registry
        # Each site's last visit before the run (epoch ms), from the district's records.
        self.pest_history = dict(pest_history or {})
        self.thr = thresholds
        self.start_ms = start_ms
        self.tz = registry.district.tz
        self.devices = registry.devices
        self.overflow_level = {
            o.sensor.device_id: o.overflow_level_cm for o in registry.sewage_outlets if o.sensor
        }
        self._interval = {d: (ref.interval_s or 0) * 1000 for d, ref in self.devices.items()}
        self.violations: list[ViolationRecord] = []
        self.faults: list[FaultRecord] = []
        self._last_seen: dict[str, int] = {}  # sensors and cameras: newest delivered ts
        self._open: dict[tuple[ViolationKind, str], int] = {}  # (kind, device) -> start
        self._clears: dict[str, list[int]] = {}
        self._visits: dict[str, list[int]] = {}

    # --- intake ---------------------------------------------------------------

    def fault(self, kind: FaultKind, device_id: str, ts_ms: int, detail: str) -> None:
        self.faults.append(FaultRecord(ts_ms, kind, device_id, detail))

    def observe(self, fact: Fact) -> None:
        kind = fact.kind
        if kind == "bin" or kind == "sewer":
            self._reading(fact)
        elif kind == "camera":
            self._camera(fact)
        elif kind == "cleared":
            self._clears.setdefault(fact.subject, []).append(fact.ts)
        elif kind == "visited":
            self._visits.setdefault(fact.subject, []).append(fact.ts)

    def _reading(self, fact: Fact) -> None:
        device, ts, value = fact.subject, fact.ts, fact.value
        last = self._last_seen.get(device)
        if last is not None and ts <= last:
            return  # a late (out-of-order) or repeated reading changes no rule
        if last is not None:
            quiet = self.thr.silent_intervals * self._interval_ms(device)
            if ts - last > quiet:
                self._record(ViolationKind.SENSOR_SILENT, device, last + quiet, ts)
        self._last_seen[device] = ts
        if fact.kind == "bin":
            kind, high, low = (
                ViolationKind.BIN_OVERFLOW,
                self.thr.bin_overflow_pct,
                self.thr.bin_overflow_clear_pct,
            )
        else:
            high = self.overflow_level[device]
            kind, low = ViolationKind.SEWER_OVERFLOW, high - self.thr.sewer_clear_margin_cm
        key = (kind, device)
        start = self._open.get(key)
        if start is None and value >= high:
            self._open[key] = ts
        elif start is not None and value < low:
            del self._open[key]
            self._record(kind, device, start, ts)

    def _camera(self, fact: Fact) -> None:
        camera, ts, online = fact.subject, fact.ts, fact.value >= 0.5
        last = self._last_seen.get(camera)
        if last is not None and ts < last:
            return
        grace = self._camera_grace_ms(camera)
        key = (ViolationKind.CAMERA_OFFLINE, camera)
        start = self._open.get(key)
        silent_since = last + grace if last is not None and ts - last > grace else None
        if online:
            if start is not None:
                del self._open[key]
                self._record(ViolationKind.CAMERA_OFFLINE, camera, start, ts)
            elif silent_since is not None:
                self._record(ViolationKind.CAMERA_OFFLINE, camera, silent_since, ts)
        elif start is None:
            self._open[key] = min(ts, silent_since) if silent_since is not None else ts
        self._last_seen[camera] = ts

    # --- the end of the run ---------------------------------------------------

    def finish(self, end_ms: int) -> list[ViolationRecord]:
        """Every violation of the run: closed ones, and open ones with `end_ms` None."""
        out = list(self.violations)
        for (kind, device), start in self._open.items():
            out.append(self._violation(kind, device, start, None))
        for device, last in self._last_seen.items():
            ref = self.devices[device]
            if ref.kind is DeviceKind.CAMERA:
                grace = self._camera_grace_ms(device)
                if (ViolationKind.CAMERA_OFFLINE, device) not in self._open and (
                    end_ms - last > grace
                ):
                    out.append(self._violation(ViolationKind.CAMERA_OFFLINE, device, last + grace))
            else:
                quiet = self.thr.silent_intervals * self._interval_ms(device)
                if end_ms - last > quiet:
                    out.append(self._violation(ViolationKind.SENSOR_SILENT, device, last + quiet))
        out += self._not_cleared(end_ms)
        out += self._pest_overdue(end_ms)
        return out

    def _not_cleared(self, end_ms: int) -> list[ViolationRecord]:
        """Points without a clearance between each local day's start and its cut-off.

        Each closes at the first clearance after its cut-off; a point still not
        cleared at the next day's cut-off gets that day's violation instead, and the
        old one closes 1 ms before it (one open `bin_not_cleared` per point at a time).
        """
        days = []
        day = local_date(self.start_ms, self.tz)
        while (cutoff := at_local(day, self.thr.cutoff_time, self.tz)) < end_ms:
            if cutoff >= self.start_ms:
                days.append((day_start_ms(day, self.tz), cutoff))
            day += timedelta(days=1)
        out = []
        for k, (day_start, cutoff) in enumerate(days):
            following = days[k + 1][1] if k + 1 < len(days) else None
            for point in self.registry.collection_points:
                clears = self._clears.get(point.id, [])
                if any(day_start <= c <= cutoff for c in clears):
                    continue
                later = [c for c in clears if c > cutoff]
                end = min(later) if later else None
                if following is not None and (end is None or end > following):
                    end = following - 1
                out.append(
                    ViolationRecord(
                        cutoff,
                        ViolationKind.BIN_NOT_CLEARED,
                        point.id,
                        point.community_id,
                        self.registry.town_of(point.community_id),
                        end,
                    )
                )
        return out

    def _pest_overdue(self, end_ms: int) -> list[ViolationRecord]:
        """Sites not visited within their cycle, counted from the last visit on record
        before the run (the running start's imported records), else from the run's
        start, then from each visit; whole local days, as ingest's rule."""
        out = []
        for site in self.registry.pest_sites:
            ref = self.pest_history.get(site.id, self.start_ms)
            visits: list[int | None] = [*sorted(self._visits.get(site.id, [])), None]
            for visit in visits:
                due = self.thr.pest_overdue_ms(
                    ref, site.cycle_days_peak, site.cycle_days_normal, self.tz
                )
                if due < end_ms and (visit is None or due < visit):
                    out.append(
                        ViolationRecord(
                            due,
                            ViolationKind.PEST_OVERDUE,
                            site.id,
                            site.community_id,
                            self.registry.town_of(site.community_id),
                            visit,
                        )
                    )
                if visit is None:
                    break
                ref = visit
        return out

    # --- helpers --------------------------------------------------------------

    def _interval_ms(self, device: str) -> int:
        return self._interval[device]

    def _camera_grace_ms(self, camera: str) -> int:
        return self.thr.camera_missed_heartbeats * self._interval_ms(camera)

    def _record(self, kind: ViolationKind, device: str, start: int, end: int) -> None:
        self.violations.append(self._violation(kind, device, start, end))

    def _violation(
        self, kind: ViolationKind, device: str, start: int, end: int | None = None
    ) -> ViolationRecord:
        """A violation of a device's subject: the point, outlet, camera or the device itself."""
        ref = self.devices[device]
        subject = device if kind is ViolationKind.SENSOR_SILENT else ref.subject_id
        return ViolationRecord(start, kind, subject, ref.community_id or "", ref.town_id, end)
