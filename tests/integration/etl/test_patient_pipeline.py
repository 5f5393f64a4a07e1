"""The patient ETL steps against the real warehouse Postgres (and moto S3), without the scheduler."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from airflow.sdk.exceptions import AirflowFailException

from dataplatform.etl.patients import pipeline, rules
from dataplatform.etl.patients.contract import PATIENTS
from dataplatform.etl.reconcile import ReconciliationError, check_target
from dataplatform.sample_data.patients import write_patients_csv

pytestmark = pytest.mark.integration

HEADER = "patient_id,name,birth_date,gender,admitted_at,ward,diagnosis_code,billed_amount"
DAY = "2026-11-20"
SELECT_PATIENTS = (
    "SELECT patient_id, name, birth_date, gender, admitted_at, ward, diagnosis_code, billed_amount "
    "FROM public.patients ORDER BY patient_id"
)


@pytest.fixture
def empty_tables(warehouse):
    pipeline.ensure_tables()
    warehouse.execute("TRUNCATE public.patients, public.patients_rejected")
    yield warehouse


def run_steps(source: str, run_id: str = "scheduled__1", try_number: int = 1, **kw):
    run = pipeline.RunInfo("patient_data_pipeline", run_id, try_number, DAY)
    staged = pipeline.validate(source, run, **kw)
    transformed = pipeline.transform(staged, run)
    loaded = pipeline.load(transformed, run)
    summary = pipeline.reconcile(staged, transformed, loaded)
    pipeline.cleanup(run.dag_id, run.run_id)
    return summary


def write(tmp_path, body: str, name="patients.csv", encoding="utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(body.encode(encoding))
    return str(path)


def test_clean_file_gives_exact_table_contents(empty_tables, tmp_path):
    source = write(
        tmp_path,
        "\ufeff" + HEADER + "\r\n"
        '1,"Smith, Jr.",1980-05-01,f,2026-01-02 08:00:00,icu,i10,100.5\r\n'
        "2,Robert'); DROP TABLE patients;--,,M,2026-01-03T09:30:00,er,E11.9,\r\n"
        '3,"Multi\nLine",1975-12-31,X,2026-01-04 10:00:00,,R07.9,0\r\n',
    )
    summary = run_steps(source)
    assert summary["rows_read"] == 3 and summary["inserted"] == 3 and summary["rejected"] == 0
    assert empty_tables.execute(SELECT_PATIENTS).fetchall() == [
        (
            1,
            "Smith, Jr.",
            dt.date(1980, 5, 1),
            "F",
            dt.datetime(2026, 1, 2, 8),
            "icu",
            "I10",
            Decimal("100.50"),
        ),
        (
            2,
            "Robert'); DROP TABLE patients;--",
            None,
            "M",
            dt.datetime(2026, 1, 3, 9, 30),
            "er",
            "E11.9",
            None,
        ),
        (
            3,
            "Multi\nLine",
            dt.date(1975, 12, 31),
            "X",
            dt.datetime(2026, 1, 4, 10),
            None,
            "R07.9",
            Decimal("0.00"),
        ),
    ]


def test_dirty_rows_are_quarantined_with_line_raw_reason_and_run(empty_tables, tmp_path):
    lines = [
        HEADER,
        "1,Ana,1990-01-01,F,2026-01-01 10:00:00,icu,I10,1.00",  # 2 good
        ",NoId,1990-01-01,F,2026-01-01 10:00:00,icu,I10,1.00",  # 3
        "x1,BadId,1990-01-01,F,2026-01-01 10:00:00,icu,I10,1.00",  # 4
        "5,BadDate,2023-02-30,F,2026-01-01 10:00:00,icu,I10,1.00",  # 5
        "6,Future,2030-01-01,F,2026-01-01 10:00:00,icu,I10,1.00",  # 6
        "7,Amount,1990-01-01,F,2026-01-01 10:00:00,icu,I10,abc",  # 7
        "8,Range,1990-01-01,F,2026-01-01 10:00:00,icu,I10,-1",  # 8
        "9,Short,1990-01-01",  # 9
        '10,Cut,1990-01-01,F,2026-01-01 10:00:00,icu,"I1',  # 10: truncated last line
    ]
    source = write(tmp_path, "\n".join(lines))
    with pytest.raises(AirflowFailException, match="8 of 9 rows rejected"):
        run_steps(source)  # 89 % rejected: over the 5 % threshold
    assert empty_tables.execute("SELECT count(*) FROM public.patients").fetchone()[0] == 0
    rejected = empty_tables.execute(
        "SELECT line_no, reason, raw_line, run_id, logical_date, source_file FROM public.patients_rejected ORDER BY line_no"
    ).fetchall()
    assert [(r[0], r[1]) for r in rejected] == [
        (3, rules.PATIENT_ID_EMPTY),
        (4, rules.PATIENT_ID_NOT_INT),
        (5, rules.BIRTH_DATE_INVALID),
        (6, rules.BIRTH_DATE_FUTURE),
        (7, rules.AMOUNT_NOT_NUMBER),
        (8, rules.AMOUNT_OUT_OF_RANGE),
        (9, "wrong number of fields"),
        (10, "truncated last line"),
    ]
    assert [r[2] for r in rejected] == lines[2:]
    assert {(r[3], r[4], r[5]) for r in rejected} == {("scheduled__1", dt.date(2026, 11, 20), source)}


def test_dirty_rows_under_threshold_load_the_rest(empty_tables, tmp_path):
    source = write(
        tmp_path,
        HEADER
        + "\n"
        + "".join(f"{i},P{i},1990-01-01,F,2026-01-01 10:00:00,icu,I10,1.00\n" for i in range(1, 40))
        + "40,Bad,1990-01-01,F,2026-01-01 10:00:00,icu,I10,lots\n",
    )
    summary = run_steps(source, max_reject_ratio=0.05)
    assert (summary["loaded"], summary["rejected"]) == (39, 1)


def test_duplicates_keep_latest_admission_and_are_counted(empty_tables, tmp_path):
    source = write(
        tmp_path,
        "\n".join(
            [
                HEADER,
                "1,Old,1990-01-01,F,2026-01-01 10:00:00,icu,I10,1.00",
                "1,Newest,1990-01-01,F,2026-03-01 10:00:00,er,I10,3.00",
                "1,Middle,1990-01-01,F,2026-02-01 10:00:00,icu,I10,2.00",
                "2,Only,1990-01-01,F,2026-01-01 10:00:00,icu,I10,1.00",
            ]
        )
        + "\n",
    )
    summary = run_steps(source)
    assert (summary["rows_read"], summary["loaded"], summary["superseded"]) == (4, 2, 2)
    assert empty_tables.execute("SELECT name FROM public.patients ORDER BY patient_id").fetchall() == [
        ("Newest",),
        ("Only",),
    ]


def test_rerun_of_same_date_leaves_everything_identical(empty_tables, tmp_path):
    generated = write_patients_csv(tmp_path / "p.csv", 3000, dirty=True, seed=7, today=dt.date(2026, 11, 20))
    first = run_steps(str(generated.path), run_id="scheduled__a")
    table = empty_tables.execute("SELECT *, xmin::text FROM public.patients ORDER BY patient_id").fetchall()
    rejected = empty_tables.execute(
        "SELECT line_no, reason, raw_line FROM public.patients_rejected ORDER BY line_no"
    ).fetchall()

    second = run_steps(str(generated.path), run_id="scheduled__a", try_number=2)

    assert first["inserted"] == first["loaded"] > 0
    assert (second["inserted"], second["updated"], second["unchanged"]) == (0, 0, first["loaded"])
    assert (
        empty_tables.execute("SELECT *, xmin::text FROM public.patients ORDER BY patient_id").fetchall()
        == table
    )
    assert (
        empty_tables.execute(
            "SELECT line_no, reason, raw_line FROM public.patients_rejected ORDER BY line_no"
        ).fetchall()
        == rejected
    )


def audited(conn) -> dict[int, tuple]:
    """patient_id -> (loaded_at, loaded_by_run, xmin)."""
    query = "SELECT patient_id, loaded_at, loaded_by_run, xmin::text FROM public.patients"
    return {r[0]: r[1:] for r in conn.execute(query).fetchall()}


def test_only_new_and_changed_rows_get_the_new_run_and_load_time(empty_tables, tmp_path):
    rows = [f"{i},P{i},1990-01-01,F,2026-01-01 10:00:00,icu,I10,1.00" for i in range(1, 5)]
    first = run_steps(write(tmp_path, "\n".join([HEADER, *rows]) + "\n"), run_id="scheduled__a")
    before = audited(empty_tables)
    rows[1] = rows[1].replace("P2", "P2 renamed")
    changed = write(
        tmp_path, "\n".join([HEADER, *rows, "5,P5,1990-01-01,F,2026-01-01 10:00:00,icu,I10,1.00"])
    )
    second = run_steps(changed, run_id="scheduled__b")

    assert (first["inserted"], first["updated"], first["unchanged"]) == (4, 0, 0)
    assert (second["inserted"], second["updated"], second["unchanged"]) == (1, 1, 3)
    after = audited(empty_tables)
    assert {k: v for k, v in after.items() if k in (1, 3, 4)} == {k: before[k] for k in (1, 3, 4)}
    assert after[2][1] == after[5][1] == "scheduled__b" and after[2][0] == after[5][0] > before[2][0]
    assert {v[1] for v in before.values()} == {"scheduled__a"}


def test_generated_dirty_file_counts_match_the_generator(empty_tables, tmp_path):
    generated = write_patients_csv(tmp_path / "p.csv", 20000, dirty=True, seed=3, today=dt.date(2026, 11, 20))
    summary = run_steps(str(generated.path))
    expected_reasons = {
        "null_id": rules.PATIENT_ID_EMPTY,
        "bad_id": rules.PATIENT_ID_NOT_INT,
        "impossible_date": rules.BIRTH_DATE_INVALID,
        "future_birth": rules.BIRTH_DATE_FUTURE,
        "bad_amount": rules.AMOUNT_NOT_NUMBER,
        "amount_range": rules.AMOUNT_OUT_OF_RANGE,
        "field_count": "wrong number of fields",
    }
    assert Counter(summary["reasons"]) == Counter(
        {expected_reasons[k]: n for k, n in generated.defects.items()}
    )
    assert summary["superseded"] == generated.duplicates
    assert summary["rows_read"] == generated.rows == 20000


def test_failure_mid_load_leaves_target_unchanged_and_retry_succeeds(empty_tables, tmp_path):
    source = write(
        tmp_path,
        HEADER
        + "\n"
        + "".join(f"{i},P{i},1990-01-01,F,2026-01-01 10:00:00,icu,I10,1.00\n" for i in range(1, 101)),
    )
    empty_tables.execute(
        "INSERT INTO public.patients (patient_id, name, admitted_at) VALUES (1, 'before', '2025-01-01')"
    )
    before = empty_tables.execute("SELECT *, xmin::text FROM public.patients").fetchall()
    # a real failure inside the load transaction: the 50th new row violates a check
    empty_tables.execute("CREATE SEQUENCE IF NOT EXISTS fail_once")
    empty_tables.execute("""
        CREATE OR REPLACE FUNCTION fail_on_50() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.patient_id = 50 AND nextval('fail_once') = 1 THEN RAISE EXCEPTION 'injected failure'; END IF;
        RETURN NEW; END $$;
        CREATE TRIGGER fail_on_50 BEFORE INSERT ON public.patients FOR EACH ROW EXECUTE FUNCTION fail_on_50();
    """)
    try:
        run = pipeline.RunInfo("patient_data_pipeline", "scheduled__f", 1, DAY)
        staged = pipeline.validate(source, run)
        transformed = pipeline.transform(staged, run)
        with pytest.raises(Exception, match="injected failure"):
            pipeline.load(transformed, run)
        assert empty_tables.execute("SELECT *, xmin::text FROM public.patients").fetchall() == before

        retry = pipeline.RunInfo("patient_data_pipeline", "scheduled__f", 2, DAY)
        staged = pipeline.validate(source, retry)
        transformed = pipeline.transform(staged, retry)
        loaded = pipeline.load(transformed, retry)
        pipeline.reconcile(staged, transformed, loaded)
        assert (loaded["inserted"], loaded["updated"]) == (99, 1)
    finally:
        empty_tables.execute("DROP TRIGGER IF EXISTS fail_on_50 ON public.patients; DROP SEQUENCE fail_once")


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"", "file is empty"),
        (HEADER.encode() + b"\n", "header but no data rows"),
        (b"patient_id,name\n1,Ana\n", "missing columns"),
        ((HEADER + ",extra\n").encode(), "unexpected columns ['extra']"),
        (
            HEADER.encode() + b"\n1,Jos\xe9,1990-01-01,F,2026-01-01 10:00:00,icu,I10,1\n",
            "line 2: not valid UTF-8",
        ),
    ],
)
def test_fatal_inputs_fail_before_anything_is_loaded(empty_tables, tmp_path, body, problem):
    path = tmp_path / "patients.csv"
    path.write_bytes(body)
    with pytest.raises(AirflowFailException) as err:
        run_steps(str(path))
    assert str(path) in str(err.value) and problem in str(err.value)
    assert empty_tables.execute("SELECT count(*) FROM public.patients").fetchone()[0] == 0
    assert empty_tables.execute("SELECT count(*) FROM public.patients_rejected").fetchone()[0] == 0


def test_missing_file_is_fatal_and_named(empty_tables, tmp_path):
    with pytest.raises(AirflowFailException, match=f"{tmp_path}/nope.csv: file not found"):
        run_steps(str(tmp_path / "nope.csv"))


def test_s3_source_streams_from_the_endpoint(empty_tables, s3_server, tmp_path):
    generated = write_patients_csv(tmp_path / "p.csv", 500, seed=11)
    s3_server.upload_file(str(generated.path), "landing", f"patients/{DAY}/patients.csv")
    summary = run_steps(f"s3://landing/patients/{DAY}/patients.csv")
    assert summary["loaded"] == 500


def test_missing_s3_object_is_fatal(empty_tables, s3_server):
    with pytest.raises(AirflowFailException, match="s3://landing/patients/none.csv: file not found"):
        run_steps("s3://landing/patients/none.csv")


def test_reconciliation_catches_a_target_that_differs(empty_tables, tmp_path):
    source = write(tmp_path, HEADER + "\n1,Ana,1990-01-01,F,2026-01-01 10:00:00,icu,I10,1.00\n")
    run = pipeline.RunInfo("patient_data_pipeline", "scheduled__r", 1, DAY)
    staged = pipeline.validate(source, run)
    transformed = pipeline.transform(staged, run)
    pipeline.load(transformed, run)
    empty_tables.execute("UPDATE public.patients SET name = 'tampered'")
    with pytest.raises(ReconciliationError, match="holds 0 of the 1 rows"):
        check_target(empty_tables, PATIENTS, transformed["final_table"], "public.patients", 1)


def test_cleanup_drops_every_staging_table_of_the_run(empty_tables, tmp_path):
    source = write(tmp_path, HEADER + "\n1,Ana,1990-01-01,F,2026-01-01 10:00:00,icu,I10,1.00\n")
    run_steps(source, run_id="scheduled__c")
    left = empty_tables.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'staging' AND tablename LIKE %s",
        (
            "%"
            + pipeline.RunInfo("patient_data_pipeline", "scheduled__c", 1, DAY).key.rsplit("_t", 1)[0]
            + "%",
        ),
    ).fetchall()
    assert left == []
