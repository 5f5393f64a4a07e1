"""The daily report as an email (HTML + text) and a Slack summary, from an edition's facts."""

from __future__ import annotations

from typing import Any

from dataplatform.notifications.slack import SlackMessage
from dataplatform.reports import formatting
from dataplatform.reports.editions import Outgoing
from dataplatform.reports.html import render
from dataplatform.reports.slack import summary_message


def late_tables(facts: dict[str, Any]) -> list[str]:
    return [f["target"] for f in facts["freshness"] if f["status"] != "fresh"]


def subject(facts: dict[str, Any], issue: Outgoing) -> str:
    """``Daily report 2026-12-01: 14 runs, 1 failed, 1 table late``."""
    t = facts["totals"]
    late = late_tables(facts)
    text = f"Daily report {facts['day']}: {t['runs']} runs, {t['failed']} failed"
    if late:
        text += f", {len(late)} table{'s' if len(late) != 1 else ''} late"
    return f"{text}, re-issue {issue.number}" if issue.reissue else text


def render_email(
    facts: dict[str, Any], *, edition_id: int, issue: Outgoing, api_url: str
) -> tuple[str, str, str]:
    """(subject, html, text)."""
    fresh = sum(1 for f in facts["freshness"] if f["status"] == "fresh")
    context = {
        "title": f"Daily report {facts['day']}",
        "f": facts,
        "t": facts["totals"],
        "late": late_tables(facts),
        "fresh": fresh,
        "rows_loaded": sum(x["rows_loaded"] for x in facts["loads"]),
        "rows_rejected": sum(x["rows_rejected"] for x in facts["loads"]),
        "issue": issue,
        "edition_id": edition_id,
        "api_url": api_url,
    }
    return subject(facts, issue), render("daily.html.j2", **context), render("daily.txt.j2", **context)


def slack_summary(facts: dict[str, Any], issue: Outgoing) -> SlackMessage:
    t = facts["totals"]
    late = late_tables(facts)
    loaded = sum(x["rows_loaded"] for x in facts["loads"])
    rejected = sum(x["rows_rejected"] for x in facts["loads"])
    lines = [
        f"• `{x['dag_id']}.{x['task_id']}` <{x['log_url']}|log of try {x['try_number']}>"
        for x in facts["failed_tasks"][:10]
    ]
    headline = f"Daily report {facts['day']}" + (f" (re-issue {issue.number})" if issue.reissue else "")
    return summary_message(
        headline,
        [
            ("DAG runs", f"{t['runs']} ({t['success']} ok, {t['failed']} failed)"),
            ("Failed task tries", str(t["failed_tasks"])),
            ("Rows loaded", f"{formatting.integer(loaded)} ({formatting.integer(rejected)} rejected)"),
            ("Freshness", f"{len(late)} late: {', '.join(late)}" if late else "all tables fresh"),
        ],
        lines=lines,
    )
