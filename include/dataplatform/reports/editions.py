"""Report editions and their deliveries: what was built, what was sent, and never twice.

Each build of a report for a period is an *edition* (``reports.editions``: the run, a SHA-256 of
its content, its headline figures and the loads it was built from), written in the transaction
that writes the report's tables. Each channel (email, Slack) that carried an edition gets one row
in ``reports.deliveries``. :func:`deliver_once` sends an edition on a channel at most once: a
retried or cleared send task finds the row and does nothing. A later edition of the same period
whose predecessor was delivered is a *re-issue* (:attr:`Delivery.issue` > 1).

Sends hold a lock on the edition's row, so two tries at once (a killed try's orphaned process and
its retry) cannot both send. The one gap: a crash after the SMTP server took the message and
before the delivery row commits sends it again on retry; the message's ``Message-ID`` is stable
per edition and channel (:func:`message_id`), so mail clients show it once.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import dict_row

from dataplatform.reports.formatting import utc_minute

DDL = """
CREATE SCHEMA IF NOT EXISTS reports;
CREATE TABLE IF NOT EXISTS reports.editions (
    id             bigserial PRIMARY KEY,
    report         text NOT NULL,
    period_start   date NOT NULL,
    dag_id         text NOT NULL,
    run_id         text NOT NULL,
    try_number     integer NOT NULL,
    content_sha256 text NOT NULL,
    figures        jsonb NOT NULL,
    sources        jsonb NOT NULL DEFAULT '{}',
    built_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS editions_report_period ON reports.editions (report, period_start, id);
CREATE TABLE IF NOT EXISTS reports.deliveries (
    edition_id   bigint NOT NULL REFERENCES reports.editions (id),
    channel      text NOT NULL,
    issue        integer NOT NULL,
    recipients   text NOT NULL,
    message_id   text NOT NULL,
    sent_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (edition_id, channel)
);
COMMENT ON TABLE reports.editions IS 'Each build of a report for a period (dataplatform.reports.editions).';
COMMENT ON TABLE reports.deliveries IS 'Each channel that carried a report edition: one row, so never sent twice.';
"""


@dataclass(frozen=True)
class Edition:
    """One build of a report for a period."""

    id: int
    report: str
    period_start: dt.date
    run_id: str
    content_sha256: str
    figures: dict[str, Any]
    built_at: dt.datetime


@dataclass(frozen=True)
class Delivery:
    """An edition sent on a channel. ``issue`` counts the period's editions delivered there (1 = first)."""

    edition_id: int
    channel: str
    issue: int
    recipients: str
    message_id: str
    sent_at: dt.datetime


@dataclass(frozen=True)
class Outgoing:
    """What a sender is told: the edition, its issue number, and the delivery it replaces (if any)."""

    edition: Edition
    issue: int
    replaces: Delivery | None
    message_id: str

    @property
    def number(self) -> int:
        return self.issue

    @property
    def reissue(self) -> bool:
        return self.issue > 1

    @property
    def replaces_sent_at(self) -> str | None:
        """When the delivery this one replaces went out (``2026-12-01 02:14 UTC``)."""
        return utc_minute(self.replaces.sent_at) if self.replaces else None


def ensure_tables(conn: psycopg.Connection) -> None:
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('dataplatform.ddl.report_editions'))")
    conn.execute(DDL)


def new_edition(
    conn: psycopg.Connection,
    *,
    report: str,
    period_start: dt.date,
    dag_id: str,
    run_id: str,
    try_number: int,
    content_sha256: str,
    figures: Mapping[str, Any],
    sources: Mapping[str, Any] | None = None,
) -> Edition:
    """Record a build (in the caller's transaction, with the report's tables)."""
    row = (
        conn.cursor(row_factory=dict_row)
        .execute(
            """
        INSERT INTO reports.editions (report, period_start, dag_id, run_id, try_number, content_sha256, figures, sources)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING *
        """,
            (
                report,
                period_start,
                dag_id,
                run_id,
                try_number,
                content_sha256,
                json.dumps(figures, default=str),
                json.dumps(sources or {}, default=str),
            ),
        )
        .fetchone()
    )
    return _edition(row)


def get_edition(conn: psycopg.Connection, edition_id: int, *, lock: bool = False) -> Edition:
    query = "SELECT * FROM reports.editions WHERE id = %s" + (" FOR UPDATE" if lock else "")
    row = conn.cursor(row_factory=dict_row).execute(query, (edition_id,)).fetchone()
    if row is None:
        raise LookupError(f"report edition {edition_id} not found in reports.editions")
    return _edition(row)


def delivery_of(conn: psycopg.Connection, edition_id: int, channel: str) -> Delivery | None:
    row = (
        conn.cursor(row_factory=dict_row)
        .execute(
            "SELECT * FROM reports.deliveries WHERE edition_id = %s AND channel = %s", (edition_id, channel)
        )
        .fetchone()
    )
    return Delivery(**row) if row else None


def last_delivery(conn: psycopg.Connection, edition: Edition, channel: str) -> Delivery | None:
    """The latest delivery on ``channel`` of an earlier edition of the same report and period."""
    row = (
        conn.cursor(row_factory=dict_row)
        .execute(
            """
        SELECT d.* FROM reports.deliveries d JOIN reports.editions e ON e.id = d.edition_id
        WHERE e.report = %s AND e.period_start = %s AND d.channel = %s AND e.id < %s
        ORDER BY d.issue DESC LIMIT 1
        """,
            (edition.report, edition.period_start, channel, edition.id),
        )
        .fetchone()
    )
    return Delivery(**row) if row else None


def message_id(edition: Edition, channel: str, domain: str = "dataplatform") -> str:
    """A stable ``Message-ID`` of this edition on this channel."""
    return f"<{edition.report}.{edition.period_start:%Y%m%d}.e{edition.id}.{channel}@{domain}>"


def upcoming(conn: psycopg.Connection, edition: Edition, channel: str) -> Outgoing:
    """What sending ``edition`` on ``channel`` now would be: its issue number and what it replaces."""
    previous = last_delivery(conn, edition, channel)
    return Outgoing(
        edition=edition,
        issue=(previous.issue + 1) if previous else 1,
        replaces=previous,
        message_id=message_id(edition, channel),
    )


def deliver_once(
    conn: psycopg.Connection,
    edition_id: int,
    channel: str,
    send: Callable[[Outgoing], str],
) -> tuple[Delivery, bool]:
    """Send edition ``edition_id`` on ``channel`` unless it was: ``send(outgoing)`` does the
    sending and returns the recipients (text). Returns ``(delivery, sent_now)``. ``conn`` must be
    in a transaction; the delivery row commits with it."""
    edition = get_edition(conn, edition_id, lock=True)
    if (done := delivery_of(conn, edition_id, channel)) is not None:
        return done, False
    outgoing = upcoming(conn, edition, channel)
    recipients = send(outgoing)
    row = (
        conn.cursor(row_factory=dict_row)
        .execute(
            "INSERT INTO reports.deliveries (edition_id, channel, issue, recipients, message_id) "
            "VALUES (%s, %s, %s, %s, %s) RETURNING *",
            (edition_id, channel, outgoing.issue, recipients, outgoing.message_id),
        )
        .fetchone()
    )
    return Delivery(**row), True


def _edition(row: Mapping[str, Any]) -> Edition:
    return Edition(
        id=row["id"],
        report=row["report"],
        period_start=row["period_start"],
        run_id=row["run_id"],
        content_sha256=row["content_sha256"],
        figures=row["figures"],
        built_at=row["built_at"],
    )
