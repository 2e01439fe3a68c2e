-- ads.ads_fin_recon_1d: the numbers finance signs off every morning.
-- All three inputs come from the payments flow.
WITH matched AS (
    SELECT COUNT(*) AS matched_cnt, SUM(order_amount) AS matched_amount, SUM(bank_fee) AS bank_fee
    FROM dwd.dwd_pay_recon_matched_di
    WHERE dt = '${bizdate}'
),
diff AS (
    SELECT
        COUNT(*)                                                   AS diff_cnt,
        SUM(IF(recon_result = 'AMOUNT_MISMATCH', ABS(order_amount - settle_amount), 0)) AS mismatch_amount,
        SUM(IF(recon_result = 'MISSING_AT_BANK', order_amount, 0))    AS missing_at_bank_amount,
        SUM(IF(recon_result = 'MISSING_AT_WINGPAY', settle_amount, 0)) AS missing_at_wingpay_amount
    FROM dwd.dwd_pay_recon_diff_di
    WHERE dt = '${bizdate}'
),
balance AS (
    SELECT SUM(closing_balance) AS total_closing_balance,
           SUM(net_change)      AS total_net_change
    FROM dws.dws_acct_balance_1d
    WHERE dt = '${bizdate}' AND currency = '${base_currency}'
)
INSERT OVERWRITE TABLE ads_fin_recon_1d PARTITION (dt = '${bizdate}')
SELECT
    m.matched_cnt,
    m.matched_amount,
    m.bank_fee,
    d.diff_cnt,
    d.mismatch_amount,
    d.missing_at_bank_amount,
    d.missing_at_wingpay_amount,
    b.total_closing_balance,
    b.total_net_change,
    CASE WHEN d.diff_cnt = 0 THEN 'CLEAN' WHEN d.mismatch_amount < 100 THEN 'MINOR' ELSE 'ESCALATE' END AS recon_status
FROM matched m
CROSS JOIN diff d
CROSS JOIN balance b;
