//! The commands `flowc run` starts a task with, per environment: `runners:` in
//! `flowc.yaml`, at the top (the project's) and in each environment (overriding the
//! project's, key by key).

/// Runner commands as written; `None` where neither the environment nor the project
/// sets one. Defaults are the schema's (see [`Runners::spark_sql`] and friends).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Runners {
    /// The `spark-sql` command of sparksql tasks, quality checks and partition steps.
    pub spark_sql: Option<String>,
    /// The `spark-submit` command of ml tasks.
    pub spark_submit: Option<String>,
    /// The DataX command the launcher runs; the DAG's `airflow.datax_command` when unset.
    pub datax: Option<String>,
    /// `DATAX_HOME` for the DataX command.
    pub datax_home: Option<String>,
}

impl Runners {
    /// `self` with what `over` sets replacing it.
    #[must_use]
    pub fn overridden_by(&self, over: &Runners) -> Runners {
        Runners {
            spark_sql: over.spark_sql.clone().or_else(|| self.spark_sql.clone()),
            spark_submit: over.spark_submit.clone().or_else(|| self.spark_submit.clone()),
            datax: over.datax.clone().or_else(|| self.datax.clone()),
            datax_home: over.datax_home.clone().or_else(|| self.datax_home.clone()),
        }
    }

    /// The `spark-sql` command; `spark-sql` by default.
    pub fn spark_sql(&self) -> &str {
        self.spark_sql.as_deref().unwrap_or("spark-sql")
    }

    /// The `spark-submit` command; `spark-submit` by default.
    pub fn spark_submit(&self) -> &str {
        self.spark_submit.as_deref().unwrap_or("spark-submit")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environments_override_the_project_key_by_key() {
        let project = Runners {
            spark_sql: Some("/opt/spark/bin/spark-sql".into()),
            datax_home: Some("/opt/datax".into()),
            ..Runners::default()
        };
        let dev = Runners {
            spark_sql: Some("spark-sql --master local".into()),
            ..Runners::default()
        };
        let merged = project.overridden_by(&dev);
        assert_eq!(merged.spark_sql(), "spark-sql --master local");
        assert_eq!(merged.datax_home.as_deref(), Some("/opt/datax"));
        assert_eq!(merged.spark_submit(), "spark-submit");
    }
}
