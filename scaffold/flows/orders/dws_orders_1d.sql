-- dws.dws_orders_1d: orders and amount of the business day, per status.
INSERT OVERWRITE TABLE dws.dws_orders_1d PARTITION (dt = '${bizdate}')
SELECT
    status,
    COUNT(*)     AS orders,
    SUM(amount)  AS amount
FROM dwd.dwd_orders
WHERE dt = '${bizdate}'
GROUP BY status;
