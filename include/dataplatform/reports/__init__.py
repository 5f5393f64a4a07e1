"""Reports people read: built in the warehouse, rendered (HTML, charts, CSV), delivered once.

Generic parts: ``tables`` (a report table declared once: DDL, per-period replace, CSV), ``editions``
(each build, each delivery, never twice), ``formatting`` / ``html`` / ``charts`` (how it reads and
looks), ``artifacts`` (the S3 folder), ``email`` / ``slack`` (messages), ``settings`` (currency,
links, routes). Reports: ``financial`` (monthly) and ``daily``. Nothing is imported here.
"""
