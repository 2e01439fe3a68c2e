-- dwd.dwd_usr_login_di: logins from the risk engine (HBase) plus app opens from the
-- click stream (ods.app_event_log is landed by Flink and declared under `sources:`).
INSERT OVERWRITE TABLE dwd.dwd_usr_login_di PARTITION (dt = '${bizdate}')
SELECT user_id, device_id, ip, login_result, login_at, source
FROM (
    SELECT
        CAST(user_id AS BIGINT)                  AS user_id,
        device_id,
        ip,
        UPPER(result)                            AS login_result,
        CAST(login_time AS TIMESTAMP)            AS login_at,
        'LOGIN'                                  AS source
    FROM ods.usr_login_log
    WHERE dt = '${bizdate}'

    UNION ALL

    SELECT
        user_id,
        device_id,
        client_ip                                AS ip,
        'SUCCESS'                                AS login_result,
        event_time                               AS login_at,
        'APP_OPEN'                               AS source
    FROM ods.app_event_log
    WHERE dt = '${bizdate}'
      AND event_type = 'app_open'
      AND user_id IS NOT NULL
) t
DISTRIBUTE BY user_id;
