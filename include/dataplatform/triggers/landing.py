"""``LandingZoneTrigger``: the asynchronous half of :class:`dataplatform.sensors.LandingZoneSensor`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from dataplatform.conn_ids import AWS_CONN_ID
from dataplatform.landing.probe import AsyncProber
from dataplatform.landing.rules import LandingReport, RuleSpec, evaluate, paths_to_probe, rules_from_spec

CLASSPATH = "dataplatform.triggers.landing.LandingZoneTrigger"


class LandingZoneTrigger(BaseTrigger):
    """Poll a set of landing files every ``poke_interval`` seconds until all are complete.

    It is started right after a poke of the sensor, so it waits one interval before its first
    look. Events (exactly one per run):

    - ``{"status": "success", "files": [{"path", "size"}, ...], "report": {...}}``
    - ``{"status": "timeout", "message": "<path>: missing; ...", "report": {...}}`` after a last
      look at ``deadline``: the trigger reports the timeout itself, naming every file that is not
      ready, before Airflow's own (later) trigger timeout would fail the task without names.
    - ``{"status": "error", "message": "...", "report": {...} | None}`` when probing raised.

    :param files: landing paths (``s3://bucket/key``, ``/abs/path``, ``file:///abs/path``).
    :param rules: completeness rules in dict form (``CompletenessRule.to_dict()``) or rule objects.
    :param aws_conn_id: connection for S3 paths.
    :param poke_interval: seconds between looks.
    :param deadline: aware datetime (or ISO string) after which the trigger reports a timeout.
    :param previous_sizes: sizes seen by the last poke (``stable_size`` compares with them). The
        trigger keeps them up to date as it polls and ``serialize()`` returns the latest ones.
    """

    def __init__(
        self,
        *,
        files: Sequence[str],
        rules: Sequence[RuleSpec] | None = None,
        aws_conn_id: str | None = AWS_CONN_ID,
        poke_interval: float = 60.0,
        deadline: datetime | str | None = None,
        previous_sizes: Mapping[str, int] | None = None,
    ) -> None:
        super().__init__()
        self.files = list(files)
        self.rules = rules_from_spec(list(rules) if rules is not None else None)
        self.aws_conn_id = aws_conn_id
        self.poke_interval = float(poke_interval)
        if isinstance(deadline, str):
            deadline = datetime.fromisoformat(deadline)
        if deadline is not None and deadline.tzinfo is None:
            raise ValueError("LandingZoneTrigger deadline must be timezone-aware")
        self.deadline = deadline
        self.previous_sizes = {k: int(v) for k, v in (previous_sizes or {}).items()}

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            CLASSPATH,
            {
                "files": list(self.files),
                "rules": [rule.to_dict() for rule in self.rules],
                "aws_conn_id": self.aws_conn_id,
                "poke_interval": self.poke_interval,
                "deadline": self.deadline,
                "previous_sizes": dict(self.previous_sizes),
            },
        )

    def _seconds_left(self) -> float | None:
        if self.deadline is None:
            return None
        return (self.deadline - datetime.now(UTC)).total_seconds()

    async def run(self) -> AsyncIterator[TriggerEvent]:
        paths = paths_to_probe(self.files, self.rules)
        report: LandingReport | None = None
        try:
            async with AsyncProber(self.aws_conn_id) as prober:
                while True:
                    left = self._seconds_left()
                    await asyncio.sleep(
                        self.poke_interval if left is None else max(0.0, min(self.poke_interval, left))
                    )
                    stats = await prober.probe(paths)
                    report = evaluate(self.files, self.rules, stats, self.previous_sizes)
                    self.previous_sizes = dict(report.sizes)
                    if report.complete:
                        self.log.info("Landing zone complete: %s", report.summary())
                        yield TriggerEvent(
                            {"status": "success", "files": report.ready_files(), "report": report.to_dict()}
                        )
                        return
                    left = self._seconds_left()
                    if left is not None and left <= 0:
                        self.log.info("Landing zone deadline reached: %s", report.summary())
                        yield TriggerEvent(
                            {"status": "timeout", "message": report.message(), "report": report.to_dict()}
                        )
                        return
                    self.log.info("Still waiting: %s", report.summary())
        except Exception as err:
            self.log.exception("Landing zone probe failed")
            yield TriggerEvent(
                {
                    "status": "error",
                    "message": f"{type(err).__name__}: {err}",
                    "report": report.to_dict() if report is not None else None,
                }
            )
