"""``LandingZoneSensor``: wait until a whole set of landing files is there and complete.

``S3KeySensor`` waits for keys. This sensor waits for a *set* of files (S3 keys and local paths)
that must all exist and pass completeness rules (marker file, stable size, minimum size), and
when it gives up it says which files are missing and which are incomplete, and why::

    LandingZoneSensor(
        task_id="wait_for_billing",
        files=["s3://landing/billing/{{ ds }}/billing.csv", "s3://landing/billing/{{ ds }}/claims.csv"],
        rules=[MarkerRule(name="_SUCCESS"), MinSizeRule(1)],
        poke_interval=60,
        timeout=6 * 3600,
        deferrable=True,
    )

On success it returns (XCom ``return_value``) ``[{"path": ..., "size": ...}, ...]``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue, conf
from airflow.sdk.exceptions import (
    AirflowException,
    AirflowSensorTimeout,
    AirflowSkipException,
    AirflowTaskTimeout,
    TaskDeferralTimeout,
)

from dataplatform.conn_ids import AWS_CONN_ID
from dataplatform.landing.probe import make_s3_hook, normalise_files, probe_paths
from dataplatform.landing.rules import (
    CompletenessRule,
    LandingReport,
    RuleSpec,
    evaluate,
    needs_history,
    paths_to_probe,
    rules_from_spec,
)
from dataplatform.triggers.landing import LandingZoneTrigger
from dataplatform.uri import parse_location

#: Key in ``context["task_state_store"]`` holding the sizes seen by the last poke (reschedule mode).
SIZES_STATE_KEY = "landing_zone.previous_sizes"
#: Airflow's own trigger timeout is set this much later than the sensor timeout: the trigger
#: reports the timeout itself (naming the files); Airflow's timeout is only a backstop.
TRIGGER_TIMEOUT_GRACE = timedelta(seconds=60)


def _seconds(value: str | float | timedelta, field: str) -> float:
    if isinstance(value, timedelta):
        return value.total_seconds()
    try:
        seconds = float(value)
    except (TypeError, ValueError) as err:
        raise ValueError(f"LandingZoneSensor {field} must be a number of seconds, got {value!r}") from err
    if seconds < 0:
        raise ValueError(f"LandingZoneSensor {field} must not be negative, got {value!r}")
    return seconds


def _is_literal(files: Any) -> bool:
    """True for a string or list of strings without Jinja (so it can be checked at parse time)."""
    items = [files] if isinstance(files, str) else files
    if not isinstance(items, (list, tuple)) or not all(isinstance(f, str) for f in items):
        return False
    return not any("{{" in f or "{%" in f for f in items)


class LandingZoneSensor(BaseSensorOperator):
    """Wait until every file of a set exists and is complete.

    :param files: (templated) landing paths: ``s3://bucket/key``, ``/abs/path`` or
        ``file:///abs/path``. A list, or a string holding a JSON/Python list or paths separated
        by commas or whitespace (so ``"{{ dag_run.conf['files'] }}"`` works with or without
        ``render_template_as_native_obj``).
    :param rules: completeness rules every present file must pass (all of them): rule objects
        (:class:`~dataplatform.landing.MarkerRule`, :class:`~dataplatform.landing.StableSizeRule`,
        :class:`~dataplatform.landing.MinSizeRule`), their dict form or shorthands
        (``"stable_size"``, ``"marker:_SUCCESS"``, ``"min_size:1024"``). Default: ``min_size:1``.
    :param aws_conn_id: AWS connection for ``s3://`` paths.
    :param deferrable: wait in the triggerer instead of a worker slot. Default from
        ``[operators] default_deferrable``.
    :param poke_interval: seconds between pokes; may be a Jinja string (rendered per run).
    :param timeout: seconds before the sensor fails naming what is not ready; may be a Jinja
        string (e.g. ``"{{ dag_run.conf.get('timeout', 3600) }}"``).

    On timeout it raises ``AirflowSensorTimeout`` (no retry, like every Airflow sensor) with a
    message such as ``"... s3://landing/billing/2026-10/billing.csv: missing;
    s3://landing/insurance/2026-10/claims.csv: size 0 < min 1"``; with ``soft_fail`` it skips.
    """

    template_fields: Sequence[str] = ("files", "timeout_template", "poke_interval_template")
    ui_color = "#d9ead3"

    def __init__(
        self,
        *,
        files: str | Sequence[str],
        rules: RuleSpec | Sequence[RuleSpec] | None = None,
        aws_conn_id: str | None = AWS_CONN_ID,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poke_interval: str | float | timedelta = 60,
        timeout: str | float | timedelta | None = None,
        **kwargs: Any,
    ) -> None:
        # Jinja strings are rendered at run time; the base class gets its defaults meanwhile.
        self.timeout_template = timeout if isinstance(timeout, str) else None
        self.poke_interval_template = poke_interval if isinstance(poke_interval, str) else None
        super().__init__(
            poke_interval=60 if isinstance(poke_interval, str) else poke_interval,
            timeout=None if isinstance(timeout, str) else timeout,
            **kwargs,
        )
        if _is_literal(files):
            normalise_files(files)  # a bad literal path fails at DAG parse time, naming the path
        self.files = files
        self.rules: tuple[CompletenessRule, ...] = rules_from_spec(rules)
        self.aws_conn_id = aws_conn_id
        self.deferrable = deferrable
        self._previous_sizes: dict[str, int] | None = None
        self._last_report: LandingReport | None = None
        self._s3_hook: Any = None  # made at the first S3 poke, reused by later pokes

    # --- helpers -------------------------------------------------------------------------------

    def _apply_rendered_timing(self) -> None:
        if self.timeout_template not in (None, ""):
            self.timeout = _seconds(self.timeout_template, "timeout")
        if self.poke_interval_template not in (None, ""):
            self.poke_interval = _seconds(self.poke_interval_template, "poke_interval")

    @property
    def landing_files(self) -> list[str]:
        """The (rendered) files as a validated list of paths."""
        return normalise_files(self.files)

    def _state_store(self, context: Mapping[str, Any]) -> Any:
        if self.mode != "reschedule" or not needs_history(self.rules):
            return None
        return context.get("task_state_store")

    def _load_previous_sizes(self, context: Mapping[str, Any]) -> dict[str, int]:
        if self._previous_sizes is not None:
            return self._previous_sizes
        store = self._state_store(context)
        if store is not None:
            stored = store.get(SIZES_STATE_KEY) or {}
            if isinstance(stored, dict):
                return {str(k): int(v) for k, v in stored.items()}
        return {}

    def _save_sizes(self, context: Mapping[str, Any], sizes: dict[str, int], *, done: bool) -> None:
        self._previous_sizes = dict(sizes)
        store = self._state_store(context)
        if store is None:
            return
        if done:  # a later clear-and-rerun must observe the files afresh
            store.delete(SIZES_STATE_KEY)
        else:
            store.set(SIZES_STATE_KEY, dict(sizes))

    def check(self, context: Mapping[str, Any]) -> LandingReport:
        """Probe every file (and companion marker) once and judge the set."""
        files = self.landing_files
        previous = self._load_previous_sizes(context)
        paths = paths_to_probe(files, self.rules)
        if self._s3_hook is None and any(parse_location(p).scheme == "s3" for p in paths):
            self._s3_hook = make_s3_hook(self.aws_conn_id)
        stats = probe_paths(paths, aws_conn_id=self.aws_conn_id, s3_hook=self._s3_hook)
        report = evaluate(files, self.rules, stats, previous)
        if needs_history(self.rules):
            self._save_sizes(context, report.sizes, done=report.complete)
        self._last_report = report
        return report

    def timeout_message(self, report: LandingReport | None) -> str:
        head = f"LandingZoneSensor timed out after {self.timeout:g}s"
        if report is None:
            return f"{head} before any poke completed"
        return f"{head}; {report.summary()}"

    # --- poke / reschedule ---------------------------------------------------------------------

    def poke(self, context: Any) -> bool | PokeReturnValue:
        report = self.check(context)
        if report.complete:
            self.log.info("Landing zone complete: %s", report.summary())
            return PokeReturnValue(is_done=True, xcom_value=report.ready_files())
        self.log.info("Waiting: %s", report.summary())
        return False

    def execute(self, context: Any) -> Any:
        self._apply_rendered_timing()
        if self.deferrable:
            return self._execute_deferrable(context)
        try:
            return super().execute(context)
        except AirflowSensorTimeout as err:
            raise AirflowSensorTimeout(self.timeout_message(self._last_report)) from err
        except AirflowSkipException as err:
            if str(err).startswith("Sensor has timed out"):  # soft_fail timeout: keep the names
                raise AirflowSkipException(self.timeout_message(self._last_report)) from err
            raise
        except AirflowTaskTimeout as err:
            # execution_timeout hit a poke-mode sensor before its own timeout: say what was missing
            if self._last_report is None or self._last_report.complete:
                raise
            raise AirflowTaskTimeout(
                f"{err or 'execution_timeout reached'}; last poke: {self._last_report.summary()}"
            ) from err

    # --- deferrable ----------------------------------------------------------------------------

    def _execute_deferrable(self, context: Any) -> Any:
        report = self.check(context)
        if report.complete:
            self.log.info("Landing zone complete: %s", report.summary())
            return report.ready_files()
        self.log.info("Deferring: %s", report.summary())
        self.defer(
            trigger=LandingZoneTrigger(
                files=report.files,
                rules=[rule.to_dict() for rule in self.rules],
                aws_conn_id=self.aws_conn_id,
                poke_interval=self.poke_interval,
                deadline=datetime.now(UTC) + timedelta(seconds=self.timeout),
                previous_sizes=report.sizes,
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=self.timeout) + TRIGGER_TIMEOUT_GRACE,
        )

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> Any:
        """Resume after the trigger fired: return the files, or fail naming what is not ready."""
        self._apply_rendered_timing()
        event = event or {}
        status = event.get("status")
        report = LandingReport.from_dict(event["report"]) if event.get("report") else None
        if status == "success":
            self.log.info("Landing zone complete: %s", report.summary() if report else event.get("files"))
            return event.get("files")
        if status == "timeout":
            raise AirflowSensorTimeout(self.timeout_message(report))
        last = f"; last poke: {report.summary()}" if report is not None else ""
        raise AirflowException(f"LandingZoneTrigger failed: {event.get('message', event)}{last}")

    def resume_execution(self, next_method: str, next_kwargs: dict[str, Any] | None, context: Any) -> Any:
        try:
            return super().resume_execution(next_method, next_kwargs, context)
        except AirflowSensorTimeout as err:
            if not isinstance(err.__cause__, TaskDeferralTimeout):
                raise
            # Airflow's backstop trigger timeout fired (the triggerer did not report in time):
            # look once more so the failure still names the files.
            self._apply_rendered_timing()
            try:
                report: LandingReport | None = self.check(context)
            except Exception:
                self.log.exception("Could not probe the landing files after the trigger timeout")
                report = None
            raise AirflowSensorTimeout(self.timeout_message(report)) from err
