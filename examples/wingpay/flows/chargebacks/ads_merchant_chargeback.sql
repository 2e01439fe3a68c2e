-- ads.ads_mch_chargeback_di: chargeback count and ratio per merchant for the day's batch,
-- flagged when the ratio breaches the card-network limit.
WITH cb AS (
    SELECT merchant_id,
           COUNT(*)                                  AS chargeback_cnt,
           SUM(dispute_amount)                       AS dispute_amount,
           SUM(IF(reason_group = 'FRAUD', 1, 0))     AS fraud_cnt
    FROM dwd.dwd_pay_chargeback_di
    WHERE dt = '${bizdate}'
    GROUP BY merchant_id
)
INSERT OVERWRITE TABLE ads.ads_mch_chargeback_di PARTITION (dt = '${bizdate}')
SELECT
    cb.merchant_id,
    m.merchant_name,
    m.industry,
    cb.chargeback_cnt,
    cb.fraud_cnt,
    cb.dispute_amount,
    ROUND(cb.chargeback_cnt / NULLIF(m.paid_cnt_30d, 0), 5)                     AS chargeback_ratio,
    cb.chargeback_cnt / NULLIF(m.paid_cnt_30d, 0) > ${chargeback_ratio_limit}   AS over_limit
FROM cb
LEFT JOIN (
    SELECT d.merchant_id, d.merchant_name, d.industry, SUM(p.paid_cnt) AS paid_cnt_30d
    FROM dwd.dim_merchant d
    LEFT JOIN dws.dws_pay_merchant_1d p
           ON p.merchant_id = d.merchant_id
          AND p.dt > DATE_SUB('${bizdate}', 30)
          AND p.dt <= '${bizdate}'
    WHERE d.dt = '${bizdate}'
    GROUP BY d.merchant_id, d.merchant_name, d.industry
) m ON m.merchant_id = cb.merchant_id;
