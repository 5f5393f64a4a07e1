"""Candidate repeated keys from the CSV stream: every true repeat found, in bounded memory."""

from __future__ import annotations

import random
from collections import Counter

from dataplatform.loading.repeated_keys import RepeatedKeys


def candidates(chunks, width=1, expected=1000):
    keys = RepeatedKeys(width, expected)
    assert b"".join(keys.watch(chunks)) == b"".join(chunks)  # the stream passes unchanged
    return keys.candidates


def test_repeats_within_and_across_chunks_and_split_lines():
    assert candidates([b"1,a\n259,x\n3,b\n259,y\n"]) == {("259",)}
    assert candidates([b"1,a\n259,x\n3,b\n", b"259,y\n"]) == {("259",)}
    assert candidates([b"1,a\n259,x\n3,b\n25", b"9,y\n"]) == {("259",)}
    assert candidates([b"2590,x\n259,y\n25,z\n"]) == set()


def test_empty_keys_of_rejected_rows_are_not_keys():
    assert candidates([b",2,bad\n,3,bad\n1,4,\n"]) == set()


def test_quoted_and_long_keys_take_the_slow_path():
    long = b"k" * 40
    assert candidates([b'"a,b",1\n"a,b",2\n' + long + b",x\n" + long + b",y\n"]) == {
        ("a,b",),
        (long.decode(),),
    }


def test_composite_keys():
    assert candidates([b'1,"x",a\n1,x,b\n1,y,c\n'], width=2) == {("1", "x")}


def test_every_true_repeat_is_a_candidate_and_few_others_are():
    rng = random.Random(3)
    keys = [rng.randrange(1, 200_000) for _ in range(50_000)]
    data = b"".join(f"{k},{i},payload\n".encode() for i, k in enumerate(keys))
    found = candidates([data[i : i + 65536] for i in range(0, len(data), 65536)], expected=50_000)
    true = {(str(k),) for k, n in Counter(keys).items() if n > 1}
    assert true <= found
    assert len(found - true) < 0.05 * len(keys)


def test_csv_output_quotes_every_field():
    keys = RepeatedKeys(1, 10)
    keys.add([("a,b",), (7,)])
    assert sorted(b"".join(keys.csv()).splitlines()) == [b'"7"', b'"a,b"']


def test_candidates_spill_to_a_file_beyond_the_memory_cap(tmp_path, monkeypatch):
    monkeypatch.setattr("dataplatform.loading.repeated_keys.SPILL_AT", 3)
    keys = RepeatedKeys(1, 10, tmp_path / "keys.csv")
    keys.add([(str(i),) for i in range(10)])
    assert len(keys.candidates) < 3 and keys.count == 10
    assert sorted(b"".join(keys.csv()).splitlines()) == sorted(f'"{i}"'.encode() for i in range(10))
