"""What every step kind shares: ``kind``, ``after``, per-step overrides, files it references.

A kind is a subclass of :class:`Step` in its own module under ``dataplatform.pipelines.kinds``
(see that package). Models import only pydantic; :meth:`Step.render` imports operators when called.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

if TYPE_CHECKING:
    from dataplatform.pipelines.render import RenderContext

#: Step ids become task ids: a letter, then letters, digits and underscores.
STEP_ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*$"


class SpecValueError(ValueError):
    """A validator's error with a hint (read back from pydantic's error context)."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class SpecModel(BaseModel):
    """Base of every spec model: unknown keys are errors, numbers given for strings become strings."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, frozen=True)


@dataclass(frozen=True)
class FileRef:
    """A file (or folder) a step names: the key it is under, the path as written, and what it is."""

    key: tuple[str | int, ...]
    path: str
    what: str  # "sql file", "config file", "jar", "executable", "working directory"
    executable: bool = False
    directory: bool = False


class Step(SpecModel):
    """Fields of every step. ``after``: the steps that must succeed first; overrides replace the
    pipeline's values for this step's tasks."""

    #: The kind's name as written in ``kind:`` (set by each subclass's ``kind`` Literal).
    kind: str
    description: str | None = Field(None, description="what the step does (shown in the DAG's docs)")
    after: list[str] = Field(default_factory=list, description="ids of the steps that must succeed first")
    retries: int | None = Field(None, ge=0, description="retries of this step (default: the pipeline's)")
    retry_delay_seconds: float | None = Field(None, gt=0, description="first retry delay of this step")
    retry_exponential_backoff: bool | float | None = Field(
        None, description="true (x2), false, or the multiplier between retry delays"
    )
    timeout_minutes: float | None = Field(None, gt=0, description="execution timeout of each try")

    #: Whether a step of this kind can carry ``produces`` (a task with outlets).
    emits_assets: ClassVar[bool] = True

    @field_validator("after", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    def files(self) -> list[FileRef]:
        """Files this step references (checked to exist inside the pipeline folder)."""
        return []

    def config_file(self) -> str | None:
        """The config file whose parsed content is handed to the step, if any."""
        return None

    def summary(self) -> str:
        """One line for the DAG's docs."""
        return self.description or ""

    def render(self, task_id: str, ctx: RenderContext) -> Any:
        """The step's operator or task group, inside the DAG being built."""
        raise NotImplementedError


class TaskStep(Step):
    """A step that is one task: it may read a config file and emit Assets."""

    config: str | None = Field(
        None,
        description="JSON, XML or YAML file (in the pipeline folder), loaded at parse time;"
        " its content is `params.config` in templates",
    )
    produces: list[str] = Field(default_factory=list, description="Asset names this step emits")

    def files(self) -> list[FileRef]:
        return [FileRef(("config",), self.config, "config file")] if self.config else []

    def config_file(self) -> str | None:
        return self.config
