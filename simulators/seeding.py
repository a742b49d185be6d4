"""Deterministic randomness: every model draws from its own named stream.

Streams are keyed by the run's seed and a name (a model, a truck and route),
so adding a model or a route never shifts the numbers another one sees, and
the same seed gives the same day.
"""

from __future__ import annotations

import zlib

import numpy as np


def stable_hash(*parts: object) -> int:
    """A 32-bit hash of `parts` that is the same in every process (unlike `hash`)."""
    return zlib.crc32(":".join(str(p) for p in parts).encode())


def stream(seed: int, *names: object) -> np.random.Generator:
    """The random stream of one named part of the simulation."""
    return np.random.default_rng([seed & 0xFFFFFFFF, stable_hash(*names)])


def unit(seed: int, *parts: object) -> float:
    """A uniform number in [0, 1) fixed by `parts` (for one-off decisions)."""
    return stable_hash(seed, *parts) / 4_294_967_296
