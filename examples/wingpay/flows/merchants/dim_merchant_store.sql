-- dwd.dim_merchant_store: stores with their merchant's industry, for store-level reports.
INSERT OVERWRITE TABLE dwd.dim_merchant_store PARTITION (dt = '${bizdate}')
SELECT
    s.store_id,
    s.merchant_id,
    s.store_name,
    s.city_code,
    s.district_code,
    s.longitude,
    s.latitude,
    s.status           AS store_status,
    m.industry,
    m.merchant_status
FROM ods.mch_store s
JOIN dwd.dim_merchant m
  ON m.merchant_id = s.merchant_id
 AND m.dt = '${bizdate}'
WHERE s.dt = '${bizdate}';
