"""The native local stack (no Docker): Postgres databases, moto S3, Slack/SMTP sinks and Airflow.

Used by ``make run`` (``python -m devstack up``) and by the test fixtures in ``tests/conftest.py``.
Not part of the provider package: production deployments never import it.
"""
