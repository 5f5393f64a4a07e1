"""Completeness rules and the report's messages (pure logic, no I/O)."""

from __future__ import annotations

import json

import pytest

from dataplatform.landing.rules import (
    DEFAULT_RULES,
    FileStat,
    LandingReport,
    MarkerRule,
    MinSizeRule,
    StableSizeRule,
    evaluate,
    needs_history,
    paths_to_probe,
    rule_from_spec,
    rules_from_spec,
)

BILLING = "s3://landing/billing/2026-10/billing.csv"
CLAIMS = "s3://landing/insurance/2026-10/claims.csv"


def stats(**sizes: int | None) -> dict[str, FileStat]:
    """FileStats from path aliases: None = missing."""
    names = {"billing": BILLING, "claims": CLAIMS}
    out = {}
    for alias, size in sizes.items():
        path = names.get(alias, alias)
        out[path] = FileStat(path, exists=size is not None, size=size)
    return out


def seen(**paths_sizes: int | None) -> dict[str, FileStat]:
    return {p: FileStat(p, exists=s is not None, size=s) for p, s in paths_sizes.items()}


# --- min_size -----------------------------------------------------------------------------------


def test_min_size_names_missing_and_too_small_files_in_the_given_order():
    report = evaluate([BILLING, CLAIMS], [MinSizeRule(1)], stats(billing=None, claims=0))

    assert not report.complete
    assert report.missing == [BILLING]
    assert report.incomplete == {CLAIMS: ["size 0 < min 1"]}
    assert report.message() == f"{BILLING}: missing; {CLAIMS}: size 0 < min 1"
    assert report.summary() == (
        f"2 of 2 files not ready (1 missing, 1 incomplete): {BILLING}: missing; {CLAIMS}: size 0 < min 1"
    )


def test_min_size_passes_at_the_threshold():
    report = evaluate([BILLING], [MinSizeRule(100)], stats(billing=100))
    assert report.complete
    assert report.ready_files() == [{"path": BILLING, "size": 100}]
    assert report.summary() == "all 1 files ready"


def test_min_size_rejects_bad_thresholds():
    for bad in (-1, "10", 1.5, True):
        with pytest.raises(ValueError, match="min_bytes"):
            MinSizeRule(bad)


# --- marker -------------------------------------------------------------------------------------


def test_marker_suffix_is_the_default_and_is_per_file():
    rule = MarkerRule()
    assert rule.suffix == ".done"
    assert rule.companions(BILLING) == (f"{BILLING}.done",)

    report = evaluate([BILLING], [rule], stats(billing=10))
    assert report.incomplete == {BILLING: [f"marker {BILLING}.done missing"]}

    report = evaluate([BILLING], [rule], {**stats(billing=10), **seen(**{f"{BILLING}.done": 0})})
    assert report.complete, "an empty marker file counts: only its existence matters"


def test_marker_name_sits_beside_each_file():
    rule = MarkerRule(name="_SUCCESS")
    assert rule.companions(BILLING) == ("s3://landing/billing/2026-10/_SUCCESS",)
    assert rule.companions("s3://landing/top.csv") == ("s3://landing/_SUCCESS",)
    assert rule.companions("/data/in/a.csv") == ("/data/in/_SUCCESS",)
    assert rule.companions("file:///data/in/a.csv") == ("file:///data/in/_SUCCESS",)


def test_marker_path_is_one_marker_for_the_whole_set():
    rule = MarkerRule(path="s3://landing/batch/_SUCCESS")
    paths = paths_to_probe([BILLING, CLAIMS], [rule])
    assert paths == [BILLING, "s3://landing/batch/_SUCCESS", CLAIMS]

    missing_marker = evaluate([BILLING, CLAIMS], [rule], stats(billing=1, claims=1))
    assert missing_marker.message() == (
        f"{BILLING}: marker s3://landing/batch/_SUCCESS missing; "
        f"{CLAIMS}: marker s3://landing/batch/_SUCCESS missing"
    )
    marked = {**stats(billing=1, claims=1), **seen(**{"s3://landing/batch/_SUCCESS": 0})}
    assert evaluate([BILLING, CLAIMS], [rule], marked).complete


def test_marker_takes_exactly_one_form():
    with pytest.raises(ValueError, match="one of suffix, name or path"):
        MarkerRule(suffix=".done", name="_SUCCESS")
    with pytest.raises(ValueError, match="bare file name"):
        MarkerRule(name="a/_SUCCESS")


def test_missing_file_is_reported_missing_not_as_a_missing_marker():
    report = evaluate([BILLING], [MarkerRule()], stats(billing=None))
    assert report.message() == f"{BILLING}: missing"


# --- stable_size --------------------------------------------------------------------------------


def test_stable_size_needs_two_pokes_with_the_same_size():
    rules = [StableSizeRule()]
    first = evaluate([BILLING], rules, stats(billing=10), previous_sizes=None)
    assert first.incomplete == {BILLING: ["size 10 seen for the first time, not yet confirmed stable"]}
    assert first.sizes == {BILLING: 10}

    second = evaluate([BILLING], rules, stats(billing=10), previous_sizes=first.sizes)
    assert second.complete


def test_stable_size_fails_while_the_file_grows():
    rules = [StableSizeRule()]
    first = evaluate([BILLING], rules, stats(billing=10))
    grown = evaluate([BILLING], rules, stats(billing=25), previous_sizes=first.sizes)
    assert grown.incomplete == {BILLING: ["size changed 10 -> 25 since the previous poke"]}
    settled = evaluate([BILLING], rules, stats(billing=25), previous_sizes=grown.sizes)
    assert settled.complete


def test_stable_size_never_accepts_an_empty_file():
    report = evaluate([BILLING], [StableSizeRule()], stats(billing=0), previous_sizes={BILLING: 0})
    assert report.incomplete == {BILLING: ["size 0 (empty)"]}


def test_every_failing_rule_is_named():
    rules = [MinSizeRule(100), MarkerRule(), StableSizeRule()]
    report = evaluate([BILLING], rules, stats(billing=5), previous_sizes={BILLING: 3})
    assert report.message() == (
        f"{BILLING}: size 5 < min 100, marker {BILLING}.done missing, size changed 3 -> 5 since the previous poke"
    )


def test_needs_history_only_for_stable_size():
    assert needs_history([StableSizeRule()])
    assert not needs_history([MarkerRule(), MinSizeRule(1)])


# --- specs and serialisation --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("stable_size", StableSizeRule()),
        ("marker", MarkerRule(suffix=".done")),
        ("marker:_SUCCESS", MarkerRule(name="_SUCCESS")),
        ("marker:.ok", MarkerRule(suffix=".ok")),
        ("min_size", MinSizeRule(1)),
        ("min_size:1024", MinSizeRule(1024)),
        ({"kind": "marker", "path": "/in/_SUCCESS"}, MarkerRule(path="/in/_SUCCESS")),
        ({"kind": "min_size", "min_bytes": 7}, MinSizeRule(7)),
    ],
)
def test_rule_specs(spec, expected):
    assert rule_from_spec(spec) == expected


@pytest.mark.parametrize(
    "rule", [StableSizeRule(), MarkerRule(name="_SUCCESS"), MarkerRule(), MinSizeRule(9)]
)
def test_rules_round_trip_through_json(rule):
    data = json.loads(json.dumps(rule.to_dict()))
    assert rule_from_spec(data) == rule


def test_unknown_or_malformed_specs_are_named():
    with pytest.raises(ValueError, match="unknown completeness rule 'size_ok'"):
        rule_from_spec("size_ok")
    with pytest.raises(ValueError, match="bad arguments for completeness rule 'min_size'"):
        rule_from_spec({"kind": "min_size", "bytes": 3})
    with pytest.raises(ValueError, match="min_size needs a byte count"):
        rule_from_spec("min_size:lots")
    with pytest.raises(TypeError):
        rule_from_spec(3)


def test_rules_from_spec_defaults_and_single_values():
    assert rules_from_spec(None) == DEFAULT_RULES == (MinSizeRule(1),)
    assert rules_from_spec("stable_size") == (StableSizeRule(),)
    assert rules_from_spec(["marker", MinSizeRule(2)]) == (MarkerRule(), MinSizeRule(2))


def test_report_round_trips_through_json():
    report = evaluate([BILLING, CLAIMS], [MinSizeRule(1)], stats(billing=None, claims=0))
    again = LandingReport.from_dict(json.loads(json.dumps(report.to_dict())))
    assert again == report
    assert again.message() == report.message()
