"""Every broken spec of ``tests/fixtures/pipelines/broken/`` gives exactly the errors it lists.

Each case is a pipeline folder; its spec ends with ``# expect: key=<key> | <message>`` lines, one
per error, as ``validate`` prints them (file paths relative to the corpus folder).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dataplatform.pipelines.compiler import compile_spec, spec_file_of

CORPUS = Path(__file__).parents[2] / "fixtures" / "pipelines" / "broken"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())
PREFIX = "# expect: "


def expected(case: str) -> list[str]:
    lines = spec_file_of(CORPUS / case).read_text(encoding="utf-8").splitlines()
    return [line.removeprefix(PREFIX) for line in lines if line.startswith(PREFIX)]


def test_corpus_has_at_least_20_cases() -> None:
    assert len(CASES) >= 20
    assert all(expected(case) for case in CASES), "every case lists the errors it expects"


@pytest.mark.parametrize("case", CASES)
def test_broken_spec_gives_exactly_its_errors(case: str) -> None:
    compiled = compile_spec(spec_file_of(CORPUS / case), base=CORPUS)
    assert [f"key={e.key} | {e}" for e in compiled.errors] == expected(case)
    assert compiled.pipeline is None


def test_every_error_names_file_position_and_pipeline() -> None:
    for case in CASES:
        for error in compile_spec(spec_file_of(CORPUS / case), base=CORPUS).errors:
            assert error.file.startswith(f"{case}/"), error
            assert error.pipeline, error
            if case != "empty_file":
                assert error.line > 0 and error.column > 0, error


def test_unknown_keys_suggest_the_field() -> None:
    (error,) = compile_spec(spec_file_of(CORPUS / "unknown_pipeline_key"), base=CORPUS).errors
    assert (error.line, error.column, error.key) == (5, 1, "schedul")
    assert error.message == "unknown key `schedul`"
    assert error.hint == "did you mean `schedule`?"


def test_config_errors_point_into_the_config_file() -> None:
    (error,) = compile_spec(spec_file_of(CORPUS / "config_bad_json"), base=CORPUS).errors
    assert (error.file, error.line, error.column) == ("config_bad_json/settings.json", 3, 18)
    assert (error.pipeline, error.step, error.key) == ("config_bad_json", "build", "config")
