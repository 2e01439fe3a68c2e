-- ads.ads_pay_gmv_1d: GMV per channel and day with day-over-day change.
-- Dates are the business date (bizdate), the day in the flow's time zone (Asia/Shanghai).
-- Airflow's ds macro would not do: it is the UTC date of the run's logical date, which is
-- the day before for this flow's midnight run in Beijing.
WITH today AS (
    SELECT c.channel,
           SUM(c.amount_cny)      AS gmv_cny,
           SUM(c.success_cnt)     AS success_cnt,
           SUM(c.order_cnt)       AS order_cnt
    FROM dws.dws_pay_channel_1d c
    WHERE c.dt = '${bizdate}'
    GROUP BY c.channel
),
merchants AS (
    SELECT COUNT(DISTINCT IF(paid_cnt > 0, merchant_id, NULL)) AS active_merchant_cnt,
           SUM(refund_cny)                                      AS refund_cny
    FROM dws.dws_pay_merchant_1d
    WHERE dt = '${bizdate}'
),
yesterday AS (
    SELECT channel, gmv_cny
    FROM ads_pay_gmv_1d
    WHERE dt = DATE_SUB('${bizdate}', 1)
)
INSERT OVERWRITE TABLE ads_pay_gmv_1d PARTITION (dt = '${bizdate}')
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
LEFT JOIN dim.dim_calendar cal ON cal.calendar_date = '${bizdate}';
