"""District-scale runs over several processes, town by town.

One Python process generates and publishes about 30,000 messages a second on
this kind of machine; the whole district at `--speed 600` needs ~30,000 on
average and more at the meal-time peaks. `run_parallel` splits the towns over
`workers` processes (balanced by device count). Each process simulates its
towns with its own broker connections (its towns' gateways, its sampled
devices) and its trucks' and crews' dispatch topics; all start their clocks
together (a barrier after connecting). Storms are planned once for the whole
district and handed to every process, so a district-wide storm falls on every
town at the same moment. The truth log merges the processes' records.

The same seed and the same number of workers give the same truth log; a
different number of workers gives a different (equally valid) day, because
each process draws its own random streams.
"""

from __future__ import annotations

import logging
import queue
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from core.processes import spawn_context
from core.registry import Registry
from core.settings import Settings
from simulators.clock import SimClock, StopSignal
from simulators.profiles import LocalTime
from simulators.runner import PROGRESS_EVERY_S, PartOptions, PartResult, Progress, run_part
from simulators.sewers import plan_storms

log = logging.getLogger("yiju.simulators")


class WorkerError(RuntimeError):
    """A simulating process failed; the message carries its error."""


def split_registry(registry: Registry, parts: int) -> list[Registry]:
    """The district as `parts` registries of whole towns, balanced by device count."""
    load: Counter[str] = Counter(ref.town_id for ref in registry.devices.values())
    groups: list[list[str]] = [[] for _ in range(min(parts, len(registry.towns)))]
    sizes = [0] * len(groups)
    for town in sorted(registry.towns, key=lambda t: (-load[t.id], t.id)):
        k = sizes.index(min(sizes))
        groups[k].append(town.id)
        sizes[k] += load[town.id]
    out = []
    for towns in groups:
        keep = set(towns)
        communities = {c.id for c in registry.communities if c.town_id in keep}
        out.append(
            Registry(
                district=registry.district,
                towns=[t for t in registry.towns if t.id in keep],
                communities=[c for c in registry.communities if c.id in communities],
                collection_points=[
                    p for p in registry.collection_points if p.community_id in communities
                ],
                sewage_outlets=[
                    o for o in registry.sewage_outlets if o.community_id in communities
                ],
                cameras=[c for c in registry.cameras if c.community_id in communities],
                transfer_stations=registry.transfer_stations,
                depots=registry.depots,
                trucks=[t for t in registry.trucks if t.town_id in keep],
                pest_sites=[s for s in registry.pest_sites if s.community_id in communities],
                pest_crews=[c for c in registry.pest_crews if c.town_ids and c.town_ids[0] in keep],
            )
        )
    return out


def run_parallel(
    settings: Settings,
    registry: Registry,
    options: PartOptions,
    workers: int,
    stop_event: StopSignal | None,
    progress: Callable[[Progress], None] | None,
) -> list[PartResult]:
    parts = split_registry(registry, workers)
    clock = LocalTime(registry.district.tz, options.start_ms)
    end_ms = SimClock(options.start_ms, options.hours, options.speed).end_ms
    storms = plan_storms(registry, clock, options.start_ms, end_ms, options.seed, options.faults)
    shared = replace(
        options,
        faults=replace(
            options.faults, storms=(*options.faults.storms, *storms), storms_per_day=0.0
        ),
    )
    ctx = spawn_context()  # no inherited threads or broker sockets
    inbox: Any = ctx.Queue()
    stop = ctx.Event()
    barrier = ctx.Barrier(len(parts))
    procs = [
        ctx.Process(
            target=_worker,
            args=(k, settings, part, shared, inbox, stop, barrier),
            name=f"yiju-sim-{k}",
            daemon=True,
        )
        for k, part in enumerate(parts)
    ]
    for proc in procs:
        proc.start()
    results: dict[int, PartResult] = {}
    latest: dict[int, Progress] = {}
    reported = time.monotonic()
    try:
        while len(results) < len(procs):
            if stop_event is not None and stop_event.is_set():
                stop.set()
            try:
                kind, k, payload = inbox.get(timeout=0.2)
            except queue.Empty:
                dead = [p.name for i, p in enumerate(procs) if i not in results and p.exitcode]
                if dead:
                    raise WorkerError(f"simulator process {dead[0]} died") from None
                continue
            if kind == "error":
                raise WorkerError(f"simulator process {k} failed: {payload}")
            if kind == "result":
                results[k] = payload
            elif kind == "progress":
                latest[k] = payload
                now = time.monotonic()
                if (
                    progress is not None
                    and len(latest) == len(procs)
                    and (
                        now - reported >= PROGRESS_EVERY_S
                        or all(p.done >= 1 for p in latest.values())
                    )
                ):
                    reported = now
                    progress(_combine(list(latest.values())))
    except BaseException:
        stop.set()
        barrier.abort()
        for proc in procs:
            proc.join(5)
            if proc.is_alive():
                proc.terminate()
        raise
    for proc in procs:
        proc.join()
    return [results[k] for k in range(len(procs))]


def _combine(parts: list[Progress]) -> Progress:
    messages: Counter[str] = Counter()
    for p in parts:
        messages.update(p.messages)
    first = parts[0]
    return Progress(
        min(p.sim_ms for p in parts),
        first.start_ms,
        first.end_ms,
        dict(messages),
        sum(messages.values()),
        max(p.wall_s for p in parts),
    )


def _worker(
    k: int,
    settings: Settings,
    registry: Registry,
    options: PartOptions,
    inbox: Any,
    stop: StopSignal,
    barrier: Any,
) -> None:
    logging.basicConfig(level=logging.WARNING, format=f"%(levelname)s yiju-sim-{k}: %(message)s")
    try:
        result = run_part(
            settings,
            registry,
            options,
            stop,
            progress=lambda p: inbox.put(("progress", k, p)),
            ready=barrier.wait,
        )
    except BaseException as exc:
        inbox.put(("error", k, f"{type(exc).__name__}: {exc}"))
        raise
    inbox.put(("result", k, result))
