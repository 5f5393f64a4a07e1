"""``command``: an executable with args, env, working directory, timeout and allowed exit codes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from dataplatform.pipelines.step import FileRef, TaskStep

if TYPE_CHECKING:
    from dataplatform.pipelines.render import RenderContext


class ProcessStep(TaskStep):
    """What ``command`` and ``jar`` share: args, env, working directory, exit codes."""

    args: list[str] = Field(default_factory=list, description="arguments (Jinja-templated)")
    env: dict[str, str] = Field(
        default_factory=dict, description="environment variables added to the worker's (Jinja-templated)"
    )
    cwd: str | None = Field(
        None, description="working directory in the pipeline folder (default: the folder)"
    )
    allowed_exit_codes: list[int] = Field(
        default_factory=lambda: [0], min_length=1, description="exit codes that mean success"
    )

    def files(self) -> list[FileRef]:
        own = [FileRef(("cwd",), self.cwd, "working directory", directory=True)] if self.cwd else []
        return own + super().files()

    def argv(self, ctx: RenderContext) -> list[str]:
        """The command line, with pipeline-folder paths made absolute."""
        raise NotImplementedError

    def render(self, task_id: str, ctx: RenderContext) -> Any:
        from dataplatform.pipelines.operators import CommandOperator

        return CommandOperator(
            task_id=task_id,
            argv=self.argv(ctx),
            env=self.env,
            cwd=str(ctx.resolve(self.cwd or ".")),
            allowed_exit_codes=self.allowed_exit_codes,
            **ctx.task_kwargs(task_id, self),
        )


class CommandStep(ProcessStep):
    """Runs an executable (no shell). A name with a ``/`` is a file of the pipeline folder, a bare
    name a program on the worker's ``PATH``."""

    kind: Literal["command"]
    executable: str = Field(description="`scripts/x.sh` (in the pipeline folder) or a program on PATH")

    def files(self) -> list[FileRef]:
        own = (
            [FileRef(("executable",), self.executable, "executable", executable=True)]
            if "/" in self.executable
            else []
        )
        return own + super().files()

    def argv(self, ctx: RenderContext) -> list[str]:
        program = str(ctx.resolve(self.executable)) if "/" in self.executable else self.executable
        return [program, *self.args]

    def summary(self) -> str:
        return self.description or f"runs `{' '.join([self.executable, *self.args])}`"


KIND = CommandStep
