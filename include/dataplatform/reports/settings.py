"""Report settings (``[dataplatform]`` config section) and the route a report is delivered on.

* ``report_currency``: the currency the financial figures are in (default ``EUR``);
* ``reports_base_url``: where the deployment serves the reports bucket (links are presigned S3
  URLs, valid 7 days, without it);
* ``report_timeout_seconds``: SMTP / Slack timeout of one send (default 30).

Recipients come from the alert routes (:mod:`dataplatform.alerts.routing`): a report names its
route (``finance``) and gets that route's email recipients and Slack connection. An unknown route
is an error, never a fallback: a finance report must not go to the default alert list.
"""

from __future__ import annotations

from dataclasses import dataclass

from dataplatform.alerts.routing import Route, known_routes

DEFAULT_CURRENCY = "EUR"
DEFAULT_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class ReportSettings:
    currency: str = DEFAULT_CURRENCY
    base_url: str | None = None
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS


def load_report_settings() -> ReportSettings:
    from airflow.sdk import conf

    return ReportSettings(
        currency=(conf.get("dataplatform", "report_currency", fallback="") or DEFAULT_CURRENCY).upper(),
        base_url=conf.get("dataplatform", "reports_base_url", fallback="") or None,
        timeout_seconds=conf.getint(
            "dataplatform", "report_timeout_seconds", fallback=DEFAULT_TIMEOUT_SECONDS
        ),
    )


def report_route(name: str) -> Route:
    """The route ``name`` of ``[dataplatform] alert_routes`` (or ``default``); ValueError if unknown
    or without email recipients."""
    routes = known_routes()
    if name not in routes:
        raise ValueError(
            f"report route {name!r} is not defined: add it to [dataplatform] alert_routes "
            f"(AIRFLOW__DATAPLATFORM__ALERT_ROUTES); defined: {', '.join(sorted(routes))}"
        )
    route = routes[name]
    if not route.email:
        raise ValueError(f"report route {name!r} has no email recipients ([dataplatform] alert_routes)")
    return route
