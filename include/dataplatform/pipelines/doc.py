"""Each pipeline DAG's ``doc_md``, generated from its spec."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dataplatform.pipelines.spec import AssetSchedule, ParamSpec, steps_of

if TYPE_CHECKING:
    from dataplatform.pipelines.compiler import Compiled


def doc_md(compiled: Compiled) -> str:
    """Title, description, schedule, owner, steps (kind, after, what), params, produced Assets."""
    from dataplatform.loading.docs import contract_doc
    from dataplatform.sources import CONTRACTS

    pipeline = compiled.pipeline
    assert pipeline is not None
    steps = steps_of(pipeline)
    if isinstance(pipeline.schedule, AssetSchedule):
        schedule = "when these Assets are updated: " + ", ".join(f"`{a}`" for a in pipeline.schedule.assets)
    else:
        schedule = f"`{pipeline.schedule}`" if pipeline.schedule else "manual runs only"
    lines = [
        f"# {pipeline.id}",
        "",
        pipeline.description,
        "",
        f"- **owner**: {pipeline.owner}"
        + (f" (alerts: `{pipeline.alert_route}`)" if pipeline.alert_route else ""),
        f"- **schedule**: {schedule}",
        f"- **spec**: `{compiled.spec_file.parent.name}/{compiled.spec_file.name}`"
        " (compiled by `dataplatform.pipelines`; edit the YAML, not the DAG)",
    ]
    if pipeline.produces:
        lines.append("- **produces**: " + ", ".join(f"`{a}`" for a in pipeline.produces))
    lines += ["", "| step | kind | after | what |", "|---|---|---|---|"]
    for step_id, step in steps.items():
        after = ", ".join(f"`{a}`" for a in step.after) or "—"
        lines.append(f"| `{step_id}` | {step.kind} | {after} | {step.summary()} |")
    if pipeline.params:
        lines += ["", "Params:", ""]
        for name, value in pipeline.params.items():
            if isinstance(value, ParamSpec):
                lines.append(
                    f"- `{name}` (default `{value.default}`): {value.description or ''}".rstrip(": ")
                )
            else:
                lines.append(f"- `{name}` (default `{value}`)")
    sources = dict.fromkeys(s.source for s in steps.values() if s.kind == "load")  # type: ignore[attr-defined]
    lines += ["", *(contract_doc(CONTRACTS[s]) for s in sources)]
    return "\n".join(lines).rstrip() + "\n"
