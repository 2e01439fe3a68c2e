-- Channel health per day. This task's default_database is dws, so the unqualified
-- target below is dws.dws_pay_channel_1d; dwd tables are named in full.
INSERT OVERWRITE TABLE dws_pay_channel_1d PARTITION (dt = '${bizdate}')
SELECT /*+ COALESCE(4) */
    o.channel,
    o.pay_method,
    COUNT(*)                                                  AS order_cnt,
    SUM(IF(o.order_status = 'SUCCESS', 1, 0))                 AS success_cnt,
    SUM(IF(o.order_status = 'FAILED', 1, 0))                  AS failed_cnt,
    ROUND(SUM(IF(o.order_status = 'SUCCESS', 1, 0)) / COUNT(*), 4) AS success_rate,
    SUM(IF(o.is_paid, o.amount_cny, 0))                       AS amount_cny,
    PERCENTILE_APPROX(o.amount_cny, 0.5)                      AS median_amount_cny,
    COALESCE(MAX(d.diff_cnt), 0)                              AS recon_diff_cnt
FROM dwd.dwd_pay_order_di o
LEFT JOIN (
    SELECT channel, COUNT(*) AS diff_cnt
    FROM dwd.dwd_pay_recon_diff_di
    WHERE dt = '${bizdate}'
    GROUP BY channel
) d ON d.channel = o.channel
WHERE o.dt = '${bizdate}'
GROUP BY o.channel, o.pay_method;
