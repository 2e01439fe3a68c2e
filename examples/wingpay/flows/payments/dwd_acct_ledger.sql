-- Ledger entries with their account attributes. Table names without a database
-- resolve to the flow's default_database (dwd); ods tables are named in full.
INSERT OVERWRITE TABLE dwd_acct_ledger_di PARTITION (dt = '${bizdate}')
SELECT
    e.entry_id,
    e.account_id,
    a.user_id,
    a.account_type,
    a.currency,
    e.order_id,
    e.biz_type,
    CASE e.direction WHEN 'C' THEN e.amount ELSE -e.amount END AS signed_amount,
    e.balance_after,
    CAST(e.gmt_create AS TIMESTAMP)                             AS booked_at
FROM ods.acct_ledger_entry e
JOIN ods.acct_account a
  ON a.account_id = e.account_id
 AND a.dt = '${bizdate}'
WHERE e.dt = '${bizdate}';
