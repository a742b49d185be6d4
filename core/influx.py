"""A small client for InfluxDB's v1 HTTP API (`/ping`, `/write`, `/query`).

InfluxDB 1.x serves this API natively; 2.x and 3.x serve it for compatibility
(token auth with `token=`). Failures raise a subclass of `InfluxError` that
says what failed. Transient failures (no answer, a 5xx) are retried under the
client's `RetryPolicy` (`INFLUX_RETRY` unless given): after the last attempt
the error names the request, the URL, the attempts and the last error. A
caller that retries on its own terms passes `retry=ONCE` to the client or to
`write_lines`, so the two never stack.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import httpx
import pandas as pd

from core.errors import (
    InfluxAuthError,
    InfluxError,
    InfluxQueryError,
    InfluxServerError,
    InfluxUnreachableError,
)
from core.retry import ONCE, Failure, RetryPolicy, retry_call
from core.settings import Settings

log = logging.getLogger("yiju.core")

DEFAULT_BATCH = 5000

# Three tries, 0.5 s and 1 s apart: rides out a restart's first seconds or a
# dropped connection without keeping an interactive caller waiting long.
INFLUX_RETRY = RetryPolicy(attempts=3, initial_s=0.5, max_s=5.0)
# What a later try may cure; refused credentials and rejected queries it cannot.
TRANSIENT = (InfluxUnreachableError, InfluxServerError)


def quote_ident(name: str) -> str:
    """An InfluxQL identifier in double quotes (database, measurement, tag key)."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def quote_literal(value: str) -> str:
    """An InfluxQL string literal in single quotes."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _chunks(lines: Iterable[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for text in lines:
        batch.append(text)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class InfluxClient:
    """Synchronous v1-API client; one instance per thread (httpx.Client is pooled)."""

    def __init__(
        self,
        url: str,
        database: str,
        *,
        user: str | None = None,
        password: str | None = None,
        token: str | None = None,
        timeout_s: float = 10.0,
        retry: RetryPolicy = INFLUX_RETRY,
    ) -> None:
        self.url = url.rstrip("/")
        self.database = database
        self.retry = retry
        headers = {"Authorization": f"Token {token}"} if token else {}
        auth = (user, password) if user and password is not None and not token else None
        self._http = httpx.Client(base_url=self.url, headers=headers, auth=auth, timeout=timeout_s)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        admin: bool = False,
        reader: bool = False,
        retry: RetryPolicy = INFLUX_RETRY,
    ) -> InfluxClient:
        """Client with the service account (or the admin / read-only account)."""
        if settings.influx_token is not None:
            return cls(
                settings.influx_url,
                settings.influx_db,
                token=settings.influx_token.get_secret_value(),
                timeout_s=settings.influx_timeout_s,
                retry=retry,
            )
        if admin:
            user, secret = settings.influx_admin_user, "influx_admin_password"
        elif reader:
            user, secret = settings.influx_reader_user, "influx_reader_password"
        else:
            user, secret = settings.influx_user, "influx_password"
        return cls(
            settings.influx_url,
            settings.influx_db,
            user=user,
            password=settings.secret(secret),
            timeout_s=settings.influx_timeout_s,
            retry=retry,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> InfluxClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transport ---------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        content: bytes | None = None,
        data: Mapping[str, str] | None = None,
        retry: RetryPolicy | None = None,
    ) -> httpx.Response:
        """One request under `retry` (the client's policy when None)."""
        return retry_call(
            lambda: self._request_once(method, path, params=params, content=content, data=data),
            self.retry if retry is None else retry,
            what=f"{method} {path} to InfluxDB at {self.url}",
            retry_on=TRANSIENT,
            give_up=exhausted,
        )

    def _request_once(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None,
        content: bytes | None,
        data: Mapping[str, str] | None,
    ) -> httpx.Response:
        try:
            resp = self._http.request(method, path, params=params, content=content, data=data)
        except httpx.TransportError as exc:
            raise InfluxUnreachableError(
                f"InfluxDB at {self.url} is unreachable ({type(exc).__name__}: {exc}); "
                "is it running? `yiju services status` tells"
            ) from exc
        if resp.status_code in (401, 403):
            raise InfluxAuthError(
                f"InfluxDB at {self.url} refused the credentials for {path} "
                f"({resp.status_code}: {_error_text(resp)})"
            )
        if resp.status_code >= 500:
            raise InfluxServerError(
                f"InfluxDB at {self.url} failed {path} ({resp.status_code}: {_error_text(resp)})"
            )
        if resp.status_code >= 400:
            raise InfluxQueryError(
                f"InfluxDB rejected {path} ({resp.status_code}: {_error_text(resp)})"
            )
        return resp

    def ping(self) -> str:
        """The server's version; raises InfluxUnreachableError when it does not answer."""
        resp = self._request("GET", "/ping", retry=ONCE)
        return str(resp.headers.get("X-Influxdb-Version", "unknown"))

    # --- writing -------------------------------------------------------------

    def write_lines(
        self,
        lines: Iterable[str],
        *,
        batch_size: int = DEFAULT_BATCH,
        precision: str = "ms",
        database: str | None = None,
        retry: RetryPolicy | None = None,
    ) -> int:
        """Write line-protocol lines in batches; returns the number of lines written.
        Each batch is tried under `retry` (the client's policy when None)."""
        written = 0
        params = {"db": database or self.database, "precision": precision}
        for batch in _chunks(lines, batch_size):
            body = "\n".join(batch).encode("utf-8")
            self._request("POST", "/write", params=params, content=body, retry=retry)
            written += len(batch)
        return written

    def write_points(self, points: Iterable[Any], **kwargs: Any) -> int:
        """Write influxdb-client `Point` objects (or anything with `to_line_protocol`)."""
        return self.write_lines((p.to_line_protocol() for p in points), **kwargs)

    # --- querying --------------------------------------------------------------

    def query(
        self,
        influxql: str,
        *,
        params: Mapping[str, Any] | None = None,
        database: str | None = None,
        method: str = "GET",
    ) -> list[dict[str, Any]]:
        """Run InfluxQL; returns the series of every statement (time in epoch ms).

        `params` are bound parameters (`$name` in the query), the safe way to
        put user input into InfluxQL.
        """
        import json

        args = {"db": database or self.database, "q": influxql, "epoch": "ms"}
        if params:
            args["params"] = json.dumps(dict(params))
        if method == "POST":
            resp = self._request("POST", "/query", data=args)
        else:
            resp = self._request("GET", "/query", params=args)
        body = resp.json()
        series: list[dict[str, Any]] = []
        for result in body.get("results", []):
            if "error" in result:
                raise InfluxQueryError(
                    f"InfluxDB rejected the query: {result['error']} (query: {influxql[:300]})"
                )
            series.extend(result.get("series", []))
        return series

    def query_df(
        self, influxql: str, *, params: Mapping[str, Any] | None = None, database: str | None = None
    ) -> pd.DataFrame:
        """Run InfluxQL into one DataFrame; tags of grouped series become columns and
        `time` becomes a UTC datetime column. An empty result is an empty frame."""
        frames = []
        for s in self.query(influxql, params=params, database=database):
            frame = pd.DataFrame(s.get("values", []), columns=s["columns"])
            for key, value in (s.get("tags") or {}).items():
                frame[key] = value
            if "name" in s:
                frame["_measurement"] = s["name"]
            frames.append(frame)
        if not frames:
            return pd.DataFrame()
        out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        if "time" in out.columns:
            out["time"] = pd.to_datetime(out["time"], unit="ms", utc=True)
        return out

    # --- administration --------------------------------------------------------

    def create_database(self, retention: str = "400d") -> None:
        """Create the database (idempotent) and set its default retention."""
        db = quote_ident(self.database)
        self.query(f"CREATE DATABASE {db}", method="POST")
        self.query(
            f'ALTER RETENTION POLICY "autogen" ON {db} DURATION {retention} REPLICATION 1 DEFAULT',
            method="POST",
        )

    def drop_database(self) -> None:
        self.query(f"DROP DATABASE {quote_ident(self.database)}", method="POST")

    def users(self) -> list[str]:
        rows = self.query("SHOW USERS")
        return [v[0] for s in rows for v in s.get("values", [])]

    def ensure_user(
        self,
        user: str,
        password: str,
        *,
        admin: bool = False,
        grant: str | None = None,
        database: str | None = None,
    ) -> None:
        """Create a user or reset its password; optionally grant READ/WRITE/ALL on the db."""
        ident, secret = quote_ident(user), quote_literal(password)
        if user in self.users():
            self.query(f"SET PASSWORD FOR {ident} = {secret}", method="POST")
        else:
            suffix = " WITH ALL PRIVILEGES" if admin else ""
            self.query(f"CREATE USER {ident} WITH PASSWORD {secret}{suffix}", method="POST")
        if grant:
            if grant not in ("READ", "WRITE", "ALL"):
                raise ValueError(f"grant must be READ, WRITE or ALL, not {grant!r}")
            db = quote_ident(database or self.database)
            self.query(f"GRANT {grant} ON {db} TO {ident}", method="POST")


def exhausted(failure: Failure) -> InfluxError:
    """The error for InfluxDB calls that gave up: of the last error's kind (so callers
    catch what they always caught), saying what was tried, how often and how long."""
    kind = type(failure.error) if isinstance(failure.error, InfluxError) else InfluxError
    return kind(failure.summary())


def _error_text(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:300]
    if isinstance(body, dict) and "error" in body:
        return str(body["error"])[:300]
    return resp.text[:300]


def series_values(series: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Flatten query series into row dicts (tags merged in)."""
    rows: list[dict[str, Any]] = []
    for s in series:
        tags = s.get("tags") or {}
        for values in s.get("values", []):
            row = dict(zip(s["columns"], values, strict=True))
            row.update(tags)
            rows.append(row)
    return rows
