"""Landing-zone completeness: the rules (pure) and the probes (S3 / local disk) shared by
:class:`dataplatform.sensors.LandingZoneSensor` and :class:`dataplatform.triggers.LandingZoneTrigger`."""

from __future__ import annotations

from dataplatform.landing.probe import AsyncProber, normalise_files, probe_paths
from dataplatform.landing.rules import (
    DEFAULT_RULES,
    CompletenessRule,
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

__all__ = [
    "DEFAULT_RULES",
    "AsyncProber",
    "CompletenessRule",
    "FileStat",
    "LandingReport",
    "MarkerRule",
    "MinSizeRule",
    "StableSizeRule",
    "evaluate",
    "needs_history",
    "normalise_files",
    "paths_to_probe",
    "probe_paths",
    "rule_from_spec",
    "rules_from_spec",
]
