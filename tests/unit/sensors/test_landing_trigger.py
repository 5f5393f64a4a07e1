"""LandingZoneTrigger: serialisation round trip and its events, with local files."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from airflow.sdk._shared.module_loading import import_string
from airflow.sdk.serde import serialize

from dataplatform.landing import MarkerRule, MinSizeRule, StableSizeRule
from dataplatform.triggers import LandingZoneTrigger


def first_event(trigger: LandingZoneTrigger) -> dict:
    async def go():
        gen = trigger.run()
        event = await asyncio.wait_for(gen.__anext__(), timeout=20)
        await gen.aclose()
        return event.payload

    return asyncio.run(go())


def make_trigger(**overrides) -> LandingZoneTrigger:
    kwargs = {
        "files": ["s3://landing/billing/2026-10/billing.csv", "/in/claims.csv"],
        "rules": [MarkerRule(name="_SUCCESS").to_dict(), StableSizeRule().to_dict(), {"kind": "min_size"}],
        "aws_conn_id": "aws_default",
        "poke_interval": 15.0,
        "deadline": datetime(2026, 10, 2, 6, 0, tzinfo=UTC),
        "previous_sizes": {"/in/claims.csv": 42},
    }
    return LandingZoneTrigger(**{**kwargs, **overrides})


def test_serialize_round_trips():
    trigger = make_trigger()
    classpath, kwargs = trigger.serialize()

    assert classpath == "dataplatform.triggers.landing.LandingZoneTrigger"
    assert kwargs == {
        "files": ["s3://landing/billing/2026-10/billing.csv", "/in/claims.csv"],
        "rules": [
            {"kind": "marker", "name": "_SUCCESS"},
            {"kind": "stable_size"},
            {"kind": "min_size", "min_bytes": 1},
        ],
        "aws_conn_id": "aws_default",
        "poke_interval": 15.0,
        "deadline": datetime(2026, 10, 2, 6, 0, tzinfo=UTC),
        "previous_sizes": {"/in/claims.csv": 42},
    }
    rebuilt = import_string(classpath)(**kwargs)
    assert rebuilt.serialize() == (classpath, kwargs)
    assert rebuilt.rules == (MarkerRule(name="_SUCCESS"), StableSizeRule(), MinSizeRule(1))


def test_serialize_round_trips_the_way_airflow_stores_triggers():
    """Task runner: serde + JSON into ``trigger.encrypted_kwargs``; triggerer: decrypt + smart decode."""
    from airflow.models.trigger import Trigger
    from airflow.serialization.decoders import smart_decode_trigger_kwargs

    classpath, kwargs = make_trigger().serialize()
    stored = json.dumps(serialize(kwargs))
    loaded = {k: smart_decode_trigger_kwargs(v) for k, v in Trigger._decrypt_kwargs(stored).items()}
    rebuilt = import_string(classpath)(**loaded)
    assert rebuilt.serialize() == (classpath, kwargs)


def test_deadline_may_arrive_as_iso_string_but_must_be_aware():
    trigger = make_trigger(deadline="2026-10-02T06:00:00+00:00")
    assert trigger.deadline == datetime(2026, 10, 2, 6, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="timezone-aware"):
        make_trigger(deadline=datetime(2026, 10, 2, 6, 0))


def test_latest_sizes_are_serialized_while_polling(tmp_path):
    """Sizes seen by the trigger itself are what ``serialize()`` hands on (stable_size state)."""
    growing = tmp_path / "growing.csv"
    growing.write_text("12345")
    trigger = LandingZoneTrigger(
        files=[str(growing)],
        rules=[StableSizeRule()],
        poke_interval=0.05,
        deadline=datetime.now(UTC) + timedelta(seconds=0.3),
        previous_sizes={str(growing): 1},
    )

    async def grow_while_polling():
        gen = trigger.run()
        next_event = asyncio.create_task(gen.__anext__())
        with growing.open("a") as out:
            while not next_event.done():  # keeps growing faster than the trigger polls
                out.write("x")
                out.flush()
                await asyncio.sleep(0.01)
        event = await next_event
        await gen.aclose()
        return event.payload

    event = asyncio.run(grow_while_polling())
    assert event["status"] == "timeout"
    assert "since the previous poke" in event["message"]
    last_seen = event["report"]["sizes"][str(growing)]
    assert last_seen > 5
    assert trigger.serialize()[1]["previous_sizes"] == {str(growing): last_seen}


def test_first_look_waits_one_interval(tmp_path):
    """The sensor poked just before deferring: an immediate look would fake a 'stable' size."""
    landed = tmp_path / "a.csv"
    landed.write_text("abc")
    trigger = LandingZoneTrigger(
        files=[str(landed)], rules=["stable_size"], poke_interval=0.3, previous_sizes={str(landed): 3}
    )
    started = time.monotonic()
    assert first_event(trigger)["status"] == "success"
    assert time.monotonic() - started >= 0.3


def test_timeout_event_comes_at_the_deadline_with_names(tmp_path):
    missing = tmp_path / "missing.csv"
    trigger = LandingZoneTrigger(
        files=[str(missing)], poke_interval=60, deadline=datetime.now(UTC) + timedelta(seconds=0.2)
    )
    started = time.monotonic()
    event = first_event(trigger)
    assert time.monotonic() - started < 5, "a long poke_interval must not overshoot the deadline"
    assert event == {
        "status": "timeout",
        "message": f"{missing}: missing",
        "report": {"files": [str(missing)], "sizes": {}, "missing": [str(missing)], "incomplete": {}},
    }


def test_probe_errors_become_an_error_event(tmp_path, monkeypatch):
    async def broken(self, paths):
        raise PermissionError("Forbidden")

    monkeypatch.setattr("dataplatform.landing.probe.AsyncProber.probe", broken)
    trigger = LandingZoneTrigger(files=[str(tmp_path / "a")], poke_interval=0)
    assert first_event(trigger) == {
        "status": "error",
        "message": "PermissionError: Forbidden",
        "report": None,
    }
