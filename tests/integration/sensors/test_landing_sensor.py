"""LandingZoneSensor against a real S3 API (moto server): poke mode, deferral, timeouts, stable size.

``AIRFLOW_CONN_AWS_DEFAULT`` (set by tests/conftest.py) points the official S3Hook, sync and
async, at the moto server.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from typing import Any
from unittest.mock import MagicMock

import pytest
from airflow.sdk.exceptions import AirflowSensorTimeout, TaskDeferred

from dataplatform.landing import MarkerRule, StableSizeRule
from dataplatform.landing.probe import AsyncProber, probe_paths
from dataplatform.sensors import LandingZoneSensor
from dataplatform.triggers import LandingZoneTrigger

pytestmark = pytest.mark.integration

BUCKET = "landing"


@pytest.fixture
def prefix(s3_server) -> str:
    """A fresh key prefix per test in the shared landing bucket."""
    return f"it/{uuid.uuid4().hex[:8]}"


def uri(key: str) -> str:
    return f"s3://{BUCKET}/{key}"


def put(client, key: str, body: bytes) -> None:
    client.put_object(Bucket=BUCKET, Key=key, Body=body)


def context() -> dict[str, Any]:
    ti = MagicMock()
    ti.get_first_reschedule_date.return_value = None
    return {"ti": ti, "task_instance": ti}


def defer(sensor: LandingZoneSensor, ctx: dict) -> TaskDeferred:
    with pytest.raises(TaskDeferred) as exc:
        sensor.execute(ctx)
    return exc.value


def run_trigger(trigger: LandingZoneTrigger, during=None, limit: float = 30) -> dict[str, Any]:
    async def go():
        gen = trigger.run()
        side = asyncio.create_task(during()) if during else None
        event = await asyncio.wait_for(gen.__anext__(), timeout=limit)
        await gen.aclose()
        if side:
            await side
        return event.payload

    return asyncio.run(go())


def test_sync_and_async_probes_agree(s3_server, prefix):
    put(s3_server, f"{prefix}/a.csv", b"abc")
    paths = [uri(f"{prefix}/a.csv"), uri(f"{prefix}/absent.csv")]

    async def probe_async():
        async with AsyncProber("aws_default") as prober:
            return await prober.probe(paths)

    sync = probe_paths(paths, aws_conn_id="aws_default")
    assert sync[paths[0]].size == 3 and not sync[paths[1]].exists
    assert asyncio.run(probe_async()) == sync


def test_poke_mode_succeeds_once_all_keys_are_there(s3_server, prefix):
    keys = [f"{prefix}/billing.csv", f"{prefix}/claims.csv"]
    sensor = LandingZoneSensor(task_id="wait", files=[uri(k) for k in keys], poke_interval=0.2, timeout=20)
    put(s3_server, keys[0], b"id,amount\n1,10\n")
    timer = threading.Timer(0.5, put, args=(s3_server, keys[1], b"id\n"))
    timer.start()
    try:
        started = time.monotonic()
        result = sensor.execute(context())
    finally:
        timer.cancel()
    assert result == [{"path": uri(keys[0]), "size": 15}, {"path": uri(keys[1]), "size": 3}]
    assert time.monotonic() - started >= 0.5


def test_poke_mode_timeout_names_each_missing_key(s3_server, prefix):
    put(s3_server, f"{prefix}/present.csv", b"x")
    put(s3_server, f"{prefix}/empty.csv", b"")
    files = [uri(f"{prefix}/present.csv"), uri(f"{prefix}/empty.csv"), uri(f"{prefix}/never.csv")]
    sensor = LandingZoneSensor(task_id="wait", files=files, poke_interval=0.1, timeout=0.3)

    with pytest.raises(AirflowSensorTimeout) as err:
        sensor.execute(context())

    assert str(err.value).endswith(
        f"2 of 3 files not ready (1 missing, 1 incomplete): {files[1]}: size 0 < min 1; {files[2]}: missing"
    )
    assert f"{files[0]}:" not in str(err.value)


def test_deferrable_defers_then_succeeds_when_the_key_lands(s3_server, prefix):
    keys = [f"{prefix}/billing.csv", f"{prefix}/claims.csv"]
    put(s3_server, keys[0], b"1234")
    sensor = LandingZoneSensor(
        task_id="wait", files=[uri(k) for k in keys], deferrable=True, poke_interval=0.2, timeout=30
    )
    ctx = context()
    deferred = defer(sensor, ctx)
    assert isinstance(deferred.trigger, LandingZoneTrigger)

    async def upload_after_deferral():
        await asyncio.sleep(0.6)
        await asyncio.to_thread(put, s3_server, keys[1], b"123456")

    event = run_trigger(deferred.trigger, during=upload_after_deferral)

    assert event["status"] == "success"
    result = sensor.resume_execution(deferred.method_name, {"event": event}, ctx)
    assert result == [{"path": uri(keys[0]), "size": 4}, {"path": uri(keys[1]), "size": 6}]


def test_deferrable_timeout_names_each_missing_key(s3_server, prefix):
    files = [uri(f"{prefix}/billing.csv"), uri(f"{prefix}/claims.csv")]
    sensor = LandingZoneSensor(task_id="wait", files=files, deferrable=True, poke_interval=0.2, timeout=1)
    ctx = context()
    deferred = defer(sensor, ctx)

    event = run_trigger(deferred.trigger)
    assert event["status"] == "timeout"
    with pytest.raises(AirflowSensorTimeout) as err:
        sensor.resume_execution(deferred.method_name, {"event": event}, ctx)
    assert str(err.value) == (
        "LandingZoneSensor timed out after 1s; 2 of 2 files not ready (2 missing, 0 incomplete): "
        f"{files[0]}: missing; {files[1]}: missing"
    )


def test_stable_size_waits_while_the_object_grows(s3_server, prefix):
    key = f"{prefix}/big.csv"
    put(s3_server, key, b"x" * 10)
    sensor = LandingZoneSensor(
        task_id="wait",
        files=[uri(key)],
        rules=[StableSizeRule()],
        deferrable=True,
        poke_interval=0.3,
        timeout=30,
    )
    ctx = context()
    deferred = defer(sensor, ctx)
    assert deferred.trigger.previous_sizes == {uri(key): 10}

    put(s3_server, key, b"x" * 20)  # grows between the sensor's poke and the trigger's first look
    started = time.monotonic()
    event = run_trigger(deferred.trigger)

    assert event["status"] == "success"
    assert event["files"] == [{"path": uri(key), "size": 20}]
    assert time.monotonic() - started >= 0.6, "one look saw it grow, the next confirmed it stable"


def test_stable_size_in_poke_mode(s3_server, prefix):
    key = f"{prefix}/big.csv"
    put(s3_server, key, b"x" * 10)
    sensor = LandingZoneSensor(task_id="wait", files=[uri(key)], rules="stable_size")
    ctx = context()
    assert sensor.poke(ctx) is False
    put(s3_server, key, b"x" * 30)
    assert sensor.poke(ctx) is False
    assert sensor._last_report.message() == f"{uri(key)}: size changed 10 -> 30 since the previous poke"
    assert sensor.poke(ctx)


def test_single_success_marker_key(s3_server, prefix):
    files = [uri(f"{prefix}/a.csv"), uri(f"{prefix}/b.csv")]
    put(s3_server, f"{prefix}/a.csv", b"a")
    put(s3_server, f"{prefix}/b.csv", b"b")
    sensor = LandingZoneSensor(
        task_id="wait", files=files, rules=[MarkerRule(name="_SUCCESS")], deferrable=True, poke_interval=0.2
    )
    ctx = context()
    deferred = defer(sensor, ctx)

    async def mark_done():
        await asyncio.sleep(0.3)
        await asyncio.to_thread(put, s3_server, f"{prefix}/_SUCCESS", b"")

    assert run_trigger(deferred.trigger, during=mark_done)["status"] == "success"
