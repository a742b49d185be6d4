"""The truth log: what the simulated field did that the system should notice.

One JSON object per line, two record types:

- `{"type": "violation", "kind", "subject", "community", "town", "start_ms", "end_ms"}`:
  every violation the delivered messages imply under `core.thresholds.RuleThresholds`
  (see docs/simulators.md, "Truth log", for each rule's exact reading);
  `end_ms` is null when it is still open at the end of the run.
- `{"type": "fault", "fault", "device_id", "ts_ms", "detail"}`: every fault injected.

Records are sorted (violations by start, kind, subject; then faults by time,
kind, device), so the same seed gives a byte-identical file. Ingest tests read
it with `read_truth_log(path)`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from core.schema import ViolationKind
from simulators.faults import FaultKind


@dataclass(frozen=True, slots=True, order=True)
class ViolationRecord:
    start_ms: int
    kind: ViolationKind
    subject: str
    community: str
    town: str
    end_ms: int | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "type": "violation",
            "kind": self.kind.value,
            "subject": self.subject,
            "community": self.community,
            "town": self.town,
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
        }


@dataclass(frozen=True, slots=True, order=True)
class FaultRecord:
    ts_ms: int
    fault: FaultKind
    device_id: str
    detail: str

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"type": "fault"}
        out.update(asdict(self))
        out["fault"] = self.fault.value
        return out


def _violation_key(v: ViolationRecord) -> tuple[int, str, str, int]:
    return (v.start_ms, v.kind.value, v.subject, v.end_ms if v.end_ms is not None else -1)


def _fault_key(f: FaultRecord) -> tuple[int, str, str, str]:
    return (f.ts_ms, f.fault.value, f.device_id, f.detail)


def write_truth_log(
    path: Path, violations: Iterable[ViolationRecord], faults: Iterable[FaultRecord]
) -> int:
    """Write the sorted log (atomically: a reader never sees half of it); returns the lines."""
    lines = [
        json.dumps(v.to_json(), ensure_ascii=False, separators=(",", ":"))
        for v in sorted(violations, key=_violation_key)
    ]
    lines += [
        json.dumps(f.to_json(), ensure_ascii=False, separators=(",", ":"))
        for f in sorted(faults, key=_fault_key)
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    tmp.replace(path)
    return len(lines)


class TruthLogError(ValueError):
    """A truth-log line that is not one of the two record types."""


def read_truth_log(path: Path | str) -> tuple[list[ViolationRecord], list[FaultRecord]]:
    """The violations and faults of a truth log, in file order."""
    violations: list[ViolationRecord] = []
    faults: list[FaultRecord] = []
    with Path(path).open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                kind = data["type"]
                if kind == "violation":
                    violations.append(
                        ViolationRecord(
                            start_ms=int(data["start_ms"]),
                            kind=ViolationKind(data["kind"]),
                            subject=str(data["subject"]),
                            community=str(data["community"]),
                            town=str(data["town"]),
                            end_ms=None if data["end_ms"] is None else int(data["end_ms"]),
                        )
                    )
                elif kind == "fault":
                    faults.append(
                        FaultRecord(
                            ts_ms=int(data["ts_ms"]),
                            fault=FaultKind(data["fault"]),
                            device_id=str(data["device_id"]),
                            detail=str(data["detail"]),
                        )
                    )
                else:
                    raise TruthLogError(f"unknown record type {kind!r}")
            except (ValueError, KeyError, TypeError) as exc:
                raise TruthLogError(f"{path}:{number}: not a truth-log record: {exc}") from exc
    return violations, faults
