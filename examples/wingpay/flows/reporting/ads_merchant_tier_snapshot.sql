-- ads.ads_mch_tier_snapshot: not partitioned; the CRM export reads the whole table, so it
-- is dropped and re-created from the latest merchant activity on every run.
DROP TABLE IF EXISTS ads.ads_mch_tier_snapshot;

CREATE TABLE ads.ads_mch_tier_snapshot
USING parquet
AS
SELECT
    a.merchant_id,
    m.merchant_name,
    m.industry,
    m.city_code,
    a.gmv_cur                                              AS gmv_cny_30d,
    a.activity_level,
    CASE
        WHEN a.gmv_cur >= 1000000 THEN 'KA'       -- key account
        WHEN a.gmv_cur >= 100000  THEN 'MID'
        WHEN a.gmv_cur > 0        THEN 'SMB'
        ELSE 'INACTIVE'
    END                                                    AS tier,
    '${bizdate}'                                           AS snapshot_date
FROM dws.dws_mch_activity_30d a
JOIN dwd.dim_merchant m
  ON m.merchant_id = a.merchant_id
 AND m.dt = '${bizdate}'
WHERE a.dt = '${bizdate}';
