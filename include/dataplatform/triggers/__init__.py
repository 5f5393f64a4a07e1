"""Triggers of the data platform (they run in the triggerer)."""

from __future__ import annotations

from dataplatform.triggers.landing import LandingZoneTrigger

__all__ = ["LandingZoneTrigger"]
