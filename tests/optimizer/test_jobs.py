"""A queued plan runs to done: routes stored in InfluxDB and dispatched retained."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from core import credentials, schema
from core.influx import InfluxClient
from core.localday import now_ms
from core.plans import PlanRecord, PlanState, PlanStore, new_plan_id
from core.registry import Registry, save_registry
from core.settings import Settings
from core.topics import Topics
from optimizer.errors import PlanningError
from optimizer.planning import jobs
from optimizer.planning.jobs import run_plan_job
from tests.conftest import MqttFactory
from tests.optimizer.planned import PlanRecorder
from yiju.localservices import LocalStack


@pytest.fixture
def job_settings(local_stack: LocalStack, small_district: Registry, tmp_path: Path) -> Settings:
    path = tmp_path / "district.json"
    save_registry(small_district, path)
    return local_stack.settings.model_copy(update={"data_dir": tmp_path, "registry_path": path})


def test_run_plan_job_stores_and_dispatches(
    job_settings: Settings, mqtt_connect: MqttFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """queued → done; the routes pass the validator (against the problems the job's
    state gave the solver), every route's stops are in `route_stop` and each route is
    retained on its crew's dispatch topic."""
    recorder = PlanRecorder()
    monkeypatch.setattr(jobs, "plan_day", recorder)
    store = PlanStore(job_settings.data_dir)
    date = "2026-11-20"
    record = PlanRecord(
        plan_id=new_plan_id(date, "pest"),
        date=date,
        kind="pest",
        town_id="jiujiang",
        created_ms=now_ms(),
    )
    store.save(record)
    done = run_plan_job(job_settings, record.plan_id, time_limit_s=4)
    assert done.state is PlanState.DONE, done.error
    assert done.error is None
    assert done.routes
    assert recorder.of(done).record.routes == done.routes
    assert recorder.problems() == {}
    stored = store.get(record.plan_id)
    assert stored is not None
    assert stored.state is PlanState.DONE
    s = job_settings
    admin = InfluxClient(
        s.influx_url,
        s.influx_db,
        user=s.influx_admin_user,
        password=s.secret("influx_admin_password"),
    )
    rows = admin.query(
        'SELECT count("seq") FROM "route_stop" WHERE "plan_id" = $p', params={"p": record.plan_id}
    )
    assert rows[0]["values"][0][1] == sum(len(r.stops) for r in done.routes)
    # Every field the schema names is written (the dispatch board reads stop_kind).
    fields = {v[0] for v in admin.query('SHOW FIELD KEYS FROM "route_stop"')[0]["values"]}
    assert fields == set(schema.ROUTE_STOP.fields)
    kinds = admin.query(
        'SELECT "stop_kind" FROM "route_stop" WHERE "plan_id" = $p', params={"p": record.plan_id}
    )
    assert {v[1] for v in kinds[0]["values"]} >= {"depot", "site"}
    got: dict[str, dict[str, object]] = {}
    seen = threading.Event()
    client = mqtt_connect(credentials.SIMULATOR)

    def on_message(c: object, userdata: object, msg: object) -> None:
        got[msg.topic] = {"retain": msg.retain, **json.loads(msg.payload)}  # type: ignore[attr-defined]
        if len(got) == len(done.routes):
            seen.set()

    client.on_message = on_message
    topics = Topics(s.topic_prefix)
    for r in done.routes:
        client.subscribe(topics.dispatch(r.vehicle_id), qos=1)
    assert seen.wait(10), f"dispatch messages seen: {list(got)}"
    for r in done.routes:
        message = got[topics.dispatch(r.vehicle_id)]
        assert message["retain"] is True
        assert message["route_id"] == r.route_id
        assert message["stops"] == [json.loads(x.model_dump_json()) for x in r.stops]
    exports = s.data_dir / "plans" / "exports"
    assert (exports / f"{record.plan_id}.geojson").exists()
    assert (exports / f"{record.plan_id}.csv").read_text().startswith("route_id,")


def test_run_plan_job_refuses_unknown_and_fails_cleanly(job_settings: Settings) -> None:
    """An unknown id is an error; a plan that cannot run ends failed with the reason."""
    with pytest.raises(PlanningError, match="no plan"):
        run_plan_job(job_settings, "garbage-2026-11-20-nothere")
    store = PlanStore(job_settings.data_dir)
    record = PlanRecord(
        plan_id=new_plan_id("2026-11-20", "garbage"),
        date="2026-11-20",
        kind="garbage",
        town_id=None,
        created_ms=now_ms(),
    )
    store.save(record)
    broken = job_settings.model_copy(update={"registry_path": job_settings.data_dir / "none.json"})
    result = run_plan_job(broken, record.plan_id, time_limit_s=2)
    assert result.state is PlanState.FAILED
    assert "no district registry" in (result.error or "")
    assert store.get(record.plan_id).state is PlanState.FAILED  # type: ignore[union-attr]
    time.sleep(0)
