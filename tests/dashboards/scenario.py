"""A small known scenario for the boards, written to a real InfluxDB.

On the scale-0.02 district (seven towns, one community each), relative to now:

- open violations: an overflowing point and an overflowing sewer in Guicheng's
  community, two cameras offline in Dali's (one for three days, one reopened ten
  minutes ago), a pest site overdue in Lishui's; closed ones that must not show: a
  point in Guicheng, a sewer and a silent sensor in Shishan's;
- clearances: three of Guicheng's points today (one by hand), every one of Dali's
  today, one of Lishui's yesterday only, none elsewhere;
- routes: a Guicheng truck with three stops due and one served (behind by two), a
  Dali truck with two due and two served, a crew with one due and one visited;
- one unserved stop in Lishui from a stored plan.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from core import schema
from core.influx import InfluxClient
from core.line_protocol import line
from core.localday import local_date
from core.plans import PlanRecord, UnservedReason, UnservedStop
from core.registry import Community, Registry
from core.schema import ViolationKind as K
from dashboards.seed import seed

MIN = 60_000
HOUR = 60 * MIN


@dataclass
class Expected:
    now: int
    open: set[tuple[str, str]] = field(default_factory=set)  # (kind, subject)
    open_by_community: dict[str, int] = field(default_factory=dict)
    open_since: dict[str, int] = field(default_factory=dict)  # community → earliest open
    open_kinds: dict[str, set[str]] = field(default_factory=dict)  # community → kinds open
    share: dict[str, float | None] = field(default_factory=dict)  # town → share; None: no data
    points: dict[str, int] = field(default_factory=dict)  # town → collection points
    behind: dict[str, int] = field(default_factory=dict)  # truck → stops due, not served
    communities: dict[str, Community] = field(default_factory=dict)  # town → its community
    fills: dict[str, float] = field(default_factory=dict)  # point → last fill
    unserved_stop: str = ""
    served: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # planned, due, served


def load(influx: InfluxClient, registry: Registry, now: int) -> Expected:
    exp = Expected(now)
    town = {t.id: registry.communities_in(t.id)[0] for t in registry.towns}
    exp.communities = town
    gc, dl, ls, ss = town["guicheng"], town["dali"], town["lishui"], town["shishan"]
    lines: list[str] = []

    def points(c: Community) -> list[str]:
        return [p.id for p in registry.collection_points if p.community_id == c.id]

    def violation(c: Community, kind: K, subject: str, events: list[tuple[int, str]]) -> None:
        vid = uuid.uuid4().hex[:10]
        for ago, state in events:
            lines.append(
                line(
                    schema.VIOLATION.name,
                    {"kind": kind.value, "community": c.id, "town": c.town_id, "subject": subject},
                    {"state": state, "value": 1.0, "violation_id": vid},
                    now - ago,
                )
            )
        if events[-1][1] == "open":
            exp.open.add((kind.value, subject))
            exp.open_kinds.setdefault(c.id, set()).add(kind.value)
            exp.open_by_community[c.id] = exp.open_by_community.get(c.id, 0) + 1
            # Since when: the event that opened it last.
            opened = now - events[-1][0]
            exp.open_since[c.id] = min(exp.open_since.get(c.id, opened), opened)
        else:
            exp.open_by_community.setdefault(c.id, 0)

    gc_points, dl_points = points(gc), points(dl)
    gc_outlet = next(o.id for o in registry.sewage_outlets if o.community_id == gc.id)
    ss_outlet = next(o.id for o in registry.sewage_outlets if o.community_id == ss.id)
    dl_cams = [c.id for c in registry.cameras if c.community_id == dl.id][:2]
    gc_cam = next(c.id for c in registry.cameras if c.community_id == gc.id)
    ls_site = next(s.id for s in registry.pest_sites if s.community_id == ls.id)
    gc_site = next(s.id for s in registry.pest_sites if s.community_id == gc.id)

    violation(gc, K.BIN_OVERFLOW, gc_points[0], [(2 * HOUR, "open")])
    violation(gc, K.BIN_OVERFLOW, gc_points[1], [(3 * HOUR, "open"), (1 * HOUR, "closed")])
    violation(gc, K.SEWER_OVERFLOW, gc_outlet, [(30 * MIN, "open")])
    violation(dl, K.CAMERA_OFFLINE, dl_cams[0], [(72 * HOUR, "open")])
    violation(
        dl,
        K.CAMERA_OFFLINE,
        dl_cams[1],
        [(5 * HOUR, "open"), (4 * HOUR, "closed"), (10 * MIN, "open")],
    )
    violation(ls, K.PEST_OVERDUE, ls_site, [(48 * HOUR, "open")])
    violation(ss, K.SEWER_OVERFLOW, ss_outlet, [(5 * HOUR, "open"), (4 * HOUR, "closed")])
    violation(
        ss, K.SENSOR_SILENT, "bin-" + points(ss)[0], [(5 * HOUR, "open"), (3 * HOUR, "closed")]
    )

    def clearance(c: Community, point: str, vehicle: str | None, ago: int) -> None:
        tags = {"point_id": point, "community": c.id, "town": c.town_id, "vehicle_id": vehicle}
        lines.append(line(schema.CLEARANCE.name, tags, {"fill_before_pct": 80.0}, now - ago))

    trk_gc, trk_dl = "trk-gc-01", "trk-dl-01"
    clearance(gc, gc_points[0], trk_gc, 50 * MIN)
    clearance(gc, gc_points[1], None, 2 * HOUR)  # emptied by hand
    clearance(gc, gc_points[2], "trk-gc-02", 3 * HOUR)
    clearance(gc, gc_points[2], "trk-gc-02", 1 * HOUR)
    for i, point in enumerate(dl_points):
        clearance(dl, point, trk_dl if i < 2 else "trk-dl-02", (i % 5 + 1) * 20 * MIN)
    clearance(ls, points(ls)[0], "trk-ls-01", 30 * HOUR)  # yesterday only

    for t, c in town.items():
        exp.points[t] = len(points(c))
    exp.share = dict.fromkeys(town)
    exp.share["guicheng"] = 3 / exp.points["guicheng"]
    exp.share["dali"] = 1.0
    exp.share["lishui"] = 0.0

    fills = {gc_points[0]: 105.0, gc_points[1]: 50.0, gc_points[2]: 92.0}
    for point, fill in fills.items():
        tags = {
            "device_id": f"bin-{point}",
            "point_id": point,
            "community": gc.id,
            "town": gc.town_id,
        }
        lines.append(line(schema.BIN.name, tags, {"fill_pct": fill - 10}, now - 2 * HOUR))
        lines.append(line(schema.BIN.name, tags, {"fill_pct": fill}, now - 20 * MIN))
    exp.fills = fills
    place = {"community": gc.id, "town": gc.town_id}
    sewer = {"device_id": f"lvl-{gc_outlet}", "outlet_id": gc_outlet, **place}
    lines.append(
        line(
            schema.SEWER.name, sewer, {"level_cm": 60.0, "overflow_level_cm": 75.0}, now - 2 * HOUR
        )
    )
    lines.append(
        line(
            schema.SEWER.name, sewer, {"level_cm": 80.0, "overflow_level_cm": 75.0}, now - 30 * MIN
        )
    )
    camera = {"device_id": gc_cam, **place}
    lines.append(line(schema.CAMERA.name, camera, {"online": 1, "recording": 1}, now - 3 * HOUR))
    lines.append(line(schema.CAMERA.name, camera, {"online": 0, "recording": 0}, now - 1 * HOUR))
    visit = {"site_id": gc_site, "crew_id": "crew-gc-01", **place}
    lines.append(line(schema.PEST_VISIT.name, visit, {"duration_min": 90.0}, now - 90 * MIN))

    def route(vehicle: str, kind: str, t: str, stops: list[tuple[str, int, str]]) -> None:
        for seq, (stop, eta_from_now, stop_kind) in enumerate(stops, start=1):
            tags = {
                "plan_id": f"{kind}-today",
                "route_id": f"{vehicle}-r1",
                "vehicle_id": vehicle,
                "plan_kind": kind,
                "town": t,
            }
            eta = now + eta_from_now
            fields = {"seq": seq, "stop_id": stop, "eta_ms": eta, "lat": 23.0, "lon": 113.0,
                      "load_kg": 100.0 * seq, "stop_kind": stop_kind}  # fmt: skip
            lines.append(line(schema.ROUTE_STOP.name, tags, fields, eta))

    # Depots and the transfer station are on the route but are no stops to serve.
    route(trk_gc, "garbage", "guicheng",
          [("dep-gc-1", -4 * HOUR, "depot"), (gc_points[0], -3 * HOUR, "point"),
           (gc_points[3], -2 * HOUR, "point"), ("ts-gc-1", -90 * MIN, "station"),
           (gc_points[4], -1 * HOUR, "point"), (gc_points[5], 2 * HOUR, "point"),
           ("dep-gc-1", 3 * HOUR, "depot")])  # fmt: skip
    route(
        trk_dl,
        "garbage",
        "dali",
        [(dl_points[0], -3 * HOUR, "point"), (dl_points[1], -2 * HOUR, "point")],
    )
    route(
        "crew-gc-01",
        "pest",
        "guicheng",
        [("dep-gc-1", -3 * HOUR, "depot"), (gc_site, -2 * HOUR, "site")],
    )
    exp.behind = {trk_gc: 2}
    exp.served = {trk_gc: (4, 3, 1), trk_dl: (2, 2, 2), "crew-gc-01": (1, 1, 1)}

    influx.write_lines(lines)
    exp.unserved_stop = points(ls)[2]
    plan = PlanRecord(
        plan_id="garbage-today-0001",
        date=local_date(now).isoformat(),
        kind="garbage",
        town_id="lishui",
        created_ms=now - 8 * HOUR,
        unserved=[
            UnservedStop(
                stop_id=exp.unserved_stop,
                kind="point",
                community_id=ls.id,
                reason=UnservedReason.CAPACITY,
                detail="the town's trucks are full",
            )
        ],
    )
    seed(influx, registry, now - 24 * HOUR, [plan])
    assert date.fromisoformat(plan.date)
    return exp
