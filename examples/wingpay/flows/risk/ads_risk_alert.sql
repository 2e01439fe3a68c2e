-- ads.ads_risk_alert_di: transactions of high-scoring users, for manual review.
INSERT OVERWRITE TABLE ads.ads_risk_alert_di PARTITION (dt = '${bizdate}')
SELECT
    s.user_id,
    s.fraud_score,
    s.top_reason,
    f.order_id,
    f.amount_cny,
    f.paid_at,
    m.merchant_id,
    m.merchant_name,
    m.industry,
    CASE
        WHEN s.fraud_score >= 0.95 OR f.is_blacklisted THEN 'P1'
        WHEN s.fraud_score >= 0.90                     THEN 'P2'
        ELSE 'P3'
    END                                                 AS alert_level,
    '${score_model_version}'                            AS model_version
FROM dws.dws_risk_fraud_score_1d s
JOIN dwd.dwd_risk_txn_feature_di f
  ON f.user_id = s.user_id
 AND f.dt = '${bizdate}'
LEFT JOIN dwd.dim_merchant m
       ON m.merchant_id = f.merchant_id
      AND m.dt = '${bizdate}'
WHERE s.dt = '${bizdate}'
  AND s.fraud_score >= ${alert_threshold};
