-- dwd.dwd_pay_chargeback_di: one row per chargeback in the batch, with the original
-- order. ods.pay_chargeback_batch is written by the trigger task (declared in flow.yaml);
-- dwd.dwd_pay_order_di comes from the payments flow.
INSERT INTO TABLE dwd.dwd_pay_chargeback_di PARTITION (dt = '${bizdate}')
SELECT
    cb.case_id,
    cb.arn,
    cb.order_id,
    o.merchant_id,
    o.user_id,
    o.channel,
    CAST(cb.dispute_amount AS DECIMAL(18, 2))         AS dispute_amount,
    cb.dispute_currency,
    cb.reason_code,
    CASE
        WHEN cb.reason_code IN ('10.4', '4837', '4863') THEN 'FRAUD'
        WHEN cb.reason_code IN ('13.1', '4855')         THEN 'NOT_RECEIVED'
        WHEN cb.reason_code IN ('13.3', '4853')         THEN 'NOT_AS_DESCRIBED'
        ELSE 'OTHER'
    END                                                AS reason_group,
    cb.batch_id,
    o.paid_at,
    CAST(cb.received_at AS TIMESTAMP)                  AS received_at
FROM ods.pay_chargeback_batch cb
LEFT JOIN dwd.dwd_pay_order_di o
       ON o.order_id = cb.order_id
      AND o.dt >= DATE_SUB('${bizdate}', 540)   -- networks allow disputes up to 540 days
WHERE cb.dt = '${bizdate}';
