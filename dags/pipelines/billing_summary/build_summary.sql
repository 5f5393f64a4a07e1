-- bi.billing_summary: one row per billing month, ward, payer and currency. The ward is the claim's,
-- else the patient's (as in the financial report); claims without a payer are self-pay.
-- Templated by Airflow: params.period (YYYY-MM or empty: every month), params.config (summary.json).
{% set cfg = params.config %}
CREATE SCHEMA IF NOT EXISTS bi;

CREATE TABLE IF NOT EXISTS bi.billing_summary (
    billing_month date NOT NULL,
    ward text NOT NULL,
    payer text NOT NULL,
    currency text NOT NULL,
    claims bigint NOT NULL,
    billed_amount numeric(16, 2) NOT NULL,
    approved_amount numeric(16, 2) NOT NULL,
    paid_amount numeric(16, 2) NOT NULL,
    denied_claims bigint NOT NULL,
    outstanding_claims bigint NOT NULL,
    denial_rate numeric(7, 4),
    built_at timestamptz NOT NULL DEFAULT now(),
    built_by_run text,
    PRIMARY KEY (billing_month, ward, payer, currency)
);

DELETE FROM bi.billing_summary
WHERE {% if params.period %}billing_month = DATE '{{ params.period }}-01'{% else %}true{% endif %};

INSERT INTO bi.billing_summary (
    billing_month, ward, payer, currency, claims, billed_amount, approved_amount, paid_amount,
    denied_claims, outstanding_claims, denial_rate, built_by_run
)
SELECT b.billing_month,
       coalesce(nullif(b.ward, ''), nullif(p.ward, ''), '{{ cfg.unknown_ward }}'),
       coalesce(nullif(b.payer_id, ''), '{{ cfg.self_pay_label }}'),
       b.currency,
       count(*),
       sum(b.amount),
       coalesce(sum(i.approved_amount), 0),
       coalesce(sum(i.paid_amount), 0),
       count(*) FILTER (WHERE i.status = 'denied'),
       count(*) FILTER (WHERE nullif(b.payer_id, '') IS NOT NULL
                          AND (i.status IS NULL OR i.status IN ('{{ cfg.outstanding_statuses | join("', '") }}'))),
       round(count(*) FILTER (WHERE i.status = 'denied')::numeric
             / nullif(count(*) FILTER (WHERE i.status IN ('{{ cfg.decided_statuses | join("', '") }}')), 0), 4),
       '{{ run_id }}'
FROM public.billing_claims b
LEFT JOIN public.patients p ON p.patient_id = b.patient_id
LEFT JOIN public.insurance_claims i ON i.claim_id = b.claim_id AND i.claims_month = b.billing_month
{% if params.period %}WHERE b.billing_month = DATE '{{ params.period }}-01'{% endif %}
GROUP BY 1, 2, 3, 4;
