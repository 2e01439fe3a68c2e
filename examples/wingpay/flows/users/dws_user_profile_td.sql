-- dws.dws_usr_profile_td: cumulative user profile.
-- Incremental run: yesterday's profile + today's activity (the task reads its own table).
-- Full refresh (Airflow param full_refresh=true): rebuilt from all activity since ${history_start}.
WITH merged AS (
{% if not params.full_refresh %}
    SELECT user_id, first_active_dt, last_active_dt, active_days, pay_days, total_pay_amount_cny
    FROM dws.dws_usr_profile_td
    WHERE dt = DATE_SUB('${bizdate}', 1)
    UNION ALL
{% endif %}
    SELECT
        user_id,
        MIN(dt)                                AS first_active_dt,
        MAX(dt)                                AS last_active_dt,
        COUNT(DISTINCT dt)                     AS active_days,
        COUNT(DISTINCT IF(paid_cnt > 0, dt, NULL)) AS pay_days,
        SUM(pay_amount_cny)                    AS total_pay_amount_cny
    FROM dws.dws_usr_active_1d
    WHERE dt <= '${bizdate}'
{% if params.full_refresh %}
      AND dt >= '${history_start}'
{% else %}
      AND dt = '${bizdate}'
{% endif %}
    GROUP BY user_id
)
INSERT OVERWRITE TABLE dws.dws_usr_profile_td PARTITION (dt = '${bizdate}')
SELECT
    m.user_id,
    u.kyc_tier,
    u.register_date,
    MIN(m.first_active_dt)                          AS first_active_dt,
    MAX(m.last_active_dt)                           AS last_active_dt,
    SUM(m.active_days)                              AS active_days,
    SUM(m.pay_days)                                 AS pay_days,
    SUM(m.total_pay_amount_cny)                     AS total_pay_amount_cny,
    CASE
        WHEN DATEDIFF('${bizdate}', MAX(m.last_active_dt)) <= 7  THEN 'ACTIVE_7D'
        WHEN DATEDIFF('${bizdate}', MAX(m.last_active_dt)) <= 30 THEN 'ACTIVE_30D'
        ELSE 'SILENT'
    END                                             AS lifecycle_stage
FROM merged m
LEFT JOIN dwd.dim_user u
       ON u.user_id = m.user_id
      AND u.dt = '${bizdate}'
GROUP BY m.user_id, u.kyc_tier, u.register_date;
