"""LandingZoneSensor with local files: poke, poke-mode timeout, reschedule state, deferral."""

from __future__ import annotations

import asyncio
import inspect
from datetime import timedelta
from types import SimpleNamespace
from typing import Any
from unittest.mock import MagicMock

import pytest
from airflow.sdk import DAG, PokeReturnValue, conf
from airflow.sdk.exceptions import (
    AirflowException,
    AirflowRescheduleException,
    AirflowSensorTimeout,
    AirflowSkipException,
    TaskDeferred,
)

from dataplatform.landing import MarkerRule, MinSizeRule, StableSizeRule
from dataplatform.sensors import LandingZoneSensor
from dataplatform.sensors.landing import SIZES_STATE_KEY, TRIGGER_TIMEOUT_GRACE
from dataplatform.triggers import LandingZoneTrigger


class FakeTaskStateStore:
    """Stands in for ``context["task_state_store"]`` (kept by the API server across reschedules)."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def set(self, key: str, value: Any) -> None:
        self.data[key] = value

    def delete(self, key: str) -> None:
        self.data.pop(key, None)


def make_context(conf_: dict | None = None, store: FakeTaskStateStore | None = None) -> dict[str, Any]:
    ti = MagicMock()
    ti.get_first_reschedule_date.return_value = None
    ctx: dict[str, Any] = {"ti": ti, "task_instance": ti, "dag_run": SimpleNamespace(conf=conf_ or {})}
    if store is not None:
        ctx["task_state_store"] = store
    return ctx


def run_trigger(trigger: LandingZoneTrigger, during=None) -> dict[str, Any]:
    """Run the trigger to its first event; ``during`` is an async callable run concurrently."""

    async def go():
        gen = trigger.run()
        tasks = [asyncio.create_task(during())] if during else []
        event = await asyncio.wait_for(gen.__anext__(), timeout=20)
        await gen.aclose()
        for t in tasks:
            await t
        return event.payload

    return asyncio.run(go())


@pytest.fixture
def landing(tmp_path):
    """Two landing paths in a temporary folder (not created)."""
    return tmp_path / "billing.csv", tmp_path / "claims.csv"


# --- construction -------------------------------------------------------------------------------


def test_defaults_follow_official_operators():
    sig = inspect.signature(LandingZoneSensor.__init__)
    assert sig.parameters["deferrable"].default == conf.getboolean(
        "operators", "default_deferrable", fallback=False
    )
    assert sig.parameters["aws_conn_id"].default == "aws_default"
    sensor = LandingZoneSensor(task_id="s", files=["/in/a.csv"])
    assert sensor.rules == (MinSizeRule(1),)
    assert "files" in sensor.template_fields


def test_bad_literal_path_fails_when_the_dag_is_parsed():
    with pytest.raises(ValueError, match="relative.csv: local files need an absolute path"):
        LandingZoneSensor(task_id="s", files=["/in/a.csv", "relative.csv"])
    # templated values are only checked once rendered
    LandingZoneSensor(task_id="t", files="{{ dag_run.conf['files'] }}")


# --- poke mode ----------------------------------------------------------------------------------


def test_poke_waits_until_every_file_is_there(landing):
    billing, claims = landing
    sensor = LandingZoneSensor(task_id="s", files=[str(billing), str(claims)])
    ctx = make_context()

    assert sensor.poke(ctx) is False
    assert sensor._last_report.message() == f"{billing}: missing; {claims}: missing"

    billing.write_text("id\n1\n")
    claims.touch()
    assert sensor.poke(ctx) is False
    assert sensor._last_report.message() == f"{claims}: size 0 < min 1"

    claims.write_text("id\n")
    done = sensor.poke(ctx)
    assert isinstance(done, PokeReturnValue) and done.is_done
    assert done.xcom_value == [{"path": str(billing), "size": 5}, {"path": str(claims), "size": 3}]


def test_execute_returns_files_with_sizes(landing):
    billing, claims = landing
    billing.write_text("abc")
    claims.write_text("abcd")
    sensor = LandingZoneSensor(task_id="s", files=[str(billing), f"file://{claims}"], poke_interval=0)
    assert sensor.execute(make_context()) == [
        {"path": str(billing), "size": 3},
        {"path": f"file://{claims}", "size": 4},
    ]


def test_poke_mode_timeout_names_each_missing_and_incomplete_file(landing):
    billing, claims = landing
    claims.touch()
    sensor = LandingZoneSensor(
        task_id="s", files=[str(billing), str(claims)], poke_interval=0.05, timeout=0.2
    )

    with pytest.raises(AirflowSensorTimeout) as err:
        sensor.execute(make_context())

    assert str(err.value) == (
        "LandingZoneSensor timed out after 0.2s; 2 of 2 files not ready (1 missing, 1 incomplete): "
        f"{billing}: missing; {claims}: size 0 < min 1"
    )


def test_soft_fail_timeout_skips_but_still_names_files(landing):
    billing, _ = landing
    sensor = LandingZoneSensor(
        task_id="s", files=[str(billing)], poke_interval=0.05, timeout=0.1, soft_fail=True
    )
    with pytest.raises(AirflowSkipException, match=f"{billing}: missing"):
        sensor.execute(make_context())


def test_marker_rule_in_poke_mode(landing):
    billing, _ = landing
    billing.write_text("data")
    sensor = LandingZoneSensor(task_id="s", files=[str(billing)], rules=[MarkerRule(name="_SUCCESS")])
    ctx = make_context()
    assert sensor.poke(ctx) is False
    assert sensor._last_report.message() == f"{billing}: marker {billing.parent}/_SUCCESS missing"
    (billing.parent / "_SUCCESS").touch()
    assert sensor.poke(ctx)


def test_stable_size_across_two_pokes_in_poke_mode(landing):
    billing, _ = landing
    billing.write_text("12345")
    sensor = LandingZoneSensor(task_id="s", files=[str(billing)], rules="stable_size")
    ctx = make_context()

    assert sensor.poke(ctx) is False  # first sight only records the size
    billing.write_text("1234567890")
    assert sensor.poke(ctx) is False
    assert sensor._last_report.message() == f"{billing}: size changed 5 -> 10 since the previous poke"
    assert sensor.poke(ctx)


# --- reschedule mode: sizes survive in the task state store -------------------------------------


def test_stable_size_survives_reschedules_through_the_task_state_store(landing):
    billing, _ = landing
    billing.write_text("12345")
    store = FakeTaskStateStore()

    def one_reschedule_try():
        # every reschedule is a new process: a fresh operator object, only the store persists
        sensor = LandingZoneSensor(
            task_id="s", files=[str(billing)], rules=[StableSizeRule()], mode="reschedule", timeout=3600
        )
        return sensor.execute(make_context(store=store))

    with pytest.raises(AirflowRescheduleException):
        one_reschedule_try()
    assert store.data == {SIZES_STATE_KEY: {str(billing): 5}}

    billing.write_text("1234567")
    with pytest.raises(AirflowRescheduleException):
        one_reschedule_try()
    assert store.data == {SIZES_STATE_KEY: {str(billing): 7}}

    assert one_reschedule_try() == [{"path": str(billing), "size": 7}]
    assert store.data == {}, "sizes are dropped on success so a cleared rerun observes afresh"


def test_store_is_not_touched_without_stable_size(landing):
    billing, _ = landing
    store = FakeTaskStateStore()
    sensor = LandingZoneSensor(task_id="s", files=[str(billing)], mode="reschedule", timeout=3600)
    with pytest.raises(AirflowRescheduleException):
        sensor.execute(make_context(store=store))
    assert store.data == {}


# --- templating ---------------------------------------------------------------------------------


def test_files_and_timing_render_from_dag_run_conf_with_native_rendering(landing):
    billing, claims = landing
    with DAG("d", schedule=None, render_template_as_native_obj=True):
        sensor = LandingZoneSensor(
            task_id="s",
            files="{{ dag_run.conf['files'] }}",
            timeout="{{ dag_run.conf.get('timeout', 600) }}",
            poke_interval="{{ dag_run.conf.get('poke_interval', 30) }}",
        )
    ctx = make_context({"files": [str(billing), str(claims)], "timeout": 5})
    sensor.render_template_fields(ctx)
    sensor._apply_rendered_timing()
    assert sensor.landing_files == [str(billing), str(claims)]
    assert (sensor.timeout, sensor.poke_interval) == (5.0, 30.0)


def test_files_render_without_native_rendering(landing):
    billing, claims = landing
    sensor = LandingZoneSensor(task_id="s", files="{{ dag_run.conf['files'] }}", timeout="{{ 7 }}")
    ctx = make_context({"files": [str(billing), str(claims)]})
    sensor.render_template_fields(ctx)
    sensor._apply_rendered_timing()
    assert sensor.landing_files == [str(billing), str(claims)]
    assert sensor.timeout == 7.0


def test_bad_rendered_timeout_is_named():
    sensor = LandingZoneSensor(task_id="s", files=["/in/a"], timeout="{{ 'soon' }}")
    sensor.render_template_fields(make_context())
    with pytest.raises(ValueError, match="timeout must be a number of seconds, got 'soon'"):
        sensor._apply_rendered_timing()


# --- deferrable ---------------------------------------------------------------------------------


def deferred(sensor: LandingZoneSensor, ctx: dict) -> TaskDeferred:
    with pytest.raises(TaskDeferred) as exc:
        sensor.execute(ctx)
    return exc.value


def test_deferrable_completes_without_deferring_when_ready(landing):
    billing, _ = landing
    billing.write_text("x")
    sensor = LandingZoneSensor(task_id="s", files=[str(billing)], deferrable=True)
    assert sensor.execute(make_context()) == [{"path": str(billing), "size": 1}]


def test_deferrable_defers_then_trigger_sees_the_file_arrive(landing):
    billing, claims = landing
    billing.write_text("abc")
    sensor = LandingZoneSensor(
        task_id="s", files=[str(billing), str(claims)], deferrable=True, poke_interval=0.05, timeout=30
    )
    ctx = make_context()
    defer = deferred(sensor, ctx)

    assert defer.method_name == "execute_complete"
    assert defer.timeout == timedelta(seconds=30) + TRIGGER_TIMEOUT_GRACE
    trigger = defer.trigger
    assert isinstance(trigger, LandingZoneTrigger)
    assert trigger.files == [str(billing), str(claims)]
    assert trigger.poke_interval == 0.05

    async def land_later():
        await asyncio.sleep(0.2)
        claims.write_text("abcdef")

    event = run_trigger(trigger, during=land_later)
    assert event["status"] == "success"
    result = sensor.resume_execution(defer.method_name, {"event": event}, ctx)
    assert result == [{"path": str(billing), "size": 3}, {"path": str(claims), "size": 6}]


def test_deferrable_timeout_event_names_missing_files(landing):
    billing, claims = landing
    claims.touch()
    sensor = LandingZoneSensor(
        task_id="s", files=[str(billing), str(claims)], deferrable=True, poke_interval=0.05, timeout=0.3
    )
    ctx = make_context()
    defer = deferred(sensor, ctx)
    event = run_trigger(defer.trigger)
    assert event["status"] == "timeout"
    assert event["message"] == f"{billing}: missing; {claims}: size 0 < min 1"

    with pytest.raises(AirflowSensorTimeout) as err:
        sensor.resume_execution(defer.method_name, {"event": event}, ctx)
    assert str(err.value) == (
        "LandingZoneSensor timed out after 0.3s; 2 of 2 files not ready (1 missing, 1 incomplete): "
        f"{billing}: missing; {claims}: size 0 < min 1"
    )


def test_airflow_trigger_timeout_backstop_still_names_files(landing):
    """If the triggerer never reports, Airflow fails the task via ``__fail__``: we look once more."""
    billing, _ = landing
    sensor = LandingZoneSensor(task_id="s", files=[str(billing)], deferrable=True, timeout=5)
    with pytest.raises(AirflowSensorTimeout, match=f"timed out after 5s; .*{billing}: missing"):
        sensor.resume_execution("__fail__", {"error": "Trigger timeout"}, make_context())


def test_soft_fail_applies_to_deferred_timeouts(landing):
    billing, _ = landing
    sensor = LandingZoneSensor(task_id="s", files=[str(billing)], deferrable=True, soft_fail=True)
    event = {"status": "timeout", "message": "x", "report": None}
    with pytest.raises(AirflowSkipException):
        sensor.resume_execution("execute_complete", {"event": event}, make_context())


def test_trigger_error_event_fails_the_try_so_it_can_retry(landing):
    billing, _ = landing
    sensor = LandingZoneSensor(task_id="s", files=[str(billing)], deferrable=True)
    event = {"status": "error", "message": "ClientError: Forbidden", "report": None}
    with pytest.raises(AirflowException, match="LandingZoneTrigger failed: ClientError: Forbidden") as err:
        sensor.resume_execution("execute_complete", {"event": event}, make_context())
    assert not isinstance(err.value, AirflowSensorTimeout)


def test_stable_size_carries_the_first_poke_into_the_trigger(landing):
    billing, _ = landing
    billing.write_text("12345")
    sensor = LandingZoneSensor(
        task_id="s",
        files=[str(billing)],
        rules=["stable_size"],
        deferrable=True,
        poke_interval=0.05,
        timeout=30,
    )
    trigger = deferred(sensor, make_context()).trigger
    assert trigger.previous_sizes == {str(billing): 5}
    assert trigger.serialize()[1]["previous_sizes"] == {str(billing): 5}

    event = run_trigger(trigger)  # unchanged at the trigger's first look: stable
    assert event["status"] == "success"
    assert event["files"] == [{"path": str(billing), "size": 5}]


def test_execution_timeout_in_poke_mode_names_what_was_missing(landing):
    """``execution_timeout`` (2 h in dataplatform defaults) can stop a poke-mode sensor first."""
    from airflow.sdk.exceptions import AirflowTaskTimeout
    from airflow.sdk.execution_time.timeout import timeout

    billing, _ = landing
    sensor = LandingZoneSensor(task_id="s", files=[str(billing)], poke_interval=0.05, timeout=60)
    with pytest.raises(AirflowTaskTimeout, match=f"last poke: .*{billing}: missing"), timeout(1):
        sensor.execute(make_context())
