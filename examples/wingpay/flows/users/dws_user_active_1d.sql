-- dws.dws_usr_active_1d: users active on the day (logged in or paid).
-- dws.dws_pay_user_1d comes from the payments flow.
WITH login AS (
    SELECT user_id,
           COUNT(*)                     AS login_cnt,
           COUNT(DISTINCT device_id)    AS device_cnt
    FROM dwd.dwd_usr_login_di
    WHERE dt = '${bizdate}' AND login_result = 'SUCCESS'
    GROUP BY user_id
),
pay AS (
    SELECT user_id, paid_cnt, pay_amount_cny
    FROM dws.dws_pay_user_1d
    WHERE dt = '${bizdate}'
)
INSERT OVERWRITE TABLE dws.dws_usr_active_1d PARTITION (dt = '${bizdate}')
SELECT
    COALESCE(l.user_id, p.user_id)           AS user_id,
    u.kyc_tier,
    u.city_code,
    u.register_date = '${bizdate}'           AS is_new_user,
    COALESCE(l.login_cnt, 0)                 AS login_cnt,
    COALESCE(l.device_cnt, 0)                AS device_cnt,
    COALESCE(p.paid_cnt, 0)                  AS paid_cnt,
    COALESCE(p.pay_amount_cny, 0)            AS pay_amount_cny
FROM login l
FULL OUTER JOIN pay p ON p.user_id = l.user_id
LEFT JOIN dwd.dim_user u
       ON u.user_id = COALESCE(l.user_id, p.user_id)
      AND u.dt = '${bizdate}';
