"""Test-only DAGs exercising failure alerting on the real stack (never deployed).

All use the production defaults (``default_args`` + ``dag_callbacks``) except where a DAG says
otherwise; retries are overridden to keep runs short (the stack's retry delay is 1 s).
"""

from __future__ import annotations

import os
import signal

import pendulum
from airflow.sdk import dag, task

from dataplatform.defaults import dag_callbacks, default_args

START = pendulum.datetime(2026, 1, 1, tz="UTC")
#: A value the failing task registers with the secrets masker; it must never reach Slack or email.
E2E_SECRET = "e2e-alert-secret-8f3a1c"
#: Credentials embedded in a URL; the password must be masked.
E2E_URL_PASSWORD = "e2e-url-pw-77d2"


@dag(
    dag_id="e2e_alerts_always_fails",
    schedule=None,
    start_date=START,
    catchup=False,
    tags=["e2e", "alerts"],
    doc_md="Test-only: one task that always fails (retries=1): one FAILED alert + one run summary.",
    default_args=default_args(owner="platform", retries=1),
    **dag_callbacks(),
)
def e2e_alerts_always_fails():
    @task
    def always_fails():
        from airflow.sdk.log import mask_secret

        mask_secret(E2E_SECRET)
        raise RuntimeError(
            f"warehouse load failed: token {E2E_SECRET} rejected by "
            f"postgresql://loader:{E2E_URL_PASSWORD}@warehouse:5432/dw\nsecond line of the message"
        )

    @task
    def unaffected() -> str:
        return "ok"

    always_fails()
    unaffected()


@dag(
    dag_id="e2e_alerts_flaky",
    schedule=None,
    start_date=START,
    catchup=False,
    tags=["e2e", "alerts"],
    doc_md="Test-only: fails on try 1, succeeds on try 2; retry notices enabled for this DAG.",
    default_args=default_args(owner="platform", retries=1, alert_route={"retry_notices": True}),
    **dag_callbacks(),
)
def e2e_alerts_flaky():
    @task
    def flaky(**context) -> str:
        if context["ti"].try_number < 2:
            raise ConnectionError("transient: upstream API timed out")
        return "recovered on retry"

    flaky()


@dag(
    dag_id="e2e_alerts_sigkill",
    schedule=None,
    start_date=START,
    catchup=False,
    tags=["e2e", "alerts"],
    doc_md="Test-only: the task SIGKILLs itself (like the OOM killer); no task callback can run.",
    default_args=default_args(owner="platform", retries=0),
    **dag_callbacks(),
)
def e2e_alerts_sigkill():
    @task
    def killed():
        os.kill(os.getpid(), signal.SIGKILL)

    killed()


@dag(
    dag_id="e2e_alerts_recovery",
    schedule=None,
    start_date=START,
    catchup=False,
    tags=["e2e", "alerts"],
    doc_md="Test-only: fails when `conf['fail']` is true, succeeds otherwise (recovery message).",
    default_args=default_args(owner="platform", retries=0),
    **dag_callbacks(),
)
def e2e_alerts_recovery():
    @task
    def maybe_fail(**context) -> str:
        if context["dag_run"].conf.get("fail"):
            raise ValueError("asked to fail by conf")
        return "fine"

    maybe_fail()


@dag(
    dag_id="e2e_alerts_no_callbacks",
    schedule=None,
    start_date=START,
    catchup=False,
    tags=["e2e", "alerts"],
    doc_md="Test-only: a DAG wiring NO callbacks; the plugin's listener must still alert once.",
    default_args={"owner": "platform", "retries": 0},
)
def e2e_alerts_no_callbacks():
    @task
    def fails_silently():
        raise RuntimeError("nobody wired a callback")

    fails_silently()


@dag(
    dag_id="e2e_alerts_lost_heartbeat",
    schedule=None,
    start_date=START,
    catchup=False,
    tags=["e2e", "alerts"],
    doc_md="Test-only: kills its supervisor, so heartbeats stop and the scheduler fails it (heartbeat timeout).",
    default_args=default_args(owner="platform", retries=0),
    **dag_callbacks(),
)
def e2e_alerts_lost_heartbeat():
    @task
    def orphaned():
        # Like losing the worker node: the supervisor (our parent) dies, so heartbeats stop and
        # nobody reports a state; then this process goes too (no orphan left behind).
        os.kill(os.getppid(), signal.SIGKILL)
        os.kill(os.getpid(), signal.SIGKILL)

    orphaned()


e2e_alerts_always_fails()
e2e_alerts_flaky()
e2e_alerts_sigkill()
e2e_alerts_recovery()
e2e_alerts_no_callbacks()
e2e_alerts_lost_heartbeat()
