"""Notifier classes of the data platform (registered under ``notifications`` in the provider info)."""

from dataplatform.notifications.alert import DataPlatformAlertNotifier
from dataplatform.notifications.email import AlertEmailNotifier

__all__ = ["AlertEmailNotifier", "DataPlatformAlertNotifier"]
