-- dwd.dwd_pay_order_di: one row per payment order touched on the business day,
-- latest version only, with amounts converted to the base currency.
WITH latest AS (
    SELECT
        o.*,
        ROW_NUMBER() OVER (PARTITION BY o.order_id ORDER BY o.gmt_modified DESC) AS rn
    FROM ods.pay_order o
    WHERE o.dt = '${bizdate}'
),
fx AS (
    SELECT currency, rate_to_cny
    FROM ods.fx_rate_daily
    WHERE dt = '${bizdate}'
)
INSERT OVERWRITE TABLE dwd.dwd_pay_order_di PARTITION (dt = '${bizdate}')
SELECT /*+ BROADCAST(fx) */
    l.order_id,
    l.user_id,
    l.merchant_id,
    l.store_id,
    UPPER(l.channel)                                        AS channel,
    l.pay_method,
    l.currency,
    l.amount                                                AS amount_orig,
    ROUND(l.amount * COALESCE(fx.rate_to_cny, 1), ${amount_scale})     AS amount_cny,
    ROUND(l.fee_amount * COALESCE(fx.rate_to_cny, 1), ${amount_scale}) AS fee_cny,
    '${base_currency}'                                      AS base_currency,
    CASE l.status
        WHEN 'S' THEN 'SUCCESS'
        WHEN 'F' THEN 'FAILED'
        WHEN 'C' THEN 'CLOSED'
        WHEN 'R' THEN 'REFUNDED'
        ELSE 'PROCESSING'
    END                                                     AS order_status,
    l.status = 'S' OR l.status = 'R'                        AS is_paid,
    l.client_ip,
    l.device_id,
    CAST(l.gmt_create AS TIMESTAMP)                         AS created_at,
    CAST(l.gmt_pay AS TIMESTAMP)                            AS paid_at,
    HOUR(l.gmt_pay)                                         AS pay_hour
FROM latest l
LEFT JOIN fx
       ON fx.currency = l.currency
WHERE l.rn = 1;
