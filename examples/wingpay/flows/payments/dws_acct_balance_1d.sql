-- End-of-day balance per account: yesterday's closing balance plus today's movements.
-- The task reads the table it writes (the previous partition); flowc does not treat
-- that as a cycle.
WITH movement AS (
    SELECT account_id,
           FIRST(user_id)          AS user_id,
           FIRST(currency)         AS currency,
           SUM(signed_amount)      AS net_change,
           COUNT(*)                AS entry_cnt
    FROM dwd.dwd_acct_ledger_di
    WHERE dt = '${bizdate}'
    GROUP BY account_id
),
previous AS (
    SELECT account_id, user_id, currency, closing_balance
    FROM dws.dws_acct_balance_1d
    WHERE dt = DATE_SUB('${bizdate}', 1)
)
INSERT OVERWRITE TABLE dws.dws_acct_balance_1d PARTITION (dt = '${bizdate}')
SELECT
    COALESCE(m.account_id, p.account_id)                       AS account_id,
    COALESCE(m.user_id, p.user_id)                             AS user_id,
    COALESCE(m.currency, p.currency)                           AS currency,
    COALESCE(p.closing_balance, 0)                             AS opening_balance,
    COALESCE(m.net_change, 0)                                  AS net_change,
    COALESCE(p.closing_balance, 0) + COALESCE(m.net_change, 0) AS closing_balance,
    COALESCE(m.entry_cnt, 0)                                   AS entry_cnt
FROM movement m
FULL OUTER JOIN previous p
  ON p.account_id = m.account_id;
