"""``python``: a dotted callable with kwargs (and the step's config as ``config=``)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator

from dataplatform.pipelines.step import SpecValueError, TaskStep

if TYPE_CHECKING:
    from dataplatform.pipelines.render import RenderContext

#: ``package.module.function`` or ``package.module:function``.
CALLABLE_PATTERN = r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*[.:][A-Za-z_]\w*$"


class PythonStep(TaskStep):
    """Calls a function importable on the workers; imported only when the task runs."""

    kind: Literal["python"]
    callable: str = Field(description="`package.module.function`, importable on the workers")
    kwargs: dict[str, Any] = Field(default_factory=dict, description="keyword arguments (Jinja-templated)")

    @field_validator("callable")
    @classmethod
    def _dotted(cls, value: str) -> str:
        if not re.match(CALLABLE_PATTERN, value):
            raise SpecValueError(
                f"`{value}` is not a dotted path to a function",
                "e.g. `dataplatform.pipelines.tasks.require_reconciled`",
            )
        return value

    def summary(self) -> str:
        return self.description or f"calls `{self.callable}`"

    def render(self, task_id: str, ctx: RenderContext) -> Any:
        from airflow.providers.standard.operators.python import PythonOperator

        from dataplatform.pipelines.operators import call_by_path

        kwargs = dict(self.kwargs)
        if self.config:
            kwargs["config"] = ctx.config(self.config)
        return PythonOperator(
            task_id=task_id,
            python_callable=call_by_path,
            op_kwargs={"callable_path": self.callable, "kwargs": kwargs},
            **ctx.task_kwargs(task_id, self),
        )


KIND = PythonStep
