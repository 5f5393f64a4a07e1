"""The pipeline model (pydantic v2, unknown keys forbidden) and its JSON Schema.

``steps`` maps step ids to steps of any kind of :func:`~dataplatform.pipelines.kinds.registry`,
told apart by ``kind``. Errors are not raised from here: :mod:`dataplatform.pipelines.validate`
turns pydantic's into :class:`~dataplatform.pipelines.errors.SpecError` with positions.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, StringConstraints, Tag, create_model, field_validator

from dataplatform.pipelines.errors import did_you_mean
from dataplatform.pipelines.kinds import registry
from dataplatform.pipelines.step import STEP_ID_PATTERN, SpecModel, SpecValueError, Step

#: Airflow's schedule presets.
PRESETS = frozenset(
    {"@once", "@continuous", "@hourly", "@daily", "@weekly", "@monthly", "@quarterly", "@yearly", "@annually"}
)
PIPELINE_ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*$"
StepId = Annotated[str, StringConstraints(pattern=STEP_ID_PATTERN)]
Name = Annotated[str, StringConstraints(min_length=1)]
#: Tags of the union members of ``schedule`` and ``params`` values (dropped from error locations).
UNION_TAGS = frozenset({"cron", "assets", "spec", "value"})


class AssetSchedule(SpecModel):
    """Run when every listed Asset has been updated since the last run."""

    assets: list[Name] = Field(min_length=1, description="Asset names, e.g. warehouse.public.billing_claims")


class ParamSpec(SpecModel):
    """A run parameter with its JSON-schema checks (shown in the trigger form)."""

    default: Any = Field(description="the value when the run does not set it")
    description: str | None = None
    type: Literal["string", "integer", "number", "boolean", "array", "object", "null"] | list[str] | None = (
        None
    )
    enum: list[Any] | None = None
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None


def _cron_or_preset(value: str) -> str:
    if value.startswith("@"):
        if value not in PRESETS:
            raise SpecValueError(f"unknown schedule preset `{value}`", did_you_mean(value, PRESETS))
        return value
    from croniter import croniter  # light, and only when a cron is given

    if not croniter.is_valid(value):
        raise SpecValueError(f"`{value}` is not a cron expression", "five fields, e.g. `0 6 * * *`")
    return value


def _tag_schedule(value: Any) -> str:
    return "assets" if isinstance(value, dict) else "cron"


def _tag_param(value: Any) -> str:
    return "spec" if isinstance(value, dict) else "value"


Schedule = Annotated[
    Annotated[str, Tag("cron")] | Annotated[AssetSchedule, Tag("assets")],
    Discriminator(_tag_schedule),
]
ParamValue = Annotated[
    Annotated[ParamSpec, Tag("spec")] | Annotated[str | int | float | bool | list[Any] | None, Tag("value")],
    Discriminator(_tag_param),
]


class PipelineFields(SpecModel):
    """Every pipeline field but ``steps`` (see :func:`pipeline_model`)."""

    id: str = Field(pattern=PIPELINE_ID_PATTERN, description="the DAG id; the pipeline folder's name")
    description: str = Field(min_length=1, description="one line: what the pipeline feeds")
    owner: str = Field(min_length=1, description="the team or person answering its alerts")
    tags: list[Name] = Field(default_factory=list, description="UI tags (the owner is added)")
    schedule: Schedule | None = Field(
        None, description="a cron expression or preset, or {assets: [...]}; none: manual runs only"
    )
    start_date: dt.date = Field(dt.date(2026, 1, 1), description="first date scheduled (UTC)")
    catchup: bool = Field(False, description="create the runs missed since start_date")
    max_active_runs: int = Field(1, ge=1, description="runs at once")
    retries: int | None = Field(None, ge=0, description="retries of each task (platform default 3)")
    retry_delay_seconds: float | None = Field(None, gt=0, description="first retry delay (platform default)")
    retry_exponential_backoff: bool | float | None = Field(
        None, description="true (x2, the default), false, or the multiplier between retry delays"
    )
    timeout_minutes: float | None = Field(None, gt=0, description="execution timeout of each task try")
    alert_route: str | None = Field(None, min_length=1, description="route of [dataplatform] alert_routes")
    produces: list[Name] = Field(default_factory=list, description="Asset names the final step(s) emit")
    params: dict[str, ParamValue] = Field(
        default_factory=dict, description="run params: a default value, or {default, description, type, ...}"
    )

    @field_validator("schedule")
    @classmethod
    def _check_cron(cls, value: Any) -> Any:
        return _cron_or_preset(value) if isinstance(value, str) else value

    @field_validator("owner")
    @classmethod
    def _real_owner(cls, value: str) -> str:
        if value.strip().lower() == "airflow":
            raise SpecValueError("`airflow` is not an owner", "name the team or person answering alerts")
        return value


@functools.cache
def pipeline_model() -> type[PipelineFields]:
    """The full model: :class:`PipelineFields` plus ``steps`` of every registered kind."""
    kinds = tuple(Annotated[model, Tag(name)] for name, model in registry().items())
    step = Annotated[functools.reduce(lambda a, b: a | b, kinds), Discriminator("kind")]
    return create_model(
        "Pipeline",
        __base__=PipelineFields,
        __doc__="A sub-pipeline: one DAG compiled from one YAML file.",
        steps=(dict[StepId, step], Field(min_length=1, description="step id -> step; run in `after:` order")),
    )


def steps_of(pipeline: PipelineFields) -> dict[str, Step]:
    """The validated steps of a pipeline model instance."""
    return pipeline.steps  # type: ignore[attr-defined]


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a pipeline file (what ``python -m dataplatform.pipelines schema`` writes)."""
    schema = pipeline_model().model_json_schema()
    schema["properties"]["steps"]["additionalProperties"] = False  # step ids must match the pattern
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://dataplatform.local/pipeline.schema.json",
        **schema,
    }
