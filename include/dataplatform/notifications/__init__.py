"""Notifiers of the data platform (alerting uses them; the dependency is one way: alerts -> notifications)."""

from dataplatform.notifications.email import AlertEmailNotifier

__all__ = ["AlertEmailNotifier"]
