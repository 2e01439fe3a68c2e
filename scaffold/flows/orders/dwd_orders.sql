-- dwd.dwd_orders: one row per order touched on the business day, latest version only.
-- ${bizdate} is the business day; params from flowc.yaml are placeholders the same way.
WITH latest AS (
    SELECT
        o.*,
        ROW_NUMBER() OVER (PARTITION BY o.id ORDER BY o.updated_at DESC) AS rn
    FROM ods.shop_orders o
    WHERE o.dt = '${bizdate}'
)
INSERT OVERWRITE TABLE dwd.dwd_orders PARTITION (dt = '${bizdate}')
SELECT
    id                              AS order_id,
    user_id,
    CAST(amount AS DECIMAL(18, 2))  AS amount,
    UPPER(status)                   AS status,
    updated_at
FROM latest
WHERE rn = 1
  AND CAST(amount AS DECIMAL(18, 2)) >= ${min_order_amount};
