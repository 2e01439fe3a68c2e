-- dws.dws_pay_user_1d: what each paying user did on the day.
INSERT OVERWRITE TABLE dws.dws_pay_user_1d PARTITION (dt = '${bizdate}')
SELECT
    user_id,
    COUNT(*)                                        AS order_cnt,
    SUM(IF(is_paid, 1, 0))                          AS paid_cnt,
    SUM(IF(is_paid, amount_cny, 0))                 AS pay_amount_cny,
    MAX(IF(is_paid, amount_cny, NULL))              AS max_amount_cny,
    COUNT(DISTINCT merchant_id)                     AS merchant_cnt,
    CONCAT_WS(',', SORT_ARRAY(COLLECT_SET(pay_method))) AS pay_methods,  -- a string: 'ALIPAY,CARD'
    MIN(paid_at)                                    AS first_paid_at,
    MAX(paid_at)                                    AS last_paid_at
FROM dwd.dwd_pay_order_di
WHERE dt = '${bizdate}'
  AND user_id IS NOT NULL
GROUP BY user_id;
