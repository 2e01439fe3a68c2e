-- dwd.dwd_usr_device_di: user-device pairs seen on the day, with the fingerprint flags
-- the risk engine computed.
INSERT OVERWRITE TABLE dwd.dwd_usr_device_di PARTITION (dt = '${bizdate}')
SELECT
    l.user_id,
    l.device_id,
    f.os,
    CAST(f.is_emulator AS BOOLEAN)                 AS is_emulator,
    CAST(f.is_rooted AS BOOLEAN)                   AS is_rooted,
    COUNT(*)                                       AS login_cnt,
    COUNT(DISTINCT l.ip)                           AS ip_cnt,
    MIN(l.login_at)                                AS first_login_at,
    MAX(l.login_at)                                AS last_login_at,
    -- rows are (user, device) pairs, so this counts the users the device served
    -- today: a classic fraud signal
    COUNT(*) OVER (PARTITION BY l.device_id)       AS users_on_device
FROM dwd.dwd_usr_login_di l
LEFT JOIN ods.risk_device_fingerprint f
       ON f.device_id = l.device_id
      AND f.dt = '${bizdate}'
WHERE l.dt = '${bizdate}'
  AND l.device_id IS NOT NULL
GROUP BY l.user_id, l.device_id, f.os, f.is_emulator, f.is_rooted;
