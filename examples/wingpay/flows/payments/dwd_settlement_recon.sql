-- Bank reconciliation. One scan of the joined data feeds two tables (Hive multi-insert):
--   dwd.dwd_pay_recon_matched_di  settlement lines that agree with our order
--   dwd.dwd_pay_recon_diff_di     everything else, with a reason for the finance team
FROM (
    SELECT
        COALESCE(b.order_id, o.order_id)          AS order_id,
        b.bank_serial_no,
        o.merchant_id,
        o.channel,
        o.amount_cny                              AS order_amount,
        CAST(b.settle_amount AS DECIMAL(18, 2))   AS settle_amount,
        CAST(b.fee_amount AS DECIMAL(18, 2))      AS bank_fee,
        b.settle_status,
        b.settle_time,
        CASE
            WHEN b.order_id IS NULL                                   THEN 'MISSING_AT_BANK'
            WHEN o.order_id IS NULL                                   THEN 'MISSING_AT_WINGPAY'
            WHEN ABS(o.amount_cny - b.settle_amount) > ${recon_tolerance} THEN 'AMOUNT_MISMATCH'
            WHEN b.settle_status <> '00'                              THEN 'BANK_FAILED'
            ELSE 'MATCHED'
        END                                       AS recon_result
    FROM (SELECT * FROM ods.bank_settlement_detail WHERE dt = '${bizdate}') b
    FULL OUTER JOIN (
        SELECT order_id, merchant_id, channel, amount_cny
        FROM dwd.dwd_pay_order_di
        WHERE dt = '${bizdate}' AND is_paid AND channel = 'BANK_CARD'
    ) o ON o.order_id = b.order_id
) r
INSERT OVERWRITE TABLE dwd.dwd_pay_recon_matched_di PARTITION (dt = '${bizdate}')
SELECT order_id, bank_serial_no, merchant_id, channel, order_amount, bank_fee, settle_time
WHERE recon_result = 'MATCHED'
INSERT OVERWRITE TABLE dwd.dwd_pay_recon_diff_di PARTITION (dt = '${bizdate}')
SELECT order_id, bank_serial_no, merchant_id, channel, order_amount, settle_amount,
       settle_status, recon_result, '${flow}.${task}' AS detected_by
WHERE recon_result <> 'MATCHED';
