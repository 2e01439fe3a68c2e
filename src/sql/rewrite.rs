//! Environment rewrites of a SQL file's table names.
//!
//! Input: a file's original text, the [`TableNames`] the analyser located in its syntax
//! trees, and an [`Environment`]. Output: the text with every table name the
//! environment maps rewritten, or the names that cannot be.
//!
//! The rewrite is driven by the syntax tree, never by searching the text: each edit
//! replaces exactly the database identifier of a table-name node (or of a `USE`
//! statement) at the span the parser gave it, so a `dwd.` inside a string literal, a
//! comment, a column reference or a CTE name is never touched, and everything else —
//! formatting, comments, Jinja — stays byte for byte as written. Names written without
//! a database get the database the analyser resolved them to (the task's
//! `default_database` or the last `USE`), mapped: the rendered SQL then runs against
//! exactly the tables flowc's lineage says, whatever the session's current database.

use crate::diagnostic::{Code, Diagnostic};
use crate::model::Environment;
use crate::sql::{DatabaseMention, TableMention, TableNames};

/// `text` with the table names of `names` mapped for `environment`; `Err` lists every
/// name whose database the environment maps but which cannot be rewritten (its
/// database comes from a template placeholder).
pub fn map_tables(text: &str, names: &TableNames, environment: &Environment) -> Result<String, Vec<Diagnostic>> {
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    let mut problems = Vec::new();
    for mention in &names.tables {
        match (&mention.database, mention.qualified) {
            (Some(database), _) if !database.templated => {
                if environment.maps_database(&database.database) {
                    edits.push(replace(database, &environment.database(&database.database)));
                }
            }
            (_, true) => {
                // The database part comes from a placeholder (or was not located).
                if let Some(database) = resolved_database(mention)
                    && environment.maps_database(database)
                {
                    problems.push(unmappable(mention, database, environment));
                }
            }
            (_, false) => {
                if let Some(database) = resolved_database(mention).filter(|db| is_plain_identifier(db)) {
                    let start = mention.span.start as usize;
                    edits.push((start, start, format!("{}.", environment.database(database))));
                }
            }
        }
    }
    for used in &names.uses {
        if !environment.maps_database(&used.database) {
            continue;
        }
        if used.templated {
            problems.push(
                Diagnostic::error(
                    Code::UnmappableTableName,
                    format!(
                        "environment `{}` maps database `{}`, but this `USE` names it through a placeholder",
                        environment.name, used.database
                    ),
                )
                .at(used.span)
                .with_label("cannot be rewritten")
                .with_help("write the database name itself; flowc maps it for each environment"),
            );
        } else {
            edits.push(replace(used, &environment.database(&used.database)));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    edits.sort_by_key(|(start, end, _)| (*start, *end));
    let mut out = String::with_capacity(text.len() + edits.len() * 8);
    let mut at = 0;
    for (start, end, replacement) in edits {
        if start < at {
            continue;
        }
        let Some(before) = text.get(at..start) else {
            continue;
        };
        out.push_str(before);
        out.push_str(&replacement);
        at = end;
    }
    out.push_str(text.get(at..).unwrap_or_default());
    Ok(out)
}

/// The database a mention resolved to: everything before the table's own name.
fn resolved_database(mention: &TableMention) -> Option<&str> {
    let name = mention.table.as_str();
    let (rest, _) = name.rsplit_once('.')?;
    Some(rest.rsplit_once('.').map_or(rest, |(_, database)| database))
}

fn is_plain_identifier(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn replace(database: &DatabaseMention, to: &str) -> (usize, usize, String) {
    let text = match database.quote {
        Some(quote) => format!("{quote}{to}{quote}"),
        None => to.to_owned(),
    };
    (database.span.start as usize, database.span.end as usize, text)
}

fn unmappable(mention: &TableMention, database: &str, environment: &Environment) -> Diagnostic {
    Diagnostic::error(
        Code::UnmappableTableName,
        format!(
            "environment `{}` maps database `{database}` to `{}`, but the database of `{}` comes from a placeholder",
            environment.name,
            environment.database(database),
            mention.table
        ),
    )
    .at(mention.span)
    .with_label("cannot be rewritten")
    .with_help(format!(
        "write the database name (`{database}.…`) in the SQL; flowc maps it in every environment"
    ))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::diagnostic::{FileId, Span};
    use crate::model::Spanned;
    use crate::sql::{SqlOptions, analyze};

    fn dev() -> Environment {
        let span = Span::file_start(FileId::from_index(0));
        let map = |from: &str, to: &str| {
            (
                from.to_owned(),
                Spanned {
                    value: to.to_owned(),
                    span,
                },
            )
        };
        Environment {
            dag_prefix: "dev__".to_owned(),
            databases: BTreeMap::from([map("dwd", "dev_dwd"), map("ods", "dev_ods")]),
            ..Environment::as_written("dev", span)
        }
    }

    fn rewrite(text: &str, default_database: Option<&str>) -> Result<String, Vec<Diagnostic>> {
        let params = BTreeMap::from([("src".to_owned(), "ods".to_owned())]);
        let options = SqlOptions {
            default_database,
            params: Some(&params),
            known_variables: None,
        };
        let analysis = analyze(FileId::from_index(0), text, &options);
        assert!(analysis.diagnostics.is_empty(), "{:#?}", analysis.diagnostics);
        map_tables(text, &analysis.names, &dev())
    }

    #[test]
    fn only_table_name_nodes_are_rewritten() {
        let text = "-- reads dwd.orders\n\
                    WITH dwd_x AS (SELECT 'dwd.orders' AS s, o.id FROM dwd.orders o)\n\
                    INSERT OVERWRITE TABLE `dwd`.pay PARTITION (dt = '${bizdate}')\n\
                    SELECT d.id FROM dwd_x d JOIN ODS.users u ON d.id = u.id JOIN ads.x USING (id)";
        assert_eq!(
            rewrite(text, None).expect("rewritten"),
            "-- reads dwd.orders\n\
             WITH dwd_x AS (SELECT 'dwd.orders' AS s, o.id FROM dev_dwd.orders o)\n\
             INSERT OVERWRITE TABLE `dev_dwd`.pay PARTITION (dt = '${bizdate}')\n\
             SELECT d.id FROM dwd_x d JOIN dev_ods.users u ON d.id = u.id JOIN ads.x USING (id)"
        );
    }

    #[test]
    fn the_star_pattern_maps_every_database_an_entry_does_not() {
        let text = "INSERT INTO dwd.t SELECT * FROM ods.s JOIN dim.m USING (k); USE ads; SELECT * FROM u";
        let options = SqlOptions {
            default_database: None,
            params: None,
            known_variables: None,
        };
        let analysis = analyze(FileId::from_index(0), text, &options);
        let mut dev = dev();
        dev.every_database = Some(Spanned {
            value: "*_dev".to_owned(),
            span: Span::file_start(FileId::from_index(0)),
        });
        assert_eq!(
            map_tables(text, &analysis.names, &dev).expect("rewritten"),
            "INSERT INTO dev_dwd.t SELECT * FROM dev_ods.s JOIN dim_dev.m USING (k); USE ads_dev; SELECT * FROM ads_dev.u"
        );
    }

    #[test]
    fn unqualified_names_get_their_resolved_database() {
        let text = "INSERT INTO t SELECT * FROM s; USE ods; SELECT * FROM u JOIN ads.v USING (k)";
        assert_eq!(
            rewrite(text, Some("dwd")).expect("rewritten"),
            "INSERT INTO dev_dwd.t SELECT * FROM dev_dwd.s; USE dev_ods; SELECT * FROM dev_ods.u JOIN ads.v USING (k)"
        );
    }

    #[test]
    fn temporary_views_ctes_and_functions_stay() {
        let text = "CREATE TEMPORARY VIEW v AS SELECT * FROM dwd.a;\n\
                    INSERT INTO dwd.b SELECT * FROM v CROSS JOIN range(3)";
        assert_eq!(
            rewrite(text, Some("dwd")).expect("rewritten"),
            "CREATE TEMPORARY VIEW v AS SELECT * FROM dev_dwd.a;\n\
             INSERT INTO dev_dwd.b SELECT * FROM v CROSS JOIN range(3)"
        );
    }

    #[test]
    fn ddl_and_utility_statements_are_rewritten_too() {
        // A dev run must never drop, truncate or alter production's tables.
        let text = "DROP TABLE IF EXISTS dwd.a; TRUNCATE TABLE ods.b; ALTER TABLE dwd.c ADD PARTITION (dt='1');\n\
                    CREATE TABLE IF NOT EXISTS d (id INT); ANALYZE TABLE dwd.e COMPUTE STATISTICS;\n\
                    MSCK REPAIR TABLE ods.f; REFRESH TABLE dwd.g";
        assert_eq!(
            rewrite(text, Some("dwd")).expect("rewritten"),
            "DROP TABLE IF EXISTS dev_dwd.a; TRUNCATE TABLE dev_ods.b; ALTER TABLE dev_dwd.c ADD PARTITION (dt='1');\n\
             CREATE TABLE IF NOT EXISTS dev_dwd.d (id INT); ANALYZE TABLE dev_dwd.e COMPUTE STATISTICS;\n\
             MSCK REPAIR TABLE dev_ods.f; REFRESH TABLE dev_dwd.g"
        );
    }

    #[test]
    fn a_mapped_database_from_a_placeholder_cannot_be_rewritten() {
        let problems = rewrite("INSERT INTO dwd.t SELECT * FROM ${src}.orders", None).expect_err("refused");
        let [problem] = problems.as_slice() else {
            panic!("{problems:#?}")
        };
        assert_eq!(problem.code, Code::UnmappableTableName);
        assert!(problem.message.contains("`ods.orders`"), "{}", problem.message);
    }

    #[test]
    fn the_rewritten_file_reads_and_writes_the_mapped_tables() {
        let text = "FROM ods.src INSERT OVERWRITE TABLE dwd.a SELECT x INSERT INTO TABLE b SELECT y;\n\
                    MERGE INTO dwd.m USING (SELECT * FROM ods.n) s ON m.id = s.id WHEN MATCHED THEN UPDATE SET *";
        let rewritten = rewrite(text, Some("dwd")).expect("rewritten");
        let analysis = analyze(FileId::from_index(0), &rewritten, &SqlOptions::default());
        let names = |refs: &[crate::sql::TableRef]| refs.iter().map(|r| r.name.to_string()).collect::<Vec<_>>();
        assert_eq!(names(&analysis.reads), ["dev_ods.n", "dev_ods.src"]);
        assert_eq!(names(&analysis.writes), ["dev_dwd.a", "dev_dwd.b", "dev_dwd.m"]);
    }
}
