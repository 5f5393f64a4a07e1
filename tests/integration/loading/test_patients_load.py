"""The patients load on the real warehouse (and S3): every guarantee of the patient ETL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from airflow.sdk.exceptions import AirflowFailException

from dataplatform.loading import steps
from dataplatform.sources.patients import PATIENTS
from devstack.samples.patients import DEFECTS, write_patients_csv
from tests.support.loads import drop_tables, load_run, quarantined, run_steps, table
from tests.support.patient_rows import HEADER, SELECT_PATIENTS, TRICKY_LINES, TRICKY_ROWS, good

pytestmark = pytest.mark.integration

DAY = "2026-11-20"


@pytest.fixture
def wh(warehouse):
    drop_tables(warehouse)
    return warehouse


def write(tmp_path, body: bytes | str, name="patients.csv") -> str:
    path = tmp_path / name
    path.write_bytes(body.encode() if isinstance(body, str) else body)
    return str(path)


def test_clean_file_gives_exact_table_contents(wh, tmp_path):
    lines = [
        *TRICKY_LINES,
        '3,"Multi\r\nLine",1975-12-31,X,2026-01-04 10:00:00,,R07.9,0',
        " 4 ,  Padded  , 1970-01-01 ,m, 2026-01-05 10:00:00 ,   ,e11, +.5 ",
    ]
    source = write(tmp_path, "\ufeff" + "\r\n".join([HEADER, *lines]) + "\r\n")  # BOM, CRLF
    summary = run_steps(PATIENTS, source, load_run(PATIENTS, DAY))
    assert (summary["rows_read"], summary["inserted"], summary["rejected"]) == (4, 4, 0)
    assert wh.execute(SELECT_PATIENTS).fetchall() == [
        *TRICKY_ROWS,
        (
            3,
            "Multi\r\nLine",
            dt.date(1975, 12, 31),
            "X",
            dt.datetime(2026, 1, 4, 10),
            None,
            "R07.9",
            Decimal("0.00"),
        ),
        (
            4,
            "  Padded  ",
            dt.date(1970, 1, 1),
            "M",
            dt.datetime(2026, 1, 5, 10),
            "   ",
            "E11",
            Decimal("0.50"),
        ),
    ]


def test_dirty_rows_are_quarantined_with_line_raw_reason_and_run(wh, tmp_path):
    lines = [
        HEADER,
        good(1),  # 2
        ",NoId,1990-01-01,F,2026-01-01 10:00:00,icu,I10,1.00",  # 3
        "x1,BadId,1990-01-01,F,2026-01-01 10:00:00,icu,I10,1.00",  # 4
        "5,BadDate,2023-02-30,F,2026-01-01 10:00:00,icu,I10,1.00",  # 5
        '6,"Quoted\nfuture",2030-01-01,F,2026-01-01 10:00:00,icu,I10,1.00',  # 6-7
        "7,Amount,1990-01-01,F,2026-01-01 10:00:00,icu,I10,abc",  # 8
        "8,Range,1990-01-01,F,2026-01-01 10:00:00,icu,I10,-1",  # 9
        "9,Short,1990-01-01",  # 10
        "10,Nul\x00,1990-01-01,F,2026-01-01 10:00:00,icu,I10,1.00",  # 11
        "11,Huge,1990-01-01,F,2026-01-01 10:00:00,icu,I10,99999999999",  # 12
        '12,Cut,1990-01-01,F,2026-01-01 10:00:00,icu,"I1',  # 13: truncated last line
    ]
    source = write(tmp_path, "\n".join(lines))
    with pytest.raises(AirflowFailException, match="10 of 11 rows rejected"):
        run_steps(PATIENTS, source, load_run(PATIENTS, DAY))  # over the 5 % threshold
    assert wh.execute(
        "SELECT to_regclass('public.patients') IS NULL OR NOT EXISTS (SELECT FROM public.patients)"
    ).fetchone()[0]
    assert quarantined(wh, PATIENTS) == [
        (3, "patient_id is empty", lines[2]),
        (4, "patient_id is not an integer", lines[3]),
        (5, "birth_date is not a valid date", lines[4]),
        (6, "birth_date is in the future", lines[5]),
        (8, "billed_amount is not a number", lines[6]),
        (9, "billed_amount is out of range (0 to 9999999999.99, 2 decimals)", lines[7]),
        (10, "wrong number of fields", lines[8]),
        (
            11,
            "name contains a NUL byte (0x00), which PostgreSQL text cannot store",
            lines[9].replace("\x00", "\\x00"),
        ),
        (12, "billed_amount is out of range (0 to 9999999999.99, 2 decimals)", lines[10]),
        (13, "truncated last line", lines[11]),
    ]
    meta = wh.execute(
        f"SELECT DISTINCT run_id, logical_date, source_file FROM {PATIENTS.quarantine}"
    ).fetchall()
    assert meta == [("scheduled__1", dt.date(2026, 11, 20), source)]
    assert wh.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'staging'").fetchone()[0] == 0


def test_dirty_rows_under_threshold_load_the_rest(wh, tmp_path):
    source = write(
        tmp_path,
        "\n".join(
            [HEADER, *(good(i) for i in range(1, 40)), "40,Bad,1990-01-01,F,2026-01-01 10:00:00,icu,I10,lots"]
        ),
    )
    summary = run_steps(PATIENTS, source, load_run(PATIENTS, DAY), max_reject_ratio=0.05)
    assert (summary["loaded"], summary["rejected"], summary["reasons"]) == (
        39,
        1,
        {"billed_amount is not a number": 1},
    )


def test_duplicates_keep_the_latest_admission_and_are_counted(wh, tmp_path):
    rows = [
        "1,Old,1990-01-01,F,2026-01-01 10:00:00,icu,I10,1.00",
        "1,Newest,1990-01-01,F,2026-03-01 10:00:00,er,I10,3.00",
        "1,Middle,1990-01-01,F,2026-02-01 10:00:00,icu,I10,2.00",
        '2,"Quoted, same time",1990-01-01,F,2026-01-01 10:00:00,icu,I10,1.00',
        "2,Later line wins,1990-01-01,F,2026-01-01 10:00:00,icu,I10,1.00",
        " 02 ,Padded key is key 2 too,1990-01-01,F,2025-01-01 10:00:00,icu,I10,1.00",
    ]
    summary = run_steps(PATIENTS, write(tmp_path, "\n".join([HEADER, *rows]) + "\n"), load_run(PATIENTS, DAY))
    assert (summary["rows_read"], summary["loaded"], summary["superseded"]) == (6, 2, 4)
    assert wh.execute("SELECT name FROM public.patients ORDER BY patient_id").fetchall() == [
        ("Newest",),
        ("Later line wins",),
    ]


def test_rerun_of_an_unchanged_file_rewrites_nothing(wh, tmp_path):
    generated = write_patients_csv(tmp_path / "p.csv", 3000, dirty=True, seed=7, today=dt.date(2026, 11, 20))
    first = run_steps(PATIENTS, str(generated.path), load_run(PATIENTS, DAY, "scheduled__a"))
    before, rejected = table(wh, "public.patients"), quarantined(wh, PATIENTS)

    again = run_steps(PATIENTS, str(generated.path), load_run(PATIENTS, DAY, "scheduled__a", try_number=2))
    forced = run_steps(
        PATIENTS, str(generated.path), load_run(PATIENTS, DAY, "scheduled__a", try_number=3), force=True
    )

    assert first["inserted"] == first["loaded"] > 0 and not first["skipped"]
    assert again["skipped"] and (again["inserted"], again["updated"], again["unchanged"]) == (
        0,
        0,
        first["loaded"],
    )
    assert not forced["skipped"] and (forced["inserted"], forced["updated"], forced["unchanged"]) == (
        0,
        0,
        first["loaded"],
    )
    assert table(wh, "public.patients") == before  # same rows, same xmin: nothing rewritten
    assert quarantined(wh, PATIENTS) == rejected
    statuses = wh.execute("SELECT status FROM dataplatform.loads ORDER BY id").fetchall()
    assert statuses == [("reconciled",), ("skipped",), ("reconciled",)]


def test_a_changed_table_is_not_skipped(wh, tmp_path):
    source = write(tmp_path, "\n".join([HEADER, good(1), good(2)]))
    run_steps(PATIENTS, source, load_run(PATIENTS, DAY))
    wh.execute("DELETE FROM public.patients WHERE patient_id = 2")  # someone deleted a row
    again = run_steps(PATIENTS, source, load_run(PATIENTS, DAY, try_number=2))
    assert not again["skipped"] and again["inserted"] == 1


def test_only_new_and_changed_rows_get_the_new_run_and_load_time(wh, tmp_path):
    rows = [good(i) for i in range(1, 5)]
    run_steps(
        PATIENTS,
        write(tmp_path, "\n".join([HEADER, *rows]), "a.csv"),
        load_run(PATIENTS, DAY, "scheduled__a"),
    )
    before = {
        r[0]: r[1:]
        for r in wh.execute("SELECT patient_id, loaded_at, loaded_by_run, xmin::text FROM public.patients")
    }
    rows[1] = good(2, "P2 renamed")
    second = run_steps(
        PATIENTS,
        write(tmp_path, "\n".join([HEADER, *rows, good(5)]), "b.csv"),
        load_run(PATIENTS, "2026-11-21", "scheduled__b"),
    )
    assert (second["inserted"], second["updated"], second["unchanged"]) == (1, 1, 3)
    after = {
        r[0]: r[1:]
        for r in wh.execute("SELECT patient_id, loaded_at, loaded_by_run, xmin::text FROM public.patients")
    }
    assert {k: after[k] for k in (1, 3, 4)} == {k: before[k] for k in (1, 3, 4)}
    assert after[2][1] == after[5][1] == "scheduled__b" and after[2][0] == after[5][0] > before[2][0]


def test_generated_dirty_file_counts_match_the_generator(wh, tmp_path):
    generated = write_patients_csv(tmp_path / "p.csv", 20000, dirty=True, seed=3, today=dt.date(2026, 11, 20))
    summary = run_steps(PATIENTS, str(generated.path), load_run(PATIENTS, DAY))
    assert summary["reasons"] == dict(generated.expected_reasons(DEFECTS))
    assert summary["superseded"] == generated.duplicates
    assert summary["rows_read"] == generated.rows == 20000


def test_failure_mid_merge_leaves_the_target_unchanged_and_the_retry_loads(wh, tmp_path):
    source = write(tmp_path, "\n".join([HEADER, *(good(i) for i in range(1, 101))]))
    run_steps(
        PATIENTS,
        write(tmp_path, "\n".join([HEADER, good(1, "before")]), "first.csv"),
        load_run(PATIENTS, "2026-11-19"),
    )
    before = table(wh, "public.patients")
    wh.execute("""
        CREATE SEQUENCE fail_once;
        CREATE FUNCTION fail_on_50() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.patient_id = 50 AND nextval('fail_once') = 1 THEN RAISE EXCEPTION 'injected failure'; END IF;
        RETURN NEW; END $$;
        CREATE TRIGGER fail_on_50 BEFORE INSERT ON public.patients FOR EACH ROW EXECUTE FUNCTION fail_on_50();
    """)
    try:
        run = load_run(PATIENTS, DAY, "scheduled__f")
        validated = steps.validate(PATIENTS, source, run)
        deduplicated = steps.deduplicate(PATIENTS, validated)
        with pytest.raises(AirflowFailException, match="injected failure"):
            steps.load(PATIENTS, validated, deduplicated)
        assert table(wh, "public.patients") == before
        loaded = steps.load(PATIENTS, validated, deduplicated)  # the retry
        steps.reconcile_load(PATIENTS, validated, deduplicated, loaded)
        assert (loaded["inserted"], loaded["updated"]) == (99, 1)
    finally:
        wh.execute(
            "DROP TRIGGER fail_on_50 ON public.patients; DROP FUNCTION fail_on_50(); DROP SEQUENCE fail_once"
        )


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"", "file is empty"),
        (HEADER.encode() + b"\n", "file has a header but no data rows"),
        (HEADER.encode() + b"\n\n\n", "file has a header but no data rows"),
        (b"patient_id,name\n1,Ana\n", "line 1: bad header: missing columns"),
        ((HEADER + ",extra\n").encode(), "unexpected columns ['extra']"),
        (
            HEADER.encode()
            + b"\n"
            + good(1).encode()
            + b"\n2,Jos\xe9,1990-01-01,F,2026-01-01 10:00:00,icu,I10,1\n",
            "line 3: not valid UTF-8 (byte 0xe9 at column 6)",
        ),
        (
            HEADER.encode() + b'\n1,"Jos\xe9",1990-01-01,F,2026-01-01 10:00:00,icu,I10,1\n',
            "line 2: not valid UTF-8 (byte 0xe9 at column 7)",
        ),
        (
            HEADER.encode() + b"\n1,a\rb,1990-01-01,F,2026-01-01 10:00:00,icu,I10,1\n",
            "line 2: bare carriage return",
        ),
        (HEADER.encode() + b"\n" + b"1," + b"x" * (3 << 20) + b"\n", "line too long"),
    ],
)
def test_fatal_inputs_fail_naming_file_and_line_and_load_nothing(wh, tmp_path, body, problem):
    path = write(tmp_path, body)
    with pytest.raises(AirflowFailException) as err:
        run_steps(PATIENTS, path, load_run(PATIENTS, DAY))
    assert path in str(err.value) and problem in str(err.value)
    assert wh.execute("SELECT count(*) FROM public.patients").fetchone()[0] == 0
    assert wh.execute("SELECT count(*) FROM public.patients_rejected").fetchone()[0] == 0
    assert wh.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'staging'").fetchone()[0] == 0


def test_missing_file_is_fatal_and_named(wh, tmp_path):
    with pytest.raises(AirflowFailException, match=f"{tmp_path}/nope.csv: file not found"):
        run_steps(PATIENTS, str(tmp_path / "nope.csv"), load_run(PATIENTS, DAY))


def test_s3_source_streams_from_the_endpoint(wh, s3_server, tmp_path):
    generated = write_patients_csv(tmp_path / "p.csv", 500, seed=11, today=dt.date(2026, 11, 20))
    s3_server.upload_file(str(generated.path), "landing", f"patients/{DAY}/patients.csv")
    summary = run_steps(PATIENTS, f"s3://landing/patients/{DAY}/patients.csv", load_run(PATIENTS, DAY))
    assert summary["loaded"] == 500


def test_missing_s3_object_is_fatal(wh, s3_server):
    with pytest.raises(AirflowFailException, match="s3://landing/patients/none.csv: file not found"):
        run_steps(PATIENTS, "s3://landing/patients/none.csv", load_run(PATIENTS, DAY))


def test_reconciliation_catches_a_row_overwritten_after_the_load(wh, tmp_path):
    run = load_run(PATIENTS, DAY)
    validated = steps.validate(PATIENTS, write(tmp_path, "\n".join([HEADER, good(1), good(2)])), run)
    deduplicated = steps.deduplicate(PATIENTS, validated)
    loaded = steps.load(PATIENTS, validated, deduplicated)
    wh.execute("UPDATE public.patients SET name = 'tampered', loaded_at = now() WHERE patient_id = 1")
    with pytest.raises(AirflowFailException, match=r"public.patients holds 1 rows written by load \d+"):
        steps.reconcile_load(PATIENTS, validated, deduplicated, loaded)


def test_cleanup_drops_every_staging_table_of_the_run_and_only_those(wh, tmp_path):
    source = write(tmp_path, "\n".join([HEADER, good(1)]))
    steps.validate(PATIENTS, source, load_run(PATIENTS, DAY, "scheduled__other"))
    run_steps(PATIENTS, source, load_run(PATIENTS, DAY, "scheduled__c"), force=True)
    left = [r[0] for r in wh.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'staging'")]
    assert len(left) == 2 and all(t.startswith("patients_") for t in left)  # the other run's rows and dups
