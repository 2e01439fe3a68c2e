-- ads.ads_usr_retention_1d: for each cohort day (new users), how many came back after
-- 1, 7 and 30 days. Cohorts up to 30 days back are recomputed as their windows close.
WITH cohort AS (
    SELECT dt AS cohort_dt, user_id
    FROM dws.dws_usr_active_1d
    WHERE is_new_user
      AND dt >= DATE_SUB('${bizdate}', 30)
      AND dt <= '${bizdate}'
),
activity AS (
    SELECT DISTINCT dt AS active_dt, user_id
    FROM dws.dws_usr_active_1d
    WHERE dt >= DATE_SUB('${bizdate}', 30)
      AND dt <= '${bizdate}'
)
INSERT OVERWRITE TABLE ads_usr_retention_1d PARTITION (dt = '${bizdate}')
SELECT
    c.cohort_dt,
    COUNT(DISTINCT c.user_id)                                                             AS new_users,
    COUNT(DISTINCT IF(DATEDIFF(a.active_dt, c.cohort_dt) = 1,  c.user_id, NULL))          AS retained_d1,
    COUNT(DISTINCT IF(DATEDIFF(a.active_dt, c.cohort_dt) = 7,  c.user_id, NULL))          AS retained_d7,
    COUNT(DISTINCT IF(DATEDIFF(a.active_dt, c.cohort_dt) = 30, c.user_id, NULL))          AS retained_d30,
    ROUND(COUNT(DISTINCT IF(DATEDIFF(a.active_dt, c.cohort_dt) = 1, c.user_id, NULL))
          / COUNT(DISTINCT c.user_id), 4)                                                 AS d1_rate
FROM cohort c
LEFT JOIN activity a
       ON a.user_id = c.user_id
      AND a.active_dt > c.cohort_dt
GROUP BY c.cohort_dt;
