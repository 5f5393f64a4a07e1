"""Editions and deliveries on the real warehouse: once per channel, issues counted, concurrent tries."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest

from dataplatform.hooks.warehouse import WarehouseHook
from dataplatform.reports import editions

pytestmark = pytest.mark.integration

DAY = dt.date(2026, 11, 30)


@pytest.fixture
def edition_ids(warehouse):
    warehouse.execute("DROP SCHEMA IF EXISTS reports CASCADE")

    def new(run_id: str) -> int:
        with WarehouseHook().transaction() as conn:
            editions.ensure_tables(conn)
            return editions.new_edition(
                conn,
                report="daily",
                period_start=DAY,
                dag_id="d",
                run_id=run_id,
                try_number=1,
                content_sha256="abc",
                figures={"day": DAY.isoformat()},
            ).id

    return new


def deliver(edition_id: int, channel: str, sent: list, pause: float = 0.0):
    def send(outgoing: editions.Outgoing) -> str:
        time.sleep(pause)
        sent.append((outgoing.edition.id, channel, outgoing.issue, outgoing.replaces))
        return "to@x.example"

    with WarehouseHook().transaction() as conn:
        return editions.deliver_once(conn, edition_id, channel, send)


def test_each_channel_gets_an_edition_once(edition_ids):
    first = edition_ids("r1")
    sent: list = []
    delivery, now = deliver(first, "email", sent)
    again, later = deliver(first, "email", sent)
    slack, _ = deliver(first, "slack", sent)
    assert (now, later) == (True, False) and again == delivery
    assert [(c, i) for _, c, i, _ in sent] == [("email", 1), ("slack", 1)]
    assert delivery.message_id == f"<daily.20261130.e{first}.email@dataplatform>"


def test_a_later_edition_is_a_reissue_replacing_the_last_delivery(edition_ids):
    sent: list = []
    first, second, third = edition_ids("r1"), edition_ids("r2"), edition_ids("r3")
    d1, _ = deliver(first, "email", sent)
    d3, _ = deliver(third, "email", sent)  # r2 was never sent: r3 is issue 2
    assert (d1.issue, d3.issue) == (1, 2)
    assert sent[1][3] == d1
    d2, _ = deliver(second, "email", sent)
    assert d2.issue == 2 and sent[2][3] == d1  # an older edition sent late replaces what came before it


def test_two_tries_at_once_send_once(edition_ids):
    """A killed try's orphaned process and its retry: the second waits for the first's lock."""
    edition = edition_ids("r1")
    sent: list = []
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(deliver(edition, "email", sent, pause=0.5)))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(sent) == 1
    assert sorted(now for _, now in results) == [False, True]
