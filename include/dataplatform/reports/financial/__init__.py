"""The monthly financial report: ``tables`` (the figures in SQL), ``checks`` (is the month complete),
``build``, ``render``, ``steps`` (what the tasks run) and ``task_group``."""
