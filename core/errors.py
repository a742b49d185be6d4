"""Exceptions of `core`. Messages name the offending record and say what to do."""

from __future__ import annotations


class YijuError(Exception):
    """Base of every error yiju raises on purpose."""


class ConfigError(YijuError):
    """A setting is missing or invalid."""


class RegistryError(YijuError):
    """The district registry is invalid; `problems` lists every bad record found,
    `source` names the file it came from (None for a registry built in memory)."""

    def __init__(self, problems: list[str], source: str | None = None) -> None:
        self.problems = problems
        self.source = source
        shown = "\n  ".join(problems[:20])
        more = f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else ""
        where = f" {source}" if source else ""
        super().__init__(
            f"district registry{where} has {len(problems)} problem(s):\n  {shown}{more}"
        )


class InfluxError(YijuError):
    """InfluxDB did not do what was asked."""


class InfluxUnreachableError(InfluxError):
    """No answer from InfluxDB (connection refused, timeout, DNS)."""


class InfluxServerError(InfluxError):
    """InfluxDB answered with a server error (5xx); a later try may succeed."""


class InfluxAuthError(InfluxError):
    """InfluxDB refused the credentials (401/403)."""


class InfluxQueryError(InfluxError):
    """InfluxDB rejected a query or a write (bad InfluxQL, bad line protocol)."""
