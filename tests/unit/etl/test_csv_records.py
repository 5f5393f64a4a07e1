"""CsvRecords: exact line numbers and raw text, strict UTF-8, whole-file problems are fatal."""

from __future__ import annotations

import io

import pytest

from dataplatform.etl.csv_records import TRUNCATED_LAST_LINE, WRONG_FIELD_COUNT, CsvRecords
from dataplatform.etl.errors import FatalInputError

HEADER = ["id", "name", "note"]


def read(data: bytes, header=HEADER):
    recs = CsvRecords(io.BytesIO(data), "landing/f.csv", header)
    out = []
    for line_no, fields, problem in recs:
        out.append((line_no, fields, problem, recs.raw()))
    return out


def test_plain_rows_with_line_numbers_and_raw_text():
    rows = read(b"id,name,note\n1,Ana,x\n2,Ben,y\n")
    assert rows == [(2, ["1", "Ana", "x"], None, "1,Ana,x"), (3, ["2", "Ben", "y"], None, "2,Ben,y")]


def test_bom_and_crlf_are_accepted():
    rows = read(b"\xef\xbb\xbfid,name,note\r\n1,Ana,x\r\n2,Ben,y\r\n")
    assert [r[1] for r in rows] == [["1", "Ana", "x"], ["2", "Ben", "y"]]
    assert rows[0][3] == "1,Ana,x"


def test_quoted_commas_and_newlines_keep_first_line_number_and_exact_raw():
    data = b'id,name,note\n1,"Smith, Jr.","two\nlines"\n2,Ben,y\n'
    rows = read(data)
    assert rows[0][:3] == (2, ["1", "Smith, Jr.", "two\nlines"], None)
    assert rows[0][3] == '1,"Smith, Jr.","two\nlines"'
    assert rows[1][0] == 4  # the multi-line record took lines 2-3


def test_wrong_field_count_is_a_row_problem_not_fatal():
    rows = read(b"id,name,note\n1,Ana\n2,Ben,y,extra\n3,Cy,z\n")
    assert [(r[0], r[2]) for r in rows] == [(2, WRONG_FIELD_COUNT), (3, WRONG_FIELD_COUNT), (4, None)]
    assert rows[1][3] == "2,Ben,y,extra"


def test_truncated_last_line_inside_a_quote():
    rows = read(b'id,name,note\n1,Ana,x\n2,Ben,"unfinished')
    assert [(r[0], r[2]) for r in rows] == [(2, None), (3, TRUNCATED_LAST_LINE)]
    assert rows[1][3] == '2,Ben,"unfinished'


def test_truncated_last_line_missing_fields():
    rows = read(b"id,name,note\n1,Ana,x\n2,Be")
    assert rows[-1][0] == 3 and rows[-1][2] == TRUNCATED_LAST_LINE


def test_last_line_without_newline_but_complete_is_fine():
    assert read(b"id,name,note\n1,Ana,x")[0][2] is None


def test_blank_lines_are_skipped():
    assert [r[0] for r in read(b"id,name,note\n\n1,Ana,x\n\n")] == [3]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "landing/f.csv: file is empty"),
        (b"\xef\xbb\xbf", "landing/f.csv line 1: file is empty (no header)"),
        (b"id,name,note\n", "landing/f.csv: file has a header but no data rows"),
        (b"id,name\n1,Ana\n", "landing/f.csv line 1: bad header: missing columns ['note']"),
        (b"id,name,note,x\n", "landing/f.csv line 1: bad header: unexpected columns ['x']"),
        (b"name,id,note\n", "columns out of order"),
        (
            b"id,name,note\n1,Ana,x\n2,B\xff\xfen,y\n",
            "landing/f.csv line 3: not valid UTF-8 (byte 0xff at column 4)",
        ),
        (b'id,name,note\n1,"never closed,x\n' + b"more\n" * 150, "line 2: unterminated quoted field"),
    ],
)
def test_whole_file_problems_are_fatal_and_name_file_and_line(data, message):
    with pytest.raises(FatalInputError) as err:
        read(data)
    assert message in str(err.value)
