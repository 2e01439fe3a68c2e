-- dwd.dwd_pay_refund_di: refunds of the day, joined to their original order so that
-- merchant and channel are known downstream without a second join.
INSERT OVERWRITE TABLE dwd.dwd_pay_refund_di PARTITION (dt = '${bizdate}')
SELECT
    r.refund_id,
    r.order_id,
    o.merchant_id,
    o.user_id,
    o.channel,
    ROUND(r.refund_amount * (o.amount_cny / NULLIF(o.amount_orig, 0)), ${amount_scale}) AS refund_cny,
    r.reason_code,
    CASE
        WHEN r.status IN ('SUCCESS', 'S') THEN 'SUCCESS'
        WHEN r.status IN ('FAIL', 'F')    THEN 'FAILED'
        ELSE 'PROCESSING'
    END                                      AS refund_status,
    DATEDIFF(TO_DATE(r.gmt_create), TO_DATE(o.created_at)) AS days_after_payment,
    CAST(r.gmt_create AS TIMESTAMP)          AS created_at
FROM ods.pay_refund_order r
-- refunds may target orders of any earlier day, so look back over the order history;
-- an order is in the partition of every day it changed on (paid, later refunded), so
-- keep its latest one: one row per refund
LEFT JOIN (
    SELECT order_id, merchant_id, user_id, channel, amount_orig, amount_cny, created_at
    FROM (
        SELECT h.*, ROW_NUMBER() OVER (PARTITION BY h.order_id ORDER BY h.dt DESC) AS rn
        FROM dwd.dwd_pay_order_di h
        WHERE h.dt > DATE_SUB('${bizdate}', 180) AND h.dt <= '${bizdate}'
    ) history
    WHERE rn = 1
) o ON o.order_id = r.order_id
WHERE r.dt = '${bizdate}';
