-- dim_user has no database: this flow sets no default_database, so it resolves to the
-- project's sql.default_database, dwd.
INSERT OVERWRITE TABLE dim_user PARTITION (dt = '${bizdate}')
SELECT
    u.user_id,
    u.mobile_hash,
    u.id_card_hash,
    u.kyc_level,
    CASE
        WHEN u.kyc_level >= 3 THEN 'FULL'
        WHEN u.kyc_level = 2  THEN 'BASIC'
        ELSE 'NONE'
    END                                              AS kyc_tier,
    u.register_channel,
    u.city_code,
    u.status                                         AS user_status,
    TO_DATE(u.gmt_register)                          AS register_date,
    DATEDIFF('${bizdate}', TO_DATE(u.gmt_register))  AS tenure_days
FROM ods.usr_user u
WHERE u.dt = '${bizdate}'
  AND u.status <> 'DELETED';
