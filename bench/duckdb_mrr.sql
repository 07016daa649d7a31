-- DuckDB baseline for `revcli mrr --from ${FROM} --to ${TO} --format csv`.
--
-- SPEC §2-4 written as straightforward SQL: read the CSVs, compute each line's MRR in
-- the base currency, expand lines x month ends (a snapshot per month), sum per
-- (customer, product, month) and classify the movements. Only the columns month, mrr,
-- arr, customers, the seven movements and net_change are produced.
--
-- bench/duckdb_baseline.py fills in ${DATA} (data dir), ${FROM} and ${TO} (YYYY-MM),
-- ${BASE} (base currency) and ${OUT} (output CSV).

-- d + m months, clamped to the last day of a shorter month (SPEC §7)
CREATE MACRO add_months(d, m) AS CAST(d + to_months(CAST(m AS INTEGER)) AS DATE);

-- number of renewal days a + k * rtm months (k >= 0) on or before d
CREATE MACRO renewals_by(a, rtm, d) AS
    CASE WHEN d < a THEN 0
    ELSE datediff('month', a, d) // rtm + 1
         - CASE WHEN add_months(a, datediff('month', a, d) // rtm * rtm) > d THEN 1 ELSE 0 END
    END;

CREATE TEMP TABLE fx AS
SELECT CAST(date AS DATE) AS day, upper(currency) AS currency, CAST(rate AS DOUBLE) AS rate
FROM read_csv('${DATA}/fx_rates.csv', header = true, all_varchar = true)
WHERE upper(currency) <> '${BASE}';

CREATE TEMP TABLE raw_contracts AS
SELECT
    contract_id,
    customer_id,
    CAST(start_date AS DATE) AS start_date,
    CAST(end_date AS DATE) AS end_date,
    coalesce(upper(currency), '${BASE}') AS currency,
    coalesce(lower(auto_renew) IN ('true', 'yes', '1'), false)
        AND end_date IS NOT NULL AS auto_renew,
    CAST(renewal_term_months AS INTEGER) AS renewal_term_months,
    coalesce(CAST(renewal_uplift_pct AS DOUBLE), 0) AS uplift_pct,
    CAST(cancelled_on AS DATE) AS cancelled_on
FROM read_csv('${DATA}/contracts.csv', header = true, all_varchar = true);

-- first term length (SPEC §2): whole months m with start + m months <= end + 1 day,
-- plus the days left / 30.4375
CREATE TEMP TABLE contracts AS
WITH whole AS (
    SELECT *, datediff('month', start_date, end_date + 1) AS m0 FROM raw_contracts
), months AS (
    SELECT *,
        m0 - CASE WHEN add_months(start_date, m0) > end_date + 1 THEN 1 ELSE 0 END AS m
    FROM whole
), term AS (
    SELECT *, m + (end_date + 1 - add_months(start_date, m)) / 30.4375 AS term_months
    FROM months
)
SELECT
    t.*,
    coalesce(t.renewal_term_months, CAST(round(t.term_months) AS INTEGER)) AS rtm,
    CASE WHEN t.currency = '${BASE}' THEN 1.0 ELSE fx.rate END AS booking_rate
FROM term t
ASOF LEFT JOIN fx ON t.currency = fx.currency AND t.start_date >= fx.day;

-- recurring lines with a positive MRR in the base currency (SPEC §2) and their activity
-- window (SPEC §3)
CREATE TEMP TABLE lines AS
WITH raw AS (
    SELECT
        contract_id,
        product,
        coalesce(CAST(quantity AS DOUBLE), 1) AS quantity,
        CAST(unit_price AS DOUBLE) AS unit_price,
        coalesce(lower(price_period), 'month') AS price_period,
        coalesce(CAST(discount_pct AS DOUBLE), 0) AS discount_pct,
        CAST(start_date AS DATE) AS start_date,
        CAST(end_date AS DATE) AS end_date
    FROM read_csv('${DATA}/contract_lines.csv', header = true, all_varchar = true)
)
SELECT
    c.customer_id,
    l.product,
    coalesce(l.start_date, c.start_date) AS active_from,
    coalesce(
        least(l.end_date, c.cancelled_on, CASE WHEN NOT c.auto_renew THEN c.end_date END),
        DATE '9999-12-31'
    ) AS active_to,
    l.quantity * l.unit_price * (1 - l.discount_pct / 100)
        / CASE l.price_period
            WHEN 'month' THEN 1
            WHEN 'quarter' THEN 3
            WHEN 'half-year' THEN 6
            WHEN 'year' THEN 12
            WHEN 'term' THEN c.term_months
        END
        * c.booking_rate AS line_mrr,
    c.auto_renew AND c.uplift_pct <> 0 AS uplifted,
    c.end_date + 1 AS renewal_anchor,
    c.rtm,
    c.uplift_pct
FROM raw l
JOIN contracts c USING (contract_id)
WHERE l.price_period <> 'once';

DELETE FROM lines WHERE line_mrr <= 0;

-- every month end from the first active month (for "ever active before") to ${TO}
CREATE TEMP TABLE months AS
SELECT CAST(m AS DATE) AS month, last_day(CAST(m AS DATE)) AS month_end
FROM range(
    (SELECT least(min(date_trunc('month', active_from)), DATE '${FROM}-01' - INTERVAL 1 MONTH)
     FROM lines),
    DATE '${TO}-01' + INTERVAL 1 MONTH,
    INTERVAL 1 MONTH
) AS t(m);

-- MRR per (customer, product) at each month end; a line is uplifted at every renewal
-- day after its start, up to the month end (SPEC §3)
CREATE TEMP TABLE cp AS
SELECT
    l.customer_id,
    l.product,
    m.month,
    round(sum(
        l.line_mrr * CASE WHEN l.uplifted THEN pow(
            1 + l.uplift_pct / 100,
            renewals_by(l.renewal_anchor, l.rtm, m.month_end)
                - renewals_by(l.renewal_anchor, l.rtm, l.active_from)
        ) ELSE 1 END
    ), 9) AS mrr
FROM lines l
JOIN months m ON m.month_end >= l.active_from AND m.month_end <= l.active_to
GROUP BY ALL;

CREATE TEMP TABLE first_active AS
SELECT customer_id, min(month) AS first_month FROM cp GROUP BY ALL;

-- movements (SPEC §4): compare each (customer, product) at M-1 and M
CREATE TEMP TABLE movements AS
WITH cur AS (
    SELECT customer_id, product, month, mrr FROM cp
    WHERE month BETWEEN DATE '${FROM}-01' AND DATE '${TO}-01'
), prev AS (
    SELECT customer_id, product, CAST(month + INTERVAL 1 MONTH AS DATE) AS month, mrr FROM cp
    WHERE month BETWEEN DATE '${FROM}-01' - INTERVAL 1 MONTH
                    AND DATE '${TO}-01' - INTERVAL 1 MONTH
), pair AS (
    SELECT
        coalesce(c.customer_id, p.customer_id) AS customer_id,
        coalesce(c.month, p.month) AS month,
        coalesce(c.mrr, 0) AS cur,
        coalesce(p.mrr, 0) AS prev
    FROM cur c
    FULL JOIN prev p
        ON c.customer_id = p.customer_id AND c.product = p.product AND c.month = p.month
), totals AS (
    SELECT
        pair.*,
        sum(cur) OVER (PARTITION BY pair.customer_id, month) AS c_cur,
        sum(prev) OVER (PARTITION BY pair.customer_id, month) AS c_prev,
        f.first_month
    FROM pair
    LEFT JOIN first_active f USING (customer_id)
)
SELECT
    month,
    sum(CASE WHEN c_prev = 0 AND c_cur > 0 AND first_month >= month THEN cur ELSE 0 END)
        AS new,
    sum(CASE WHEN c_prev > 0 AND c_cur > 0 AND prev = 0 AND cur > 0 THEN cur ELSE 0 END)
        AS expansion,
    sum(CASE WHEN c_prev > 0 AND c_cur > 0 AND prev > 0 AND cur > prev
        THEN cur - prev ELSE 0 END) AS upgrade,
    sum(CASE WHEN c_prev = 0 AND c_cur > 0 AND first_month < month THEN cur ELSE 0 END)
        AS reactivation,
    sum(CASE WHEN c_prev > 0 AND c_cur > 0 AND cur > 0 AND prev > cur
        THEN cur - prev ELSE 0 END) AS downgrade,
    sum(CASE WHEN c_prev > 0 AND c_cur > 0 AND prev > 0 AND cur = 0 THEN -prev ELSE 0 END)
        AS cancellation,
    sum(CASE WHEN c_prev > 0 AND c_cur = 0 THEN -prev ELSE 0 END) AS churn
FROM totals
GROUP BY month;

CREATE TEMP TABLE summary AS
SELECT
    m.month,
    coalesce(s.mrr, 0) AS mrr,
    coalesce(s.customers, 0) AS customers
FROM months m
LEFT JOIN (
    SELECT month, sum(total) AS mrr, count(*) AS customers
    FROM (SELECT customer_id, month, sum(mrr) AS total FROM cp GROUP BY ALL)
    WHERE total > 0
    GROUP BY month
) s USING (month)
WHERE m.month BETWEEN DATE '${FROM}-01' AND DATE '${TO}-01';

COPY (
    SELECT
        strftime(s.month, '%Y-%m') AS month,
        round(s.mrr, 2) AS mrr,
        round(12 * s.mrr, 2) AS arr,
        s.customers,
        round(coalesce(v.new, 0), 2) AS new,
        round(coalesce(v.expansion, 0), 2) AS expansion,
        round(coalesce(v.upgrade, 0), 2) AS upgrade,
        round(coalesce(v.reactivation, 0), 2) AS reactivation,
        round(coalesce(v.downgrade, 0), 2) AS downgrade,
        round(coalesce(v.cancellation, 0), 2) AS cancellation,
        round(coalesce(v.churn, 0), 2) AS churn,
        round(
            coalesce(v.new + v.expansion + v.upgrade + v.reactivation
                     + v.downgrade + v.cancellation + v.churn, 0),
            2
        ) AS net_change
    FROM summary s
    LEFT JOIN movements v USING (month)
    ORDER BY s.month
) TO '${OUT}' (HEADER, DELIMITER ',');
