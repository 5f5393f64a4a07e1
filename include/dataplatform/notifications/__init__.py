"""Notifiers of the data platform on top of the official Slack and SMTP providers.

``email`` (SMTP hook and notifier with a text alternative and bounded timeouts) and ``slack``
(webhook message). Alerting and reports use them; the dependency is one way (alerts, reports ->
notifications). Nothing is imported here, so importing a submodule stays cheap at DAG parse time.
"""
