"""``jar``: ``java [jvm options] -jar <jar> [args]``, with env, working directory and exit codes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from dataplatform.pipelines.kinds.command import ProcessStep
from dataplatform.pipelines.step import FileRef

if TYPE_CHECKING:
    from dataplatform.pipelines.render import RenderContext


class JarStep(ProcessStep):
    """Runs a jar of the pipeline folder with the worker's ``java`` (or ``java:``)."""

    kind: Literal["jar"]
    jar: str = Field(description="the .jar file, in the pipeline folder")
    jvm_options: list[str] = Field(default_factory=list, description="options before -jar, e.g. -Xmx512m")
    java: str = Field("java", description="the java executable (default: `java` on PATH)")

    def files(self) -> list[FileRef]:
        return [FileRef(("jar",), self.jar, "jar"), *super().files()]

    def argv(self, ctx: RenderContext) -> list[str]:
        return [self.java, *self.jvm_options, "-jar", str(ctx.resolve(self.jar)), *self.args]

    def summary(self) -> str:
        return self.description or f"runs `{self.jar}`"


KIND = JarStep
