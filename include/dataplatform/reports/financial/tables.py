"""The monthly financial report's tables (``reports.financial_*``): what each figure is, in SQL.

Definitions, in the report currency (claims billed in other currencies are only counted, in
``financial_currencies``: there is no exchange-rate source to convert them):

* revenue: the billed amount of the month's claims (gross charges);
* ward and diagnosis: the claim's own, else the patient's (``public.patients``); the diagnosis
  group is the code's ICD-10 chapter;
* payer: the claim's insurer (``payer_id``), or self-pay when it has none;
* status of an insured claim from the insurer's decision of the same month: ``approved`` (approved
  or paid), ``denied``, ``outstanding`` (submitted, appealed or no decision yet); self-pay claims
  have their own status;
* denial rate: denied / (approved + denied) insured claims -- outstanding ones are not decided;
* outliers: claims of at least 3x the median amount of their procedure code in the month
  (procedures with at least 20 claims), the 10 largest ratios.

The SQL reads the month's claims from the temporary table ``{claims}`` (:data:`CLAIMS_SQL`,
built once per report in the same transaction) and, for the 12-month trend, the source tables.
"""

from __future__ import annotations

from dataplatform.reports.tables import ReportColumn as C
from dataplatform.reports.tables import ReportTable

OUTLIER_FACTOR = 3
OUTLIER_MIN_CLAIMS = 20
OUTLIERS_LISTED = 10
TREND_MONTHS = 12

#: The month's claims in the report currency with their patient and insurer decision.
CLAIMS_SQL = """
SELECT b.claim_id, b.patient_id, b.amount, b.procedure_code,
       coalesce(b.ward, p.ward) AS ward,
       coalesce(b.diagnosis_code, p.diagnosis_code) AS diagnosis_code,
       nullif(b.payer_id, '') AS payer_id,
       CASE WHEN nullif(b.payer_id, '') IS NULL THEN 'self-pay'
            WHEN i.status IN ('approved', 'paid') THEN 'approved'
            WHEN i.status = 'denied' THEN 'denied'
            ELSE 'outstanding' END AS claim_status,
       i.approved_amount, i.paid_amount, i.payer_name
FROM {billing} b
LEFT JOIN {patients} p ON p.patient_id = b.patient_id
LEFT JOIN {insurance} i ON i.claim_id = b.claim_id AND i.{claims_month} = b.{billing_month}
WHERE b.{billing_month} = %(period)s AND b.currency = %(currency)s
"""

_SHARE = "round(sum(amount) / nullif(sum(sum(amount)) OVER (), 0), 4)"

BY_WARD = ReportTable(
    name="reports.financial_by_ward",
    title="Revenue by ward",
    description="billed amount per ward (the claim's ward, else the patient's)",
    columns=(
        C("ward", "text", "Ward"),
        C("claims", "bigint", "Claims", "int"),
        C("patients", "bigint", "Patients", "int"),
        C("revenue", "numeric(16,2)", "Revenue", "money"),
        C("revenue_share", "numeric(7,4)", "Share", "pct"),
    ),
    key=("ward",),
    select=f"""
        SELECT coalesce(ward, 'unknown'), count(*), count(DISTINCT patient_id), sum(amount), {_SHARE}
        FROM {{claims}} GROUP BY 1""",
    order_by="revenue DESC, ward",
)

BY_DIAGNOSIS = ReportTable(
    name="reports.financial_by_diagnosis",
    title="Revenue by diagnosis group",
    description="billed amount per ICD-10 chapter of the diagnosis code",
    columns=(
        C("chapter", "text", "Chapter"),
        C("diagnosis_group", "text", "Diagnosis group"),
        C("claims", "bigint", "Claims", "int"),
        C("patients", "bigint", "Patients", "int"),
        C("revenue", "numeric(16,2)", "Revenue", "money"),
        C("revenue_share", "numeric(7,4)", "Share", "pct"),
    ),
    key=("chapter",),
    select=f"""
        WITH codes AS (  -- the chapter of each distinct code, then an equality join (not a range join per claim)
            SELECT DISTINCT upper(left(diagnosis_code, 3)) AS code3 FROM {{claims}} WHERE diagnosis_code IS NOT NULL
        ), mapped AS (
            SELECT codes.code3, g.chapter, g.title FROM codes
            LEFT JOIN {{chapters}} AS g(chapter, first_code, last_code, title)
                   ON codes.code3 BETWEEN g.first_code AND g.last_code
        )
        SELECT coalesce(m.chapter, CASE WHEN c.diagnosis_code IS NULL THEN %(no_dx_chapter)s ELSE %(other_chapter)s END),
               coalesce(m.title, CASE WHEN c.diagnosis_code IS NULL THEN %(no_dx_title)s ELSE %(other_title)s END),
               count(*), count(DISTINCT c.patient_id), sum(c.amount), {_SHARE}
        FROM {{claims}} c
        LEFT JOIN mapped m ON m.code3 = upper(left(c.diagnosis_code, 3))
        GROUP BY 1, 2""",
    order_by="revenue DESC, chapter",
)

PAYER_MIX = ReportTable(
    name="reports.financial_payer_mix",
    title="Payer mix",
    description="billed amount per insurer, and self-pay",
    columns=(
        C("payer_id", "text", "Payer id"),
        C("payer_name", "text", "Payer"),
        C("payer_kind", "text", "Kind"),
        C("claims", "bigint", "Claims", "int"),
        C("revenue", "numeric(16,2)", "Revenue", "money"),
        C("revenue_share", "numeric(7,4)", "Share", "pct"),
    ),
    key=("payer_id",),
    select=f"""
        SELECT coalesce(payer_id, 'self-pay'), coalesce(max(payer_name), payer_id, 'Self-pay'),
               CASE WHEN payer_id IS NULL THEN 'self-pay' ELSE 'insurer' END,
               count(*), sum(amount), {_SHARE}
        FROM {{claims}} GROUP BY payer_id""",
    order_by="revenue DESC, payer_id",
)

STATUSES = ("approved", "denied", "outstanding", "self-pay")
CLAIM_STATUS = ReportTable(
    name="reports.financial_claim_status",
    title="Claims by status",
    description="insured claims by the insurer's decision, and self-pay claims",
    columns=(
        C("claim_status", "text", "Status"),
        C("claims", "bigint", "Claims", "int"),
        C("claims_share", "numeric(7,4)", "Share of claims", "pct"),
        C("billed_amount", "numeric(16,2)", "Billed", "money"),
        C("approved_amount", "numeric(16,2)", "Approved", "money"),
        C("paid_amount", "numeric(16,2)", "Paid", "money"),
    ),
    key=("claim_status",),
    select="""
        SELECT s.claim_status, count(c.claim_id),
               round(count(c.claim_id)::numeric / nullif(sum(count(c.claim_id)) OVER (), 0), 4),
               coalesce(sum(c.amount), 0), coalesce(sum(c.approved_amount), 0), coalesce(sum(c.paid_amount), 0)
        FROM unnest(%(statuses)s::text[]) AS s(claim_status)
        LEFT JOIN {claims} c USING (claim_status)
        GROUP BY s.claim_status""",
    order_by=f"array_position(ARRAY[{', '.join(repr(status) for status in STATUSES)}], claim_status)",
)

DENIALS_BY_PAYER = ReportTable(
    name="reports.financial_denials_by_payer",
    title="Denial rate by payer",
    description="denied / decided (approved + denied) insured claims per insurer",
    columns=(
        C("payer_id", "text", "Payer id"),
        C("payer_name", "text", "Payer"),
        C("decided_claims", "bigint", "Decided", "int"),
        C("denied_claims", "bigint", "Denied", "int"),
        C("denial_rate", "numeric(7,4)", "Denial rate", "pct"),
        C("denied_amount", "numeric(16,2)", "Denied amount", "money"),
        C("outstanding_claims", "bigint", "Outstanding", "int"),
    ),
    key=("payer_id",),
    select="""
        SELECT payer_id, coalesce(max(payer_name), payer_id),
               count(*) FILTER (WHERE claim_status IN ('approved', 'denied')),
               count(*) FILTER (WHERE claim_status = 'denied'),
               round((count(*) FILTER (WHERE claim_status = 'denied'))::numeric
                     / nullif(count(*) FILTER (WHERE claim_status IN ('approved', 'denied')), 0), 4),
               coalesce(sum(amount) FILTER (WHERE claim_status = 'denied'), 0),
               count(*) FILTER (WHERE claim_status = 'outstanding')
        FROM {claims} WHERE payer_id IS NOT NULL GROUP BY payer_id""",
    order_by="denial_rate DESC NULLS LAST, payer_id",
)

TREND = ReportTable(
    name="reports.financial_trend",
    title="12-month trend",
    description="claims, revenue, self-pay share and denial rate of the 12 months ending with the report's",
    columns=(
        C("month", "date", "Month", "month"),
        C("has_data", "boolean", "Data", "bool"),
        C("claims", "bigint", "Claims", "int"),
        C("revenue", "numeric(16,2)", "Revenue", "money"),
        C("revenue_change", "numeric(9,4)", "vs previous month", "change"),
        C("self_pay_share", "numeric(7,4)", "Self-pay share of revenue", "pct"),
        C("denial_rate", "numeric(7,4)", "Denial rate", "pct"),
    ),
    key=("month",),
    select="""
        WITH months AS (
            SELECT generate_series(%(first_month)s::date, %(period)s::date, interval '1 month')::date AS month
        ), billed AS (
            SELECT {billing_month} AS month, count(*) AS claims, sum(amount) AS revenue,
                   sum(amount) FILTER (WHERE nullif(payer_id, '') IS NULL) AS self_pay
            FROM {billing}
            WHERE {billing_month} BETWEEN %(first_month)s AND %(period)s AND currency = %(currency)s
            GROUP BY 1
        ), decided AS (
            SELECT b.{billing_month} AS month,
                   count(*) FILTER (WHERE i.status IN ('approved', 'paid', 'denied')) AS decided,
                   count(*) FILTER (WHERE i.status = 'denied') AS denied
            FROM {billing} b
            JOIN {insurance} i ON i.claim_id = b.claim_id AND i.{claims_month} = b.{billing_month}
            WHERE b.{billing_month} BETWEEN %(first_month)s AND %(period)s AND b.currency = %(currency)s
              AND nullif(b.payer_id, '') IS NOT NULL
            GROUP BY 1
        )
        SELECT m.month, billed.month IS NOT NULL, coalesce(billed.claims, 0), billed.revenue,
               round(billed.revenue / nullif(lag(billed.revenue) OVER (ORDER BY m.month), 0) - 1, 4),
               round(coalesce(billed.self_pay, 0) / nullif(billed.revenue, 0), 4),
               round(decided.denied::numeric / nullif(decided.decided, 0), 4)
        FROM months m LEFT JOIN billed USING (month) LEFT JOIN decided USING (month)""",
    order_by="month",
)

OUTLIERS = ReportTable(
    name="reports.financial_outliers",
    title="Top outliers",
    description=f"claims of at least {OUTLIER_FACTOR}x the month's median amount of their procedure",
    columns=(
        C("rank", "integer", "#", "int"),
        C("claim_id", "text", "Claim"),
        C("patient_id", "bigint", "Patient"),
        C("ward", "text", "Ward"),
        C("procedure_code", "text", "Procedure"),
        C("amount", "numeric(16,2)", "Amount", "money"),
        C("procedure_median", "numeric(16,2)", "Procedure median", "money"),
        C("ratio", "numeric(9,1)", "x median", "ratio"),
    ),
    key=("rank",),
    select=f"""
        WITH medians AS (
            SELECT procedure_code, percentile_cont(0.5) WITHIN GROUP (ORDER BY amount)::numeric AS median
            FROM {{claims}} WHERE procedure_code IS NOT NULL
            GROUP BY procedure_code HAVING count(*) >= {OUTLIER_MIN_CLAIMS}
        )
        SELECT row_number() OVER (ORDER BY c.amount / m.median DESC, c.claim_id), c.claim_id, c.patient_id,
               c.ward, c.procedure_code, c.amount, round(m.median, 2), round(c.amount / m.median, 1)
        FROM {{claims}} c JOIN medians m USING (procedure_code)
        WHERE m.median > 0 AND c.amount >= {OUTLIER_FACTOR} * m.median
        ORDER BY c.amount / m.median DESC, c.claim_id
        LIMIT {OUTLIERS_LISTED}""",
    order_by="rank",
)

CURRENCIES = ReportTable(
    name="reports.financial_currencies",
    title="Claims by currency",
    description="every claim of the month by billing currency; only the report currency is in the figures",
    columns=(
        C("currency", "text", "Currency"),
        C("claims", "bigint", "Claims", "int"),
        C("amount", "numeric(16,2)", "Billed (own currency)", "decimal"),
        C("in_figures", "boolean", "In the figures", "bool"),
    ),
    key=("currency",),
    select="""
        SELECT currency, count(*), sum(amount), currency = %(currency)s
        FROM {billing} WHERE {billing_month} = %(period)s GROUP BY currency""",
    order_by="in_figures DESC, claims DESC, currency",
)

SUMMARY = ReportTable(
    name="reports.financial_summary",
    title="Key figures",
    description="the month's headline figures and the change against the month before",
    columns=(
        C("currency", "text", "Currency"),
        C("claims", "bigint", "Claims", "int"),
        C("patients", "bigint", "Patients", "int"),
        C("revenue", "numeric(16,2)", "Revenue", "money"),
        C("self_pay_claims", "bigint", "Self-pay claims", "int"),
        C("self_pay_revenue", "numeric(16,2)", "Self-pay revenue", "money"),
        C("self_pay_share", "numeric(7,4)", "Self-pay share of revenue", "pct"),
        C("approved_claims", "bigint", "Approved claims", "int"),
        C("approved_amount", "numeric(16,2)", "Approved amount", "money"),
        C("paid_amount", "numeric(16,2)", "Paid amount", "money"),
        C("denied_claims", "bigint", "Denied claims", "int"),
        C("denied_amount", "numeric(16,2)", "Denied amount (billed)", "money"),
        C("outstanding_claims", "bigint", "Outstanding claims", "int"),
        C("outstanding_amount", "numeric(16,2)", "Outstanding amount (billed)", "money"),
        C("denial_rate", "numeric(7,4)", "Denial rate", "pct"),
        C("prev_claims", "bigint", "Claims, previous month", "int"),
        C("prev_revenue", "numeric(16,2)", "Revenue, previous month", "money"),
        C("prev_denial_rate", "numeric(7,4)", "Denial rate, previous month", "pct"),
        C("revenue_change", "numeric(9,4)", "Revenue vs previous month", "change"),
        C("claims_change", "numeric(9,4)", "Claims vs previous month", "change"),
        C("other_currency_claims", "bigint", "Claims in other currencies (not in the figures)", "int"),
        C("unmatched_decisions", "bigint", "Insurer decisions on claims not billed this month", "int"),
    ),
    key=(),
    select="""
        WITH c AS (
            SELECT count(*) AS claims, count(DISTINCT patient_id) AS patients, coalesce(sum(amount), 0) AS revenue,
                   count(*) FILTER (WHERE claim_status = 'self-pay') AS self_pay_claims,
                   coalesce(sum(amount) FILTER (WHERE claim_status = 'self-pay'), 0) AS self_pay_revenue,
                   count(*) FILTER (WHERE claim_status = 'approved') AS approved_claims,
                   coalesce(sum(approved_amount) FILTER (WHERE claim_status = 'approved'), 0) AS approved_amount,
                   coalesce(sum(paid_amount), 0) AS paid_amount,
                   count(*) FILTER (WHERE claim_status = 'denied') AS denied_claims,
                   coalesce(sum(amount) FILTER (WHERE claim_status = 'denied'), 0) AS denied_amount,
                   count(*) FILTER (WHERE claim_status = 'outstanding') AS outstanding_claims,
                   coalesce(sum(amount) FILTER (WHERE claim_status = 'outstanding'), 0) AS outstanding_amount
            FROM {claims}
        ), prev AS (
            SELECT claims, revenue, denial_rate FROM {trend}
            WHERE report_month = %(period)s AND month = %(previous_month)s AND has_data
        )
        SELECT %(currency)s, c.claims, c.patients, c.revenue, c.self_pay_claims, c.self_pay_revenue,
               round(c.self_pay_revenue / nullif(c.revenue, 0), 4),
               c.approved_claims, c.approved_amount, c.paid_amount, c.denied_claims, c.denied_amount,
               c.outstanding_claims, c.outstanding_amount,
               round(c.denied_claims::numeric / nullif(c.approved_claims + c.denied_claims, 0), 4),
               prev.claims, prev.revenue, prev.denial_rate,
               round(c.revenue / nullif(prev.revenue, 0) - 1, 4),
               round(c.claims::numeric / nullif(prev.claims, 0) - 1, 4),
               (SELECT count(*) FROM {billing} WHERE {billing_month} = %(period)s AND currency <> %(currency)s),
               %(unmatched_decisions)s
        FROM c LEFT JOIN prev ON true""",
    order_by="report_month",
)

#: Every table, in build order (the summary reads the trend).
TABLES: tuple[ReportTable, ...] = (
    BY_WARD,
    BY_DIAGNOSIS,
    PAYER_MIX,
    CLAIM_STATUS,
    DENIALS_BY_PAYER,
    TREND,
    OUTLIERS,
    CURRENCIES,
    SUMMARY,
)
