"""Sensors of the data platform."""

from __future__ import annotations

from dataplatform.sensors.landing import LandingZoneSensor

__all__ = ["LandingZoneSensor"]
