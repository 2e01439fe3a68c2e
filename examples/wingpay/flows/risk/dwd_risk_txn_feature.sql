-- dwd.dwd_risk_txn_feature_di: one row per paid transaction with risk features.
-- Inputs come from three flows: payments (orders), users (dim_user, devices) and the
-- external vendor blacklist. This task's default_database is dwd.

-- Devices that look suspicious today; a temporary view is not a table, so it creates
-- no dependency and needs no writer.
CREATE OR REPLACE TEMPORARY VIEW risky_device AS
SELECT device_id,
       MAX(users_on_device)                         AS users_on_device,
       MAX(IF(is_emulator OR is_rooted, 1, 0))      AS tampered
FROM dwd_usr_device_di
WHERE dt = '${bizdate}'
GROUP BY device_id;

INSERT OVERWRITE TABLE dwd_risk_txn_feature_di PARTITION (dt = '${bizdate}')
SELECT /*+ BROADCAST(b) */
    o.order_id,
    o.user_id,
    o.merchant_id,
    o.channel,
    o.amount_cny,
    o.paid_at,
    o.pay_hour BETWEEN 0 AND 5                              AS is_night,
    u.kyc_tier,
    u.tenure_days,
    COALESCE(d.users_on_device, 1)                          AS users_on_device,
    COALESCE(d.tampered, 0) = 1                             AS device_tampered,
    b.entity_value IS NOT NULL                              AS is_blacklisted,
    o.amount_cny / NULLIF(AVG(o.amount_cny) OVER (PARTITION BY o.user_id), 0) AS amount_vs_user_avg,
    ROW_NUMBER() OVER (PARTITION BY o.user_id ORDER BY o.paid_at)            AS user_txn_seq
FROM dwd_pay_order_di o
LEFT JOIN dim_user u
       ON u.user_id = o.user_id
      AND u.dt = '${bizdate}'
LEFT JOIN risky_device d
       ON d.device_id = o.device_id
LEFT JOIN ods.risk_blacklist b
       ON b.entity_type = 'DEVICE'
      AND b.entity_value = o.device_id
WHERE o.dt = '${bizdate}'
  AND o.is_paid;
