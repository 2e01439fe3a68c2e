-- dws.dws_pay_merchant_1d: one row per merchant and day.
-- dwd.dim_merchant is written by the merchants flow: a cross-flow dependency.
WITH pay AS (
    SELECT merchant_id,
           COUNT(*)                                         AS order_cnt,
           SUM(IF(is_paid, 1, 0))                           AS paid_cnt,
           SUM(IF(is_paid, amount_cny, 0))                  AS gmv_cny,
           SUM(IF(is_paid, fee_cny, 0))                     AS fee_cny,
           COUNT(DISTINCT IF(is_paid, user_id, NULL))       AS payer_cnt
    FROM dwd.dwd_pay_order_di
    WHERE dt = '${bizdate}'
    GROUP BY merchant_id
),
refund AS (
    SELECT merchant_id,
           COUNT(*)          AS refund_cnt,
           SUM(refund_cny)   AS refund_cny
    FROM dwd.dwd_pay_refund_di
    WHERE dt = '${bizdate}' AND refund_status = 'SUCCESS'
    GROUP BY merchant_id
)
INSERT OVERWRITE TABLE dws.dws_pay_merchant_1d PARTITION (dt = '${bizdate}')
SELECT
    p.merchant_id,
    m.merchant_name,
    m.industry,
    m.city_code,
    p.order_cnt,
    p.paid_cnt,
    p.payer_cnt,
    p.gmv_cny,
    p.fee_cny,
    COALESCE(r.refund_cnt, 0)                       AS refund_cnt,
    COALESCE(r.refund_cny, 0)                       AS refund_cny,
    p.gmv_cny - COALESCE(r.refund_cny, 0)           AS net_gmv_cny,
    ROUND(p.paid_cnt / p.order_cnt, 4)              AS success_rate
FROM pay p
LEFT JOIN refund r ON r.merchant_id = p.merchant_id
LEFT JOIN dwd.dim_merchant m
       ON m.merchant_id = p.merchant_id
      AND m.dt = '${bizdate}';
