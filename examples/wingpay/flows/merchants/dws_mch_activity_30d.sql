-- dws.dws_mch_activity_30d: rolling activity over ${lookback_days} days per merchant.
-- Reads dws.dws_pay_merchant_1d, written by the payments flow.
WITH daily AS (
    SELECT
        merchant_id,
        dt,
        gmv_cny,
        paid_cnt,
        -- gap since the merchant's previous paid day, to spot merchants going quiet
        DATEDIFF(dt, LAG(dt) OVER (PARTITION BY merchant_id ORDER BY dt)) AS days_since_prev
    FROM dws.dws_pay_merchant_1d
    WHERE dt > DATE_SUB('${bizdate}', 2 * ${lookback_days})
      AND dt <= '${bizdate}'
      AND paid_cnt > 0
),
windowed AS (
    SELECT
        merchant_id,
        SUM(IF(dt > DATE_SUB('${bizdate}', ${lookback_days}), gmv_cny, 0))    AS gmv_cur,
        SUM(IF(dt <= DATE_SUB('${bizdate}', ${lookback_days}), gmv_cny, 0))   AS gmv_prev,
        COUNT(DISTINCT IF(dt > DATE_SUB('${bizdate}', ${lookback_days}), dt, NULL)) AS active_days,
        MAX(dt)                                                                AS last_active_dt,
        MAX(days_since_prev)                                                   AS max_gap_days
    FROM daily
    GROUP BY merchant_id
)
INSERT OVERWRITE TABLE dws.dws_mch_activity_30d PARTITION (dt = '${bizdate}')
SELECT
    w.merchant_id,
    m.industry,
    m.city_code,
    w.gmv_cur,
    w.gmv_prev,
    CASE WHEN w.gmv_prev > 0 THEN ROUND((w.gmv_cur - w.gmv_prev) / w.gmv_prev, 4) END AS gmv_growth,
    w.active_days,
    w.last_active_dt,
    w.max_gap_days,
    CASE
        WHEN w.active_days = 0                 THEN 'LOST'
        WHEN w.active_days < ${min_active_days} THEN 'DORMANT'
        WHEN w.gmv_cur < w.gmv_prev * 0.5      THEN 'DECLINING'
        ELSE 'ACTIVE'
    END                                                AS activity_level,
    NTILE(10) OVER (PARTITION BY m.industry ORDER BY w.gmv_cur DESC) AS gmv_decile_in_industry
FROM windowed w
JOIN dwd.dim_merchant m
  ON m.merchant_id = w.merchant_id
 AND m.dt = '${bizdate}';
