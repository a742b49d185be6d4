"""Exceptions of `core`. Messages name the offending record and say what to do."""

from __future__ import annotations


class YijuError(Exception):
    """Base of every error yiju raises on purpose."""


class ConfigError(YijuError):
    """A setting is missing or invalid."""


class RegistryError(YijuError):
    """The district registry is invalid; `problems` lists every bad record found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = "\n  ".join(problems[:20])
        more = f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"district registry has {len(problems)} problem(s):\n  {shown}{more}")


class InfluxError(YijuError):
    """InfluxDB did not do what was asked."""


class InfluxUnreachableError(InfluxError):
    """No answer from InfluxDB (connection refused, timeout, DNS)."""


class InfluxAuthError(InfluxError):
    """InfluxDB refused the credentials (401/403)."""


class InfluxQueryError(InfluxError):
    """InfluxDB rejected a query or a write (bad InfluxQL, bad line protocol)."""
