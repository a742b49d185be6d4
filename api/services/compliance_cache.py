"""A short-lived in-process cache of compliance answers for complete local days.

The office asks for the same days again and again (the morning sheet, the monthly
assessment), and a day's answer only changes when late data arrives. Answers
for days that have ended are kept for `ttl_s` (`YIJU_COMPLIANCE_CACHE_S`, 0 turns
the cache off); today's answer is always computed afresh.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")


class ComplianceCache:
    def __init__(self, ttl_s: float, max_entries: int = 512) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, tuple[float, object]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_compute(self, key: Hashable, complete: bool, compute: Callable[[], T]) -> T:
        """The cached value of `key`, or `compute()` (stored when the days are complete)."""
        if self.ttl_s <= 0 or not complete:
            return compute()
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and now - entry[0] < self.ttl_s:
                self._entries.move_to_end(key)
                self.hits += 1
                return entry[1]  # type: ignore[return-value]
            self.misses += 1
        value = compute()  # outside the lock: a slow InfluxDB must not serialise requests
        with self._lock:
            self._entries[key] = (now, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
