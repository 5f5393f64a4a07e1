"""A checked pipeline -> an ``airflow.sdk.DAG`` with the platform's defaults, steps wired by ``after:``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dataplatform.pipelines.compiler import Compiled
from dataplatform.pipelines.doc import doc_md
from dataplatform.pipelines.spec import AssetSchedule, ParamSpec, PipelineFields, steps_of
from dataplatform.pipelines.step import Step

#: Multiplier used for ``retry_exponential_backoff: true`` (the platform default's).
BACKOFF_TRUE = 2.0


@dataclass
class RenderContext:
    """What a step kind's :meth:`~dataplatform.pipelines.step.Step.render` may use."""

    compiled: Compiled
    leaves: frozenset[str]

    @property
    def pipeline(self) -> PipelineFields:
        assert self.compiled.pipeline is not None
        return self.compiled.pipeline

    def resolve(self, relative: str) -> Path:
        """A path of the pipeline folder, absolute (checked to stay inside it)."""
        return (self.compiled.folder / relative).resolve()

    def read_text(self, relative: str) -> str:
        """A file of the pipeline folder (a sql file)."""
        return self.resolve(relative).read_text(encoding="utf-8")

    def config(self, relative: str) -> Any:
        """A config file's parsed content (parsed when checked)."""
        return self.compiled.configs[relative]

    def overrides(self, step: Step) -> dict[str, Any]:
        """Task attributes the step overrides (retries, delay, backoff, timeout)."""
        return task_overrides(step)

    def task_kwargs(self, task_id: str, step: Step) -> dict[str, Any]:
        """Operator kwargs every one-task step passes: overrides, docs, outlets, config params."""
        from airflow.sdk import Asset

        kwargs = self.overrides(step)
        kwargs["doc_md"] = step.summary() or None
        produced = list(getattr(step, "produces", []))
        if task_id in self.leaves:
            produced += self.pipeline.produces
        if produced:
            kwargs["outlets"] = [Asset(name=n) for n in dict.fromkeys(produced)]
        config = step.config_file()
        if config:
            kwargs["params"] = {"config": self.config(config)}
        return kwargs


def task_overrides(fields: Step | PipelineFields) -> dict[str, Any]:
    """``retries``, ``retry_delay``, ``retry_exponential_backoff``, ``execution_timeout`` set in ``fields``."""
    out: dict[str, Any] = {}
    if fields.retries is not None:
        out["retries"] = fields.retries
    if fields.retry_delay_seconds is not None:
        out["retry_delay"] = dt.timedelta(seconds=fields.retry_delay_seconds)
    backoff = fields.retry_exponential_backoff
    if backoff is not None:
        out["retry_exponential_backoff"] = (
            (BACKOFF_TRUE if backoff else 0) if isinstance(backoff, bool) else backoff
        )
    if fields.timeout_minutes is not None:
        out["execution_timeout"] = dt.timedelta(minutes=fields.timeout_minutes)
    return out


def render(compiled: Compiled, *, dag_file: Path) -> Any:
    """The DAG of a checked pipeline; its ``fileloc`` is ``dag_file`` (the stub Airflow parsed)."""
    import pendulum
    from airflow.sdk import DAG, Param

    from dataplatform.defaults import dag_callbacks, default_args
    from dataplatform.loading.task_group import load_params
    from dataplatform.sources import CONTRACTS

    pipeline = compiled.pipeline
    assert pipeline is not None, "render() needs a pipeline without errors"
    steps = steps_of(pipeline)
    contracts = [CONTRACTS[s.source] for s in steps.values() if s.kind == "load"]  # type: ignore[attr-defined]
    params: dict[str, Any] = dict(load_params(*contracts)) if contracts else {}
    for name, value in pipeline.params.items():
        params[name] = _param(Param, value)
    args = default_args(pipeline.owner, **task_overrides(pipeline))
    if pipeline.alert_route:
        args["alert_route"] = pipeline.alert_route
    start = pipeline.start_date
    with DAG(
        dag_id=pipeline.id,
        description=pipeline.description,
        schedule=_schedule(pipeline),
        start_date=pendulum.datetime(start.year, start.month, start.day, tz="UTC"),
        catchup=pipeline.catchup,
        max_active_runs=pipeline.max_active_runs,
        tags=list(dict.fromkeys([*pipeline.tags, pipeline.owner])),
        doc_md=doc_md(compiled),
        default_args=args,
        params=params,
        **dag_callbacks(),
    ) as dag:
        leaves = frozenset(s for s in steps if not any(s in other.after for other in steps.values()))
        ctx = RenderContext(compiled, leaves)
        built = {step_id: step.render(step_id, ctx) for step_id, step in steps.items()}
        for step_id, step in steps.items():
            for upstream in step.after:
                built[upstream] >> built[step_id]
    dag.fileloc = str(dag_file)
    return dag


def _schedule(pipeline: PipelineFields) -> Any:
    if isinstance(pipeline.schedule, AssetSchedule):
        from airflow.sdk import Asset

        return [Asset(name=n) for n in pipeline.schedule.assets]
    return pipeline.schedule


def _param(param_cls: Any, value: Any) -> Any:
    if isinstance(value, ParamSpec):
        extra = value.model_dump(exclude={"default"}, exclude_none=True)
        return param_cls(value.default, **extra)
    return param_cls(value)
