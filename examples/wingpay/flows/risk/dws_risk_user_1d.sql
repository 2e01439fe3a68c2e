-- dws.dws_risk_user_1d (the flow's default_database is dws, so the name is unqualified):
-- per-user daily risk summary, including transaction velocity inside a one-hour window.
WITH velocity AS (
    SELECT
        user_id,
        amount_cny,
        is_night,
        device_tampered,
        is_blacklisted,
        COUNT(*) OVER (
            PARTITION BY user_id
            ORDER BY CAST(paid_at AS LONG)
            RANGE BETWEEN 3600 PRECEDING AND CURRENT ROW
        )                                                     AS txn_last_hour
    FROM dwd.dwd_risk_txn_feature_di
    WHERE dt = '${bizdate}'
)
INSERT OVERWRITE TABLE dws_risk_user_1d PARTITION (dt = '${bizdate}')
SELECT
    user_id,
    COUNT(*)                                          AS txn_cnt,
    SUM(amount_cny)                                   AS amount_cny,
    MAX(txn_last_hour)                                AS max_txn_per_hour,
    SUM(IF(is_night, 1, 0))                           AS night_txn_cnt,
    MAX(IF(device_tampered, 1, 0))                    AS used_tampered_device,
    MAX(IF(is_blacklisted, 1, 0))                     AS hit_blacklist
FROM velocity
GROUP BY user_id;
