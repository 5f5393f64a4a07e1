"""A contract as Markdown, for the ``doc_md`` of the DAGs that load it (generated, never copied)."""

from __future__ import annotations

from dataplatform.loading.contract import SourceContract


def contract_doc(contract: SourceContract) -> str:
    """The file, its columns and rules, and where its rows go."""
    period = "YYYY-MM-DD" if contract.period == "day" else "YYYY-MM"
    rows = "\n".join(f"| `{c.name}` | {c.type.pg_type} | {c.describe()} |" for c in contract.columns)
    rules = "\n".join(f"- {r.describe()}: else *{r.reason}*" for r in contract.rules) or "- none"
    latest = ", ".join(f"`{c}`" for c in contract.latest_by)
    dedup = f"the greatest {latest} wins, then the later line" if latest else "the later line wins"
    if contract.partition_column:
        load = (
            f"replaces the {contract.period}'s rows of **`{contract.target}`** (`{contract.partition_column}` = "
            f"the {contract.period}'s first day) and never touches another {contract.period}'s"
        )
    else:
        load = f"merges into **`{contract.target}`** on `{', '.join(contract.key)}`: new rows inserted, changed rows updated, equal rows left alone"
    return f"""### Source `{contract.name}`

{contract.description}

**File**: `s3://<landing bucket>/{contract.landing_key.replace("{period}", "<" + period + ">")}`; UTF-8 (BOM
allowed), LF or CRLF, quoted fields may hold commas, quotes and newlines. Header, in this order:
`{",".join(contract.header)}`.

| column | type | accepts |
|---|---|---|
{rows}

**Row rules** (a broken rule is a rejected row, kept with its reason):
{rules}

**Key** `{", ".join(contract.key)}`; a key repeated in one file: {dedup}. The load {load}. Rejected
rows go to `{contract.quarantine}` with file, line, exact raw text, reason and run; more than
{contract.max_reject_ratio:.0%} rejected fails the run and loads nothing. The load emits the Asset
`{contract.asset_name}`.
"""
