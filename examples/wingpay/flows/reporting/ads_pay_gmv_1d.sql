-- ads.ads_pay_gmv_1d: GMV per channel and day with day-over-day change.
-- Airflow macros are allowed next to flowc parameters: {{ ds }} is the run's logical date.
WITH today AS (
    SELECT c.channel,
           SUM(c.amount_cny)      AS gmv_cny,
           SUM(c.success_cnt)     AS success_cnt,
           SUM(c.order_cnt)       AS order_cnt
    FROM dws.dws_pay_channel_1d c
    WHERE c.dt = '{{ ds }}'
    GROUP BY c.channel
),
merchants AS (
    SELECT COUNT(DISTINCT IF(paid_cnt > 0, merchant_id, NULL)) AS active_merchant_cnt,
           SUM(refund_cny)                                      AS refund_cny
    FROM dws.dws_pay_merchant_1d
    WHERE dt = '{{ ds }}'
),
yesterday AS (
    SELECT channel, gmv_cny
    FROM ads_pay_gmv_1d
    WHERE dt = '{{ macros.ds_add(ds, -1) }}'
)
INSERT OVERWRITE TABLE ads_pay_gmv_1d PARTITION (dt = '{{ ds }}')
SELECT
    t.channel,
    cal.is_holiday,
    cal.week_of_year,
    t.order_cnt,
    t.success_cnt,
    t.gmv_cny,
    m.active_merchant_cnt,
    m.refund_cny,
    ROUND(t.gmv_cny / NULLIF(y.gmv_cny, 0) - 1, 4)                    AS gmv_dod,
    ROUND(t.gmv_cny / SUM(t.gmv_cny) OVER (), 4)                      AS channel_share
FROM today t
CROSS JOIN merchants m
LEFT JOIN yesterday y ON y.channel = t.channel
LEFT JOIN dim.dim_calendar cal ON cal.calendar_date = '{{ ds }}';
