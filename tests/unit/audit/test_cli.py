"""``dataplatform-audit``: argument handling, output and errors (no API: ``read_events`` faked)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from dataplatform.audit import cli, query
from dataplatform.audit.events import AuditEvent
from dataplatform.audit.query import AuditAccessError, AuditQuery

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
EVENT = AuditEvent(
    when=NOW - timedelta(minutes=5), user="operator", action="pause", event="patch_dag", dag_id="e2e_echo"
)


def test_defaults() -> None:
    args = cli.parse_args([], now=NOW)
    assert args.since == NOW - timedelta(hours=24)
    assert (args.until, args.user, args.dag_id, args.actions) == (None, None, None, ())
    assert args.conn_id == "airflow_api" and args.json is False


def test_every_option() -> None:
    argv = ["--since", "7d", "--until", "2026-12-02T11:00:00Z", "--user", "operator", "--dag", "d"]
    argv += ["--action", "trigger", "--action", "refused", "--action", "trigger", "--action", "patch_dag"]
    argv += ["--conn-id", "audit_admin", "--json"]
    args = cli.parse_args(argv, now=NOW)
    assert args.since == NOW - timedelta(days=7)
    assert args.until == datetime(2026, 12, 2, 11, tzinfo=UTC)
    assert (args.user, args.dag_id, args.conn_id, args.json) == ("operator", "d", "audit_admin", True)
    assert args.actions == ("trigger", "refused", "patch_dag")  # deduplicated, order kept


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--since", "yesterday"], "--since 'yesterday': expected a duration"),
        (["--until", "soon"], "--until 'soon': expected a duration"),
        (["--since", "1h", "--until", "2h"], "must be before --until"),
        (["--action", "trigerr"], "--action 'trigerr': expected one of trigger, clear"),
        (["--action", "Trigger_Dag"], "--action 'Trigger_Dag'"),
        (["--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_bad_arguments_exit_2_naming_what_was_wrong(argv, message, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.parse_args(argv, now=NOW)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_help_says_the_connection_must_be_an_admin(capsys) -> None:
    with pytest.raises(SystemExit):
        cli.parse_args(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "must be an Admin user" in text
    assert "--since 7d --user operator" in text and "--json" in text


@pytest.fixture
def fake_read(monkeypatch):
    calls: list[tuple[AuditQuery, str]] = []

    def read(q: AuditQuery, conn_id: str):
        calls.append((q, conn_id))
        return [EVENT]

    monkeypatch.setattr(query, "read_events", read)
    return calls


def test_main_passes_the_query_and_prints_json_lines(fake_read) -> None:
    out = io.StringIO()
    argv = ["--since", "2026-12-01", "--user", "operator", "--action", "pause", "--conn-id", "a", "--json"]
    assert cli.main(argv, out=out) == 0
    [(q, conn_id)] = fake_read
    assert conn_id == "a"
    assert q == AuditQuery(datetime(2026, 12, 1, tzinfo=UTC), None, "operator", None, ("pause",))
    [line] = out.getvalue().splitlines()
    assert json.loads(line)["action"] == "pause"


def test_main_prints_a_table_by_default(fake_read) -> None:
    out = io.StringIO()
    assert cli.main([], out=out) == 0
    header, row = out.getvalue().splitlines()
    assert header.startswith("WHEN (UTC)") and "operator" in row and "pause" in row


def test_main_reports_read_errors_and_exits_1(monkeypatch) -> None:
    def refuse(q, conn_id):
        raise AuditAccessError(f"connection {conn_id!r} logs in as 'viewer', who may not read the event log")

    monkeypatch.setattr(query, "read_events", refuse)
    out, err = io.StringIO(), io.StringIO()
    assert cli.main(["--conn-id", "v"], out=out, err=err) == 1
    assert err.getvalue() == (
        "dataplatform-audit: error: connection 'v' logs in as 'viewer', who may not read the event log\n"
    )
    assert out.getvalue() == ""
