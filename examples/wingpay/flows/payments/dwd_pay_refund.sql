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
-- refunds may target orders of any earlier day, so look back over the order history
LEFT JOIN (
    SELECT order_id, merchant_id, user_id, channel, amount_orig, amount_cny, created_at
    FROM dwd.dwd_pay_order_di
    WHERE dt > DATE_SUB('${bizdate}', 180) AND dt <= '${bizdate}'
) o ON o.order_id = r.order_id
WHERE r.dt = '${bizdate}';
