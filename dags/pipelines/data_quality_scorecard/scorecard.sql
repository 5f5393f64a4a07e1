-- bi.data_quality_scorecard: one row per source and period, from its latest load in the ledger.
-- Templated by Airflow: params.config (thresholds.xml: default and per-source warn/fail ratios).
{% set cfg = params.config %}
{% set sources = cfg.source if cfg.source is sequence and cfg.source is not string and cfg.source is not mapping else [cfg.source] %}
CREATE SCHEMA IF NOT EXISTS bi;

CREATE TABLE IF NOT EXISTS bi.data_quality_scorecard (
    source text NOT NULL,
    period_kind text NOT NULL,
    period_start date NOT NULL,
    load_id bigint NOT NULL,
    status text NOT NULL,
    rows_read bigint NOT NULL,
    rows_rejected bigint NOT NULL,
    rows_loaded bigint NOT NULL,
    reject_ratio numeric(7, 4),
    warn_ratio numeric(7, 4) NOT NULL,
    fail_ratio numeric(7, 4) NOT NULL,
    grade text NOT NULL CHECK (grade IN ('ok', 'warn', 'fail')),
    built_at timestamptz NOT NULL DEFAULT now(),
    built_by_run text,
    PRIMARY KEY (source, period_start)
);

DELETE FROM bi.data_quality_scorecard;

INSERT INTO bi.data_quality_scorecard (
    source, period_kind, period_start, load_id, status, rows_read, rows_rejected, rows_loaded,
    reject_ratio, warn_ratio, fail_ratio, grade, built_by_run
)
WITH latest AS (
    SELECT DISTINCT ON (contract, period_start) *
    FROM dataplatform.loads
    ORDER BY contract, period_start, id DESC
), thresholds (source, warn_ratio, fail_ratio) AS (
    VALUES (NULL::text, {{ cfg.default["@warn"] | float }}, {{ cfg.default["@fail"] | float }})
    {% for s in sources %}, ('{{ s["@name"] }}', {{ s["@warn"] | float }}, {{ s["@fail"] | float }}){% endfor %}
), scored AS (
    SELECT l.*,
           round(l.rows_rejected::numeric / nullif(l.rows_read, 0), 4) AS reject_ratio,
           coalesce(t.warn_ratio, d.warn_ratio) AS warn_ratio,
           coalesce(t.fail_ratio, d.fail_ratio) AS fail_ratio
    FROM latest l
    CROSS JOIN (SELECT warn_ratio, fail_ratio FROM thresholds WHERE source IS NULL) d
    LEFT JOIN thresholds t ON t.source = l.contract
)
SELECT contract, period_kind, period_start, id, status, rows_read, rows_rejected, rows_loaded,
       reject_ratio, warn_ratio, fail_ratio,
       CASE WHEN status NOT IN ('reconciled', 'skipped') THEN 'fail'
            WHEN coalesce(reject_ratio, 0) <= warn_ratio THEN 'ok'
            WHEN reject_ratio <= fail_ratio THEN 'warn'
            ELSE 'fail' END,
       '{{ run_id }}'
FROM scored;
