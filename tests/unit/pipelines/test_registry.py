"""Step kinds are the modules of ``dataplatform.pipelines.kinds``; parsing imports no operator."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

from dataplatform.pipelines import kinds
from dataplatform.pipelines.kinds import kind_name, registry
from dataplatform.pipelines.spec import json_schema
from dataplatform.pipelines.step import Step

REPO = Path(__file__).parents[3]


def test_one_module_per_kind() -> None:
    modules = sorted(m.name for m in pkgutil.iter_modules(kinds.__path__))
    assert sorted(registry()) == ["command", "jar", "load", "python", "sql"] == modules
    for name, model in registry().items():
        assert issubclass(model, Step) and kind_name(model) == name


def test_schema_lists_every_kind() -> None:
    schema = json_schema()
    steps = schema["properties"]["steps"]
    assert steps["additionalProperties"] is False
    (step,) = steps["patternProperties"].values()
    assert sorted(step["discriminator"]["mapping"]) == sorted(registry())
    assert schema["additionalProperties"] is False


def test_parsing_imports_no_operator_or_heavy_module() -> None:
    code = (
        "import sys; from pathlib import Path;"
        "from dataplatform.pipelines.compiler import compile_spec;"
        "c = compile_spec(Path('dags/pipelines/billing_summary/billing_summary.yaml')); assert not c.errors;"
        "bad = [m for m in sys.modules if m.startswith(('airflow.providers', 'pandas', 'duckdb', 'psycopg', 'boto'))];"
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"
