"""Fraud scoring job of the `risk` flow (task `fraud_scoring`).

Submitted by flowc as a PySpark application. Reads the day's risk features and the user
profile features, scores every paying user with the registered model and writes
dws.dws_risk_fraud_score_1d. The tables it reads and writes are declared in flow.yaml
(`reads:` / `writes:`); flowc does not look inside this file.
"""

import argparse

from pyspark.ml import PipelineModel
from pyspark.sql import SparkSession
from pyspark.sql import functions as F


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bizdate", required=True)
    parser.add_argument("--model-version", required=True)
    parser.add_argument("--env", required=True)
    args = parser.parse_args()

    spark = SparkSession.builder.appName(f"fraud_score_{args.bizdate}").enableHiveSupport().getOrCreate()
    db = "dev_dws" if args.env == "dev" else "dws"

    users = spark.table(f"{db}.dws_risk_user_1d").where(F.col("dt") == args.bizdate)
    profile = spark.table("feature.v_user_profile").where(F.col("dt") == args.bizdate)
    features = users.join(profile, "user_id", "left")

    model = PipelineModel.load(f"hdfs:///models/fraud/{args.model_version}")
    scored = (
        model.transform(features)
        .select(
            "user_id",
            F.col("probability_fraud").alias("fraud_score"),
            F.col("top_feature").alias("top_reason"),
        )
        .withColumn("dt", F.lit(args.bizdate))
    )
    scored.write.insertInto(f"{db}.dws_risk_fraud_score_1d", overwrite=True)


if __name__ == "__main__":
    main()
