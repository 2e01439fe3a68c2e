-- ads.ads_mch_leaderboard_1d: top ${top_n} merchants per industry by ${lookback_days}-day GMV,
-- with churn risk from the merchants flow's ML model.
INSERT OVERWRITE TABLE ads_mch_leaderboard_1d PARTITION (dt = '${bizdate}')
SELECT *
FROM (
    SELECT
        a.merchant_id,
        d.merchant_name,
        a.industry,
        a.city_code,
        SUM(d.gmv_cny)                                       AS gmv_cny_nd,
        SUM(d.paid_cnt)                                      AS paid_cnt_nd,
        MAX(a.activity_level)                                AS activity_level,
        MAX(c.churn_probability)                             AS churn_probability,
        RANK() OVER (PARTITION BY a.industry ORDER BY SUM(d.gmv_cny) DESC) AS industry_rank,
        DENSE_RANK() OVER (ORDER BY SUM(d.gmv_cny) DESC)     AS overall_rank
    FROM dws.dws_mch_activity_30d a
    JOIN dws.dws_pay_merchant_1d d
      ON d.merchant_id = a.merchant_id
     AND d.dt > DATE_SUB('${bizdate}', ${lookback_days})
     AND d.dt <= '${bizdate}'
    LEFT JOIN dws.dws_mch_churn_score c
           ON c.merchant_id = a.merchant_id
          AND c.dt = '${bizdate}'
    WHERE a.dt = '${bizdate}'
    GROUP BY a.merchant_id, d.merchant_name, a.industry, a.city_code
) ranked
WHERE industry_rank <= ${top_n};
