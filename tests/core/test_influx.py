"""The InfluxDB client against the real InfluxDB: round trips and errors that say what failed."""

from __future__ import annotations

import pandas as pd
import pytest

from core.errors import InfluxAuthError, InfluxQueryError, InfluxUnreachableError
from core.influx import InfluxClient, quote_literal
from core.line_protocol import line
from core.retry import RetryPolicy
from core.settings import Settings
from yiju.localservices import LocalStack, free_port

T0 = 1_795_622_400_000


def test_write_then_query_into_a_dataframe(influx_db: InfluxClient) -> None:
    """Points written in batches come back as a DataFrame with tags as columns."""
    lines = [
        line(
            "bin",
            {"device_id": f"d{i % 3}", "town": "guicheng"},
            {"fill_pct": float(i)},
            T0 + i * 1000,
        )
        for i in range(12_001)
    ]
    assert influx_db.write_lines(lines, batch_size=5000) == 12_001
    frame = influx_db.query_df(
        'SELECT count("fill_pct") AS n, max("fill_pct") AS top FROM "bin" GROUP BY "device_id"'
    )
    assert sorted(frame["device_id"]) == ["d0", "d1", "d2"]
    assert frame["n"].sum() == 12_001
    assert frame["top"].max() == 12_000
    rows = influx_db.query_df('SELECT * FROM "bin" WHERE "device_id" = \'d1\' LIMIT 2')
    assert list(rows["fill_pct"]) == [1.0, 4.0]
    assert rows["time"].iloc[0] == pd.Timestamp(T0 + 1000, unit="ms", tz="UTC")


def test_bound_parameters_keep_input_out_of_the_query(influx_db: InfluxClient) -> None:
    """Bound params and quoted literals treat hostile input as a value, not InfluxQL."""
    influx_db.write_lines([line("bin", {"device_id": "a'b"}, {"fill_pct": 1.0}, T0)])
    hostile = "x' OR 1=1 --"
    assert influx_db.query_df(
        'SELECT * FROM "bin" WHERE "device_id" = $d', params={"d": hostile}
    ).empty
    literal = quote_literal("a'b")
    found = influx_db.query_df(f'SELECT * FROM "bin" WHERE "device_id" = {literal}')
    assert len(found) == 1


def test_empty_result_is_an_empty_frame(influx_db: InfluxClient) -> None:
    """A query that matches nothing gives an empty DataFrame, not an error."""
    assert influx_db.query_df('SELECT * FROM "nothing_here"').empty


def test_bad_query_says_so(influx_db: InfluxClient) -> None:
    """Invalid InfluxQL raises InfluxQueryError with the server's reason."""
    with pytest.raises(InfluxQueryError, match="rejected"):
        influx_db.query("SELEKT nonsense")


def test_bad_line_protocol_says_so(influx_db: InfluxClient) -> None:
    """A malformed write raises InfluxQueryError; it is not retried forever."""
    with pytest.raises(InfluxQueryError, match="/write"):
        influx_db.write_lines(["bin,device_id=x fill_pct="])


def test_wrong_password_is_an_auth_error(local_stack: LocalStack) -> None:
    """Wrong credentials raise InfluxAuthError."""
    s = local_stack.settings
    bad = InfluxClient(s.influx_url, s.influx_db, user=s.influx_user, password="wrong")
    with pytest.raises(InfluxAuthError, match="refused the credentials"):
        bad.query("SHOW MEASUREMENTS")


def test_reader_account_cannot_write(local_stack: LocalStack) -> None:
    """The read-only account may query the database but not write to it."""
    reader = InfluxClient.from_settings(local_stack.settings, reader=True)
    reader.query("SHOW MEASUREMENTS")
    with pytest.raises(InfluxAuthError):
        reader.write_lines([line("bin", {"device_id": "x"}, {"fill_pct": 1.0}, T0)])


def test_unreachable_server_is_reported_after_bounded_retries() -> None:
    """No server on the port: InfluxUnreachableError after a bounded number of tries."""
    client = InfluxClient(
        f"http://127.0.0.1:{free_port()}",
        "yiju",
        retry=RetryPolicy(attempts=2, initial_s=0.01),
        timeout_s=1.0,
    )
    with pytest.raises(InfluxUnreachableError, match="unreachable"):
        client.write_lines([line("bin", {"device_id": "x"}, {"fill_pct": 1.0}, T0)])


def test_a_stopped_influxdb_fails_after_the_policy_s_attempts(stopped_influx: Settings) -> None:
    """The error after the last attempt is of the kind callers catch and names the
    request, the URL, the number of attempts and the last error."""
    policy = RetryPolicy(attempts=3, initial_s=0.05, max_s=0.1)
    url = stopped_influx.influx_url
    with InfluxClient.from_settings(stopped_influx, retry=policy) as client:
        with pytest.raises(InfluxUnreachableError) as caught:
            client.write_lines([line("bin", {"device_id": "x"}, {"fill_pct": 2.0}, T0)])
        message = str(caught.value)
        assert message.startswith(f"POST /write to InfluxDB at {url}: gave up after 3 attempts")
        assert f"last error: InfluxDB at {url} is unreachable" in message
        with pytest.raises(InfluxUnreachableError, match="GET /query to InfluxDB") as caught:
            client.query("SHOW MEASUREMENTS")
        assert "gave up after 3 attempts" in str(caught.value)
        # One-shot probes are not retried: the plain error, no summary of attempts.
        with pytest.raises(InfluxUnreachableError, match="is unreachable") as caught:
            client.ping()
        assert "gave up" not in str(caught.value)


def test_service_account_from_settings_writes(local_stack: LocalStack) -> None:
    """The service account built from settings can write to and read the yiju database."""
    settings: Settings = local_stack.settings
    with InfluxClient.from_settings(settings) as client:
        client.write_lines(
            [
                line(
                    "deadletter",
                    {"reason": "schema"},
                    {"topic": "t", "payload": "p", "detail": "d"},
                    T0,
                )
            ]
        )
        frame = client.query_df('SELECT * FROM "deadletter" WHERE "topic" = \'t\'')
    assert list(frame["reason"]) == ["schema"]
