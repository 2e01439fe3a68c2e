-- dwd.dim_merchant: one row per merchant per day (full snapshot). The flow has no
-- default_database, so unqualified names would fall back to the project's (dwd);
-- names are written in full here anyway.
WITH store_stats AS (
    SELECT
        merchant_id,
        COUNT(*)                                    AS store_cnt,
        SUM(IF(status = 'OPEN', 1, 0))              AS open_store_cnt,
        MIN(gmt_create)                             AS first_store_at
    FROM ods.mch_store
    WHERE dt = '${bizdate}'
    GROUP BY merchant_id
),
first_store AS (
    SELECT merchant_id, city_code
    FROM (
        SELECT merchant_id, city_code,
               ROW_NUMBER() OVER (PARTITION BY merchant_id ORDER BY gmt_create, store_id) AS rn
        FROM ods.mch_store
        WHERE dt = '${bizdate}'
    ) s
    WHERE rn = 1
)
INSERT OVERWRITE TABLE dwd.dim_merchant PARTITION (dt = '${bizdate}')
SELECT
    m.merchant_id,
    TRIM(m.merchant_name)                          AS merchant_name,
    m.mcc,
    CASE
        WHEN m.mcc BETWEEN '5411' AND '5499' THEN 'GROCERY'
        WHEN m.mcc IN ('5812', '5813', '5814') THEN 'DINING'
        WHEN m.mcc = '4121'                    THEN 'TRANSPORT'
        WHEN m.mcc LIKE '59%'                  THEN 'RETAIL'
        ELSE 'OTHER'
    END                                            AS industry,
    COALESCE(fs.city_code, m.reg_city_code)        AS city_code,
    m.merchant_type,
    m.settle_cycle,
    m.status                                       AS merchant_status,
    COALESCE(ss.store_cnt, 0)                      AS store_cnt,
    COALESCE(ss.open_store_cnt, 0)                 AS open_store_cnt,
    TO_DATE(m.gmt_signed)                          AS signed_date,
    ss.first_store_at
FROM ods.mch_merchant m
LEFT JOIN store_stats ss ON ss.merchant_id = m.merchant_id
LEFT JOIN first_store fs ON fs.merchant_id = m.merchant_id
WHERE m.dt = '${bizdate}'
  AND m.is_test = 0;
