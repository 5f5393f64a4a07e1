"""``load``: a source contract of :mod:`dataplatform.sources`, loaded by the loading stack."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field, field_validator

from dataplatform.pipelines.errors import did_you_mean, one_of
from dataplatform.pipelines.step import SpecValueError, Step

if TYPE_CHECKING:
    from dataplatform.pipelines.render import RenderContext


class LoadStep(Step):
    """The loading stack's task group for the contract (``<step>.resolve`` ... ``<step>.cleanup``)."""

    kind: Literal["load"]
    source: str = Field(description="the contract's name in dataplatform.sources.CONTRACTS")
    period_date: str | None = Field(
        None, description="template of a date inside the period to load (default: the run's logical date)"
    )

    emits_assets: ClassVar[bool] = False  # its reconcile task emits the table's Asset

    @field_validator("source")
    @classmethod
    def _known_source(cls, value: str) -> str:
        from dataplatform.sources import CONTRACTS

        if value not in CONTRACTS:
            raise SpecValueError(
                f"unknown source `{value}`", did_you_mean(value, CONTRACTS) or one_of(CONTRACTS)
            )
        return value

    def summary(self) -> str:
        from dataplatform.sources import CONTRACTS

        return self.description or f"loads the {self.source} file into `{CONTRACTS[self.source].target}`"

    def render(self, task_id: str, ctx: RenderContext) -> Any:
        from dataplatform.loading.task_group import load_task_group
        from dataplatform.sources import CONTRACTS

        extra = {} if self.period_date is None else {"period_date": self.period_date}
        group = load_task_group(CONTRACTS[self.source], group_id=task_id, **extra)
        overrides = ctx.overrides(self)
        for task in group.iter_tasks():
            for attr, value in overrides.items():
                setattr(task, attr, value)
        return group


KIND = LoadStep
