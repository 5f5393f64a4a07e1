"""``sql``: statements (a file or inline) run on a connection, templated with params and dates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from dataplatform.conn_ids import WAREHOUSE_CONN_ID
from dataplatform.pipelines.step import FileRef, SpecValueError, TaskStep

if TYPE_CHECKING:
    from dataplatform.pipelines.render import RenderContext


class SqlStep(TaskStep):
    """Runs SQL with common-sql's ``SQLExecuteQueryOperator``, in one transaction."""

    kind: Literal["sql"]
    sql: str | None = Field(None, description="the statements, inline (Jinja-templated)")
    file: str | None = Field(None, description="a .sql file in the pipeline folder (Jinja-templated)")
    conn_id: str = Field(WAREHOUSE_CONN_ID, description="the Airflow connection to run on")
    split_statements: bool = Field(True, description="run each statement of the text in turn")

    @model_validator(mode="after")
    def _one_source(self) -> SqlStep:
        if (self.sql is None) == (self.file is None):
            raise SpecValueError(
                "a sql step needs exactly one of `sql` (inline) or `file`",
                "e.g. `file: build.sql`",
            )
        return self

    def files(self) -> list[FileRef]:
        own = [FileRef(("file",), self.file, "sql file")] if self.file else []
        return own + super().files()

    def summary(self) -> str:
        what = f"`{self.file}`" if self.file else "inline SQL"
        return self.description or f"{what} on `{self.conn_id}`"

    def render(self, task_id: str, ctx: RenderContext) -> Any:
        from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

        text = ctx.read_text(self.file) if self.file else self.sql
        return SQLExecuteQueryOperator(
            task_id=task_id,
            conn_id=self.conn_id,
            sql=text,
            split_statements=self.split_statements,
            autocommit=False,
            **ctx.task_kwargs(task_id, self),
        )


KIND = SqlStep
