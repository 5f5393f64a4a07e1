"""The file-level pass: header, line ends, quoted records with exact line numbers and raw text."""

from __future__ import annotations

import hashlib

import pytest

from dataplatform.loading.csv_scan import (
    TRUNCATED_LAST_LINE,
    WRONG_FIELD_COUNT,
    file_sha256,
    find_bad_utf8,
    quoted_records,
    read_header,
    scan_file,
)
from dataplatform.loading.errors import FatalInputError

HEADER = ["id", "name", "note"]


def scanned(tmp_path, data: bytes):
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    scan = scan_file(path, "landing/f.csv")
    records: list = []
    _, inside = quoted_records(scan, len(HEADER), records.append)
    return scan, [(r.line_no, r.last_line, list(r.fields), r.problem, r.raw) for r in records], inside


def test_plain_file_hash_lines_and_no_quoted_records(tmp_path):
    data = b"id,name,note\n1,Ana,x\n2,Ben,y\n"
    scan, records, inside = scanned(tmp_path, data)
    assert (scan.lines, scan.unquoted_lines, scan.ends_with_newline, records, inside) == (3, 2, True, [], [])
    assert scan.sha256 == hashlib.sha256(data).hexdigest() == file_sha256(tmp_path / "f.csv")


def test_quoted_commas_and_newlines_keep_first_line_number_and_exact_raw(tmp_path):
    scan, records, inside = scanned(
        tmp_path, b'id,name,note\n1,"Smith, Jr.","two\nlines"\n2,Ben,y\n3,"say ""hi""",z\n'
    )
    assert records == [
        (2, 3, ["1", "Smith, Jr.", "two\nlines"], None, '1,"Smith, Jr.","two\nlines"'),
        (5, 5, ["3", 'say "hi"', "z"], None, '3,"say ""hi""",z'),
    ]
    assert inside == [3] and scan.lines == 5


def test_a_quoted_field_over_three_lines_and_crlf(tmp_path):
    _, records, inside = scanned(tmp_path, b'id,name,note\r\n1,"a\r\n\r\nb",x\r\n2,c,d\r\n')
    assert records == [(2, 4, ["1", "a\r\n\r\nb", "x"], None, '1,"a\r\n\r\nb",x')]
    assert inside == [3, 4]  # line 3 is blank and line 4 has a quote: both inside the record


def test_quoted_record_problems(tmp_path):
    _, records, _ = scanned(tmp_path, b'id,name,note\n1,"ab"cd,x\n2,"x",y,extra\n3,b,"unfinished')
    assert [(r[0], r[3]) for r in records] == [
        (2, "malformed quoting: ',' expected after '\"'"),
        (3, WRONG_FIELD_COUNT),
        (4, TRUNCATED_LAST_LINE),
    ]
    assert records[2][4] == '3,b,"unfinished'


def test_a_quote_inside_an_unquoted_field_is_literal(tmp_path):
    _, records, _ = scanned(tmp_path, b'id,name,note\n1,Rob"ert,x\n2,b,c\n')
    assert records == [(2, 2, ["1", 'Rob"ert', "x"], None, '1,Rob"ert,x')]


def test_an_unterminated_quote_running_for_pages_is_fatal(tmp_path):
    with pytest.raises(FatalInputError, match=r"landing/f.csv line 2: unterminated quoted field"):
        scanned(tmp_path, b'id,name,note\n1,"never closed,x\n' + b"more\n" * 150)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"id,name,note\n1,x\ry,z\n",
            "landing/f.csv line 2: bare carriage return (CR not followed by LF) at column 4",
        ),
        (b"id,name,note\n1,x,y\r", "bare carriage return (CR not followed by LF) at the end of the file"),
    ],
)
def test_a_bare_carriage_return_is_fatal(tmp_path, data, message):
    with pytest.raises(FatalInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        scanned(tmp_path, data)


def test_the_line_scan_delimiter_is_a_byte_the_file_does_not_hold(tmp_path):
    scan, _, _ = scanned(tmp_path, b"id,name,note\n1,a\x1fb,c\n")
    assert scan.delimiter == "\x1e"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "landing/f.csv: file is empty"),
        (b"\xef\xbb\xbf", "landing/f.csv line 1: file is empty (no header)"),
        (b"id,name\n1,Ana\n", "landing/f.csv line 1: bad header: missing columns ['note']"),
        (b"id,name,note,x\n", "landing/f.csv line 1: bad header: unexpected columns ['x']"),
        (b"name,id,note\n", "columns out of order"),
        (b'"id,name,note\n', "header is not valid CSV"),
    ],
)
def test_header_problems_are_fatal_and_named(tmp_path, data, message):
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    with pytest.raises(FatalInputError) as err:
        read_header(path, "landing/f.csv", HEADER)
    assert message in str(err.value)


def test_bom_and_blank_padded_header_names_are_fine(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"\xef\xbb\xbf id , name,note\r\n")
    read_header(path, "landing/f.csv", HEADER)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"id,name,note\n1,Ana,x\n2,B\xff\xfen,y\n",
            "landing/f.csv line 3: not valid UTF-8 (byte 0xff at column 4)",
        ),
        (b"\xef\xbb\xbfid,na\xc3me,note\n", "landing/f.csv line 1: not valid UTF-8 (byte 0xc3 at column 6)"),
        (b"id,name,note\n1,Ana,\xc3", "the file ends inside a multi-byte character"),
    ],
)
def test_the_first_byte_that_is_not_utf8_is_named_by_line_and_column(tmp_path, data, message):
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    assert message in str(find_bad_utf8(path, "landing/f.csv"))


def test_a_good_file_has_no_bad_utf8(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes("id,name,note\n1,Chloé Müller,ok\n".encode())
    assert find_bad_utf8(path, "landing/f.csv") is None


def test_quote_lines_across_block_boundaries(tmp_path, monkeypatch):
    monkeypatch.setattr("dataplatform.loading.csv_scan.BLOCK", 16)
    scan, records, _ = scanned(tmp_path, b'id,name,note\n1,aaaaaaaa,"q"\n2,b,c\n3,"x\ny",z\n')
    assert [r[0] for r in records] == [2, 4] and scan.lines == 5
