"""``dataplatform-audit``: who triggered, cleared, paused, marked, deleted or was refused what.

Reads Airflow's event log through the REST API (``GET /api/v2/eventLogs``) with an Admin
connection and prints a table, or one JSON object per line with ``--json``. Exit status: 0 on
success, 1 when the event log could not be read (the message says why), 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TextIO

from dataplatform.audit.events import ACTIONS
from dataplatform.audit.timespec import TimeSpecError, parse_time
from dataplatform.conn_ids import AIRFLOW_API_CONN_ID

PROG = "dataplatform-audit"
DEFAULT_SINCE = "24h"

EPILOG = f"""\
actions: trigger, clear (a run or task instances), pause, unpause, mark (a run or task
instance set to a state: success, failed, ...), delete (a run or DAG), refused (a 401/403
answer of the public API, written by the dataplatform plugin). Any other event is shown with
Airflow's raw event name as its action; --action also accepts such a raw name (e.g. patch_dag).

The connection (--conn-id, an http connection: host, port, login, password) must log in as an
Admin user: only Admins may read the event log. It is read from AIRFLOW_CONN_<ID> or the secrets
backend, not from the metadata database.

examples:
  {PROG} --since 7d --user operator
  {PROG} --since 2026-12-01T00:00:00Z --until 2026-12-02 --dag patient_data_pipeline
  {PROG} --action refused --json | jq -r '[.when, .user, .detail] | @tsv'
  {PROG} --since 24h --json --conn-id audit_admin >> audit-$(date +%F).jsonl
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Show Airflow's audit trail: who did what, when, to which DAG, run or task.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--since",
        default=DEFAULT_SINCE,
        help=f"events at or after this: a duration back from now (30m, 24h, 7d, 2w) or an ISO time "
        f"(default {DEFAULT_SINCE})",
    )
    parser.add_argument(
        "--until", help="events strictly before this (same forms as --since; default: no end)"
    )
    parser.add_argument("--user", help="only events of this user (exact; 'anonymous' for refusals)")
    parser.add_argument("--dag", dest="dag_id", help="only events of this DAG id (exact)")
    parser.add_argument(
        "--action",
        action="append",
        default=[],
        metavar="ACTION",
        help=f"only these actions (repeatable): {', '.join(ACTIONS)}, or a raw Airflow event name",
    )
    parser.add_argument(
        "--conn-id",
        default=AIRFLOW_API_CONN_ID,
        help=f"Airflow connection of the REST API; must be an Admin user (default {AIRFLOW_API_CONN_ID})",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per line (for jq or a SIEM)")
    return parser


def parse_args(argv: Sequence[str] | None = None, now: datetime | None = None) -> argparse.Namespace:
    """Parsed options with ``since`` / ``until`` as datetimes and ``actions`` checked.

    Exits with status 2 and a message naming the option on a bad value.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    now = now or datetime.now(UTC)
    try:
        args.since = parse_time(args.since, now, option="--since") if args.since else None
        args.until = parse_time(args.until, now, option="--until") if args.until else None
    except TimeSpecError as err:
        parser.error(str(err))
    if args.since and args.until and args.since >= args.until:
        parser.error(f"--since ({args.since.isoformat()}) must be before --until ({args.until.isoformat()})")
    bad = [a for a in args.action if not _is_event_name(a)]
    if bad:
        parser.error(f"--action {bad[0]!r}: expected one of {', '.join(ACTIONS)} or a raw event name")
    args.actions = tuple(dict.fromkeys(args.action))
    return args


def _is_event_name(value: str) -> bool:
    """A normalised action, or something shaped like Airflow's raw names (``patch_dag``)."""
    return value in ACTIONS or ("_" in value and value.replace("_", "").isalnum() and value.islower())


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Entry point of ``dataplatform-audit``; returns the exit status."""
    out, err = out or sys.stdout, err or sys.stderr
    args = parse_args(argv)

    from dataplatform.audit.query import AuditQuery, AuditReadError, read_events
    from dataplatform.audit.render import json_lines, table

    query = AuditQuery(args.since, args.until, args.user, args.dag_id, args.actions)
    try:
        events = list(read_events(query, args.conn_id))
    except AuditReadError as error:
        print(f"{PROG}: error: {error}", file=err)
        return 1
    for line in (json_lines if args.json else table)(events):
        print(line, file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
