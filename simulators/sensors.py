"""What bin and sewer sensors share: a reporting schedule, silences, and message faults.

Each sensor reports on its own phase every `interval_s` of its registry record.
A silent sensor sends nothing from the start of its silence until its end,
then reports again on a new phase (it rebooted). Faults on regular readings
come from one draw per sensor and step (deterministic for a seed):
a malformed extra message, an exact duplicate, or the reading held back and
published after the next one (only where it cannot change a rule's state).
Sensors chosen to go silent get no other message faults, so a dead letter
never arrives from a device that the truth log calls silent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from core.localday import MS_PER_HOUR
from core.thresholds import RuleThresholds
from core.topics import Topics
from simulators.faults import MALFORMED, FaultConfig, FaultKind, malformed_payload
from simulators.linknames import HARNESS_LINK, is_device_link
from simulators.messages import Fact, Outbound
from simulators.seeding import stable_hash, stream

NEVER = np.iinfo(np.int64).max
OTHER_FAMILY = {"bin": "sewer", "sewer": "bin", "camera": "bin"}

FaultReporter = Callable[[FaultKind, str, int, str], None]


@dataclass(frozen=True, slots=True)
class FieldRun:
    """What every device family of one simulated run shares: where it publishes, the
    span and seed of the run, its fault mix and rule thresholds, and who logs faults."""

    topics: Topics
    start_ms: int
    end_ms: int
    seed: int
    faults: FaultConfig
    thresholds: RuleThresholds
    report: FaultReporter


class MessageFaults:
    """Applies the message-level faults of one family of devices."""

    def __init__(
        self,
        family: str,
        topics: Topics,
        faults: FaultConfig,
        seed: int,
        end_ms: int,
        report: FaultReporter,
    ) -> None:
        self.family, self.topics, self.seed, self.end_ms = family, topics, seed, end_ms
        self.report = report
        self.m = faults.malformed_share
        self.d = self.m + faults.duplicate_share
        self.o = self.d + faults.out_of_order_share
        self.held: list[Outbound] = []

    def emit(
        self,
        out: list[Outbound],
        msg: Outbound,
        u: float | None,
        interval_ms: int,
        may_delay: bool,
    ) -> None:
        """Append `msg` (and whatever fault the draw `u` picks) to `out`."""
        if u is None or u >= self.o:
            out.append(msg)
            return
        fact = msg.fact
        assert fact is not None
        device, ts = fact.subject, fact.ts
        if u < self.m:
            kind = MALFORMED[min(len(MALFORMED) - 1, int(u / self.m * len(MALFORMED)))]
            out.append(msg)
            out.append(self._malformed(kind, msg, device, ts))
        elif u < self.d:
            out.append(msg)
            out.append(msg._replace(fact=None))
            self.report(FaultKind.DUPLICATE, device, ts, f"{self.family} reading sent twice")
        else:
            delay = interval_ms + 10_000 + stable_hash(self.seed, device, ts) % 110_000
            if may_delay and ts + delay < self.end_ms - 1:
                self.held.append(msg._replace(at=ts + delay))
                self.report(
                    FaultKind.OUT_OF_ORDER,
                    device,
                    ts,
                    f"{self.family} reading published {delay // 1000} s late, after the next one",
                )
            else:
                out.append(msg)

    def _malformed(self, kind: FaultKind, msg: Outbound, device: str, ts: int) -> Outbound:
        family = self.family
        if kind is FaultKind.UNKNOWN_DEVICE:
            ghost = f"{family}-ghost-{stable_hash(self.seed, device, ts) % 100_000:05d}"
            self.report(
                kind, ghost, ts, f"valid {family} reading from a device not in the registry"
            )
            return Outbound(
                msg.at,
                HARNESS_LINK,
                self.topics.telemetry(family, ghost),
                msg.payload,
                False,
                family,
                None,
            )
        if kind is FaultKind.TOPIC_MISMATCH:
            other = OTHER_FAMILY[family]
            self.report(kind, device, ts, f"{family} reading published on a {other} topic")
            return Outbound(
                msg.at,
                msg.link if is_device_link(msg.link) else HARNESS_LINK,
                self.topics.telemetry(other, device),
                msg.payload,
                False,
                other,
                None,
            )
        payload = malformed_payload(kind, msg.payload, ts, family)
        self.report(kind, device, ts, f"{family} payload: {payload[:60].decode(errors='replace')}")
        return msg._replace(payload=payload, fact=None)

    def release(self, t1: int) -> list[Outbound]:
        """Held-back messages whose (late) publish time falls before `t1`."""
        if not self.held:
            return []
        due = [m for m in self.held if m.at < t1]
        self.held = [m for m in self.held if m.at >= t1]
        return due


class SensorField:
    """Schedules the readings of one family of periodic sensors."""

    family = "sensor"

    def __init__(
        self,
        device_ids: Sequence[str],
        intervals_s: Sequence[int],
        links: Sequence[str],
        run: FieldRun,
    ) -> None:
        topics, start_ms, end_ms, seed, faults = (
            run.topics,
            run.start_ms,
            run.end_ms,
            run.seed,
            run.faults,
        )
        self.n = len(device_ids)
        self.ids = list(device_ids)
        self.links = list(links)
        self.topic = [topics.telemetry(self.family, d) for d in device_ids]
        self.start_ms, self.end_ms = start_ms, end_ms
        self.rng = stream(seed, self.family)
        self.interval = np.array(intervals_s, dtype=np.int64) * 1000
        # A phase of at least a second keeps readings off exact interval multiples,
        # so no silence is ever exactly at the rule's threshold.
        self.next_due = (
            start_ms
            + (self.rng.random(self.n) * np.maximum(self.interval - 2000, 1)).astype(np.int64)
            + 1000
        )
        # Per-reading state as Python lists: indexing numpy scalars one by one is slow.
        self.seq = [0] * self.n
        self.battery: list[float] = self.rng.uniform(35.0, 100.0, self.n).tolist()
        self.report = run.report
        self.faults = MessageFaults(self.family, topics, faults, seed, end_ms, run.report)
        self.silent_from = np.full(self.n, NEVER, dtype=np.int64)
        self.silent_until = np.full(self.n, NEVER, dtype=np.int64)
        self._plan_silences(faults.silent_share)

    def _plan_silences(self, share: float) -> None:
        picks = self.rng.random(self.n) < share
        starts = self.rng.random(self.n)
        hours = self.rng.uniform(1.0, 8.0, self.n)
        for i in np.nonzero(picks)[0].tolist():
            earliest = self.start_ms + 2 * int(self.interval[i])
            latest = self.end_ms - int(self.interval[i])
            if latest <= earliest:
                continue
            start = earliest + int(starts[i] * (latest - earliest))
            until = start + int(hours[i] * MS_PER_HOUR)
            self.silent_from[i] = start
            self.silent_until[i] = until if until < self.end_ms else NEVER
            tail = " (until the end of the run)" if until >= self.end_ms else ""
            self.report(FaultKind.SILENT, self.ids[i], start, f"silent {hours[i]:.1f} h{tail}")

    def scheduled(self, t1: int, draws: np.ndarray, out: list[Outbound]) -> None:
        """Emit every regular reading due before `t1`, skipping silences."""
        quiet = self.silent_from != NEVER
        for i in np.nonzero(self.next_due < t1)[0].tolist():
            ts = int(self.next_due[i])
            interval = int(self.interval[i])
            while ts < t1:
                if self.silent_from[i] <= ts < self.silent_until[i]:
                    ts = int(self.silent_until[i])  # reports again on a new phase
                    continue
                self.reading(i, ts, None if quiet[i] else float(draws[i]), out)
                ts += interval
            self.next_due[i] = ts

    def reading(self, i: int, ts: int, draw: float | None, out: list[Outbound]) -> None:
        raise NotImplementedError

    def publish(
        self,
        out: list[Outbound],
        i: int,
        ts: int,
        payload: bytes,
        value: float,
        draw: float | None,
        may_delay: bool,
    ) -> None:
        msg = Outbound(
            ts,
            self.links[i],
            self.topic[i],
            payload,
            False,
            self.family,
            Fact(self.family, self.ids[i], ts, value),
        )
        if draw is None or draw >= self.faults.o:
            out.append(msg)  # the common case, without a call
        else:
            self.faults.emit(out, msg, draw, int(self.interval[i]), may_delay)

    def next_seq(self, i: int) -> int:
        self.seq[i] += 1
        self.battery[i] = max(1.0, self.battery[i] - 0.002)
        return self.seq[i]


def nudge(value: float, edges: frozenset[float]) -> float:
    """A one-decimal reading moved 0.1 up when it sits exactly on a rule threshold
    (`edges`, already rounded to one decimal), so `>=` and `>` (or `<` and `<=`)
    readings of the rules agree."""
    rounded = round(value, 1)
    return round(rounded + 0.1, 1) if rounded in edges else rounded
