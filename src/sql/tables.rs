//! The tables a parsed file reads and writes.
//!
//! Input: a file's statements, one at a time, and [`SqlOptions`]. Output: reads and writes, each sorted by
//! name, once, with the span of the table's first mention in the original file.
//!
//! Rules, in Spark's terms:
//! - written: the target of `INSERT`, CTAS, a permanent `CREATE VIEW … AS`, `MERGE`,
//!   `UPDATE` and `DELETE`; every branch of a multi-insert;
//! - read: every table in a `FROM`, `JOIN`, subquery, `MERGE … USING`, of any statement;
//! - neither: CTE names (within the query that defines them, and only after their own
//!   definition unless `RECURSIVE`), temporary views and cached tables defined earlier
//!   in the file, table-valued functions, `VALUES`, directories, and the tables of DDL
//!   and utility statements (`DROP`, `TRUNCATE`, `ALTER`, `ANALYZE`, `REFRESH`…);
//! - `USE db` sets the database of later unqualified names.

use std::collections::{BTreeMap, HashSet};
use std::ops::ControlFlow;

use sqlparser::ast::{ObjectName, Statement, Visit};

use super::columns::ColumnPlan;
use super::columns::extract::Extraction;
use super::commands::SparkCommand;
use super::cte::CteScopes;
use super::names::{Namer, mention, path_source, resource, use_mention, used_database};
use super::parse::{ParsedStatement, Source, SparkStatement};
use super::syntax_error;
use super::visitor::TableVisitor;
use super::{FunctionRef, PathRef, ResourceRef, SqlOptions, TableNames, TableRef};
use crate::diagnostic::{Diagnostic, Span};
use crate::model::TableName;

/// Reads and writes of one file.
#[derive(Debug, Default)]
pub(crate) struct Tables {
    pub(crate) reads: Vec<TableRef>,
    pub(crate) writes: Vec<TableRef>,
    pub(crate) names: TableNames,
    pub(crate) functions: Vec<FunctionRef>,
    pub(crate) resources: Vec<ResourceRef>,
    pub(crate) paths: Vec<PathRef>,
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) columns: ColumnPlan,
}

/// Collects the tables of a file's statements, handed in one at a time in file order
/// (see [`super::parse::parse_each`]), so that no statement's syntax tree outlives it.
pub(crate) struct Extractor<'o> {
    params: Option<&'o BTreeMap<String, String>>,
    default_database: Option<String>,
    temporary: HashSet<TableName>,
    reads: Mentions,
    writes: Mentions,
    located: TableNames,
    functions: Vec<FunctionRef>,
    resources: Vec<ResourceRef>,
    paths: Vec<PathRef>,
    diagnostics: Vec<Diagnostic>,
    columns: ColumnPlan,
}

impl<'o> Extractor<'o> {
    pub(crate) fn new(options: &SqlOptions<'o>) -> Self {
        Self {
            params: options.params,
            default_database: options.default_database.map(str::to_lowercase),
            temporary: HashSet::new(),
            reads: Mentions::default(),
            writes: Mentions::default(),
            located: TableNames::default(),
            functions: Vec::new(),
            resources: Vec::new(),
            paths: Vec::new(),
            diagnostics: Vec::new(),
            columns: ColumnPlan::default(),
        }
    }

    /// Adds the tables of the next statement of the file.
    pub(crate) fn add(&mut self, source: &Source<'_>, parsed_statement: &ParsedStatement) {
        let namer = Namer {
            index: source.index,
            original: source.original,
            placeholders: source.placeholders,
            params: self.params,
        };
        let statement = match &parsed_statement.kind {
            SparkStatement::Sql(statement) => statement,
            SparkStatement::Command(SparkCommand::Refresh(Some(name))) => {
                self.command_table(&namer, name, false);
                return;
            }
            SparkStatement::Command(SparkCommand::AlterTables(tables)) => {
                for name in tables {
                    self.command_table(&namer, name, false);
                }
                return;
            }
            SparkStatement::Command(SparkCommand::DefineView(name)) => {
                let name = namer.name(name).0;
                self.columns.push_opaque(name.clone());
                self.temporary.insert(name);
                return;
            }
            SparkStatement::Command(SparkCommand::LoadData(name)) => {
                self.command_table(&namer, name, true);
                return;
            }
            SparkStatement::Command(SparkCommand::AddResource(resources)) => {
                self.resources
                    .extend(resources.iter().filter_map(|r| resource(&namer, r)));
                return;
            }
            SparkStatement::Command(SparkCommand::CreateFunction(function)) => {
                let (name, span) = namer.name(&function.name);
                if let (Some(span), Some(class)) = (span, namer.literal(function.class)) {
                    self.functions.push(FunctionRef {
                        name: name.as_str().to_owned(),
                        class,
                        temporary: function.temporary,
                        span,
                    });
                }
                self.resources
                    .extend(function.resources.iter().filter_map(|r| resource(&namer, r)));
                return;
            }
            SparkStatement::Command(_) => return,
        };
        match statement.as_ref() {
            Statement::Use(target) => {
                if let Some(database) = used_database(target, &namer) {
                    if let Some(mention) = use_mention(target, &namer, &database) {
                        self.located.uses.push(mention);
                    }
                    self.default_database = Some(database);
                }
            }
            // EXPLAIN runs nothing.
            Statement::Explain { .. } | Statement::ExplainTable { .. } => {}
            statement => {
                Extraction::new(
                    &namer,
                    &self.temporary,
                    self.default_database.as_deref(),
                    parsed_statement.span,
                )
                .add(&mut self.columns, statement);
                let mut visitor = TableVisitor {
                    namer: &namer,
                    temporary: &self.temporary,
                    default_database: self.default_database.as_deref(),
                    fallback: parsed_statement.span,
                    ctes: CteScopes::default(),
                    targets: Vec::new(),
                    reads: Vec::new(),
                    writes: Vec::new(),
                    defined: Vec::new(),
                    names: &mut self.located,
                    paths: &mut self.paths,
                    unread: None,
                };
                let ControlFlow::Continue(()) = statement.visit(&mut visitor);
                let TableVisitor {
                    reads: new_reads,
                    writes: new_writes,
                    defined,
                    unread,
                    ..
                } = visitor;
                if let Some(unread) = unread {
                    let (span, construct, help) = unread;
                    let at = span.unwrap_or(Span::new(
                        parsed_statement.span.file,
                        parsed_statement.span.start,
                        parsed_statement.span.start,
                    ));
                    self.diagnostics
                        .push(syntax_error::unread_construct(at, construct, help));
                }
                self.reads.extend(new_reads);
                self.writes.extend(new_writes);
                self.temporary.extend(defined);
            }
        }
    }

    /// A table a command names: written (`LOAD DATA`) or altered; located for rewrites.
    fn command_table(&mut self, namer: &Namer<'_>, name: &ObjectName, written: bool) {
        if path_source(name).is_some() {
            return;
        }
        let (raw, span) = namer.name(name);
        let Some(span) = span else {
            return;
        };
        if self.temporary.contains(&raw) {
            return;
        }
        let table = raw.qualified_with(self.default_database.as_deref());
        self.located.tables.push(mention(namer, name, &table, span));
        if written {
            self.writes.extend(vec![(table, span)]);
        } else {
            self.located.altered.push(TableRef { name: table, span });
        }
    }

    /// The reads and writes of every statement added.
    pub(crate) fn finish(self) -> Tables {
        let mut located = self.located;
        located.tables.sort_by_key(|mention| mention.span.start);
        located.tables.dedup_by_key(|mention| mention.span.start);
        Tables {
            reads: self.reads.into_refs(),
            writes: self.writes.into_refs(),
            names: located,
            functions: self.functions,
            resources: self.resources,
            paths: self.paths,
            diagnostics: self.diagnostics,
            columns: self.columns,
        }
    }
}

/// Tables by name with their earliest mention.
#[derive(Debug, Default)]
struct Mentions(BTreeMap<TableName, Span>);

impl Mentions {
    fn extend(&mut self, mentions: Vec<(TableName, Span)>) {
        for (name, span) in mentions {
            self.0
                .entry(name)
                .and_modify(|first| {
                    if span.start < first.start {
                        *first = span;
                    }
                })
                .or_insert(span);
        }
    }

    fn into_refs(self) -> Vec<TableRef> {
        self.0.into_iter().map(|(name, span)| TableRef { name, span }).collect()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use crate::diagnostic::{Code, FileId};
    use crate::sql::{SqlAnalysis, SqlOptions, analyze};

    fn run(text: &str, options: &SqlOptions<'_>) -> SqlAnalysis {
        analyze(FileId::from_index(0), text, options)
    }

    fn names(text: &str) -> (Vec<String>, Vec<String>) {
        let analysis = run(text, &SqlOptions::default());
        assert!(analysis.diagnostics.is_empty(), "{:#?}", analysis.diagnostics);
        let list = |refs: &[crate::sql::TableRef]| refs.iter().map(|r| r.name.to_string()).collect();
        (list(&analysis.reads), list(&analysis.writes))
    }

    #[test]
    fn cte_names_are_not_tables() {
        let (reads, writes) =
            names("WITH a AS (SELECT * FROM s.x), b AS (SELECT * FROM a) INSERT INTO t.y SELECT * FROM b");
        assert_eq!((reads, writes), (vec!["s.x".to_owned()], vec!["t.y".to_owned()]));
    }

    #[test]
    fn cte_is_not_visible_in_its_own_definition() {
        let (reads, _) = names("WITH x AS (SELECT * FROM x) SELECT * FROM x");
        assert_eq!(reads, ["x"]);
    }

    #[test]
    fn multi_insert_writes_every_branch() {
        let (reads, writes) = names(
            "FROM s.src INSERT OVERWRITE TABLE t.a SELECT x WHERE k = 1 \
             INSERT INTO TABLE t.b SELECT y WHERE k = 2",
        );
        assert_eq!(reads, ["s.src"]);
        assert_eq!(writes, ["t.a", "t.b"]);
    }

    #[test]
    fn a_branch_right_after_a_select_list_is_a_branch() {
        // Not `SELECT x AS insert INTO TABLE t.b` (SELECT INTO, which Spark lacks).
        let (_, writes) = names("FROM s.src INSERT OVERWRITE TABLE t.a SELECT x INSERT INTO TABLE t.b SELECT y");
        assert_eq!(writes, ["t.a", "t.b"]);
    }

    #[test]
    fn merge_target_is_written_not_read() {
        let (reads, writes) = names("MERGE INTO t.a USING s.b ON a.id = b.id WHEN MATCHED THEN UPDATE SET *");
        assert_eq!((reads, writes), (vec!["s.b".to_owned()], vec!["t.a".to_owned()]));
    }

    #[test]
    fn temporary_views_and_cached_tables_are_not_tables() {
        let (reads, writes) = names(
            "CREATE TEMP VIEW v AS SELECT * FROM s.a; CACHE TABLE c AS SELECT * FROM s.b;\n\
             INSERT INTO t.x SELECT * FROM v JOIN c USING (id)",
        );
        assert_eq!(
            (reads, writes),
            (vec!["s.a".to_owned(), "s.b".to_owned()], vec!["t.x".to_owned()])
        );
    }

    #[test]
    fn known_params_resolve_templated_names() {
        let params = BTreeMap::from([("src_db".to_owned(), "ODS".to_owned())]);
        let options = SqlOptions {
            params: Some(&params),
            ..SqlOptions::default()
        };
        let analysis = run(
            "INSERT INTO ${dst}.t SELECT * FROM ${src_db}.orders JOIN x_${region}_y USING (id)",
            &options,
        );
        let reads: Vec<_> = analysis.reads.iter().map(|r| r.name.to_string()).collect();
        let writes: Vec<_> = analysis.writes.iter().map(|r| r.name.to_string()).collect();
        assert_eq!(reads, ["ods.orders", "x_${region}_y"]);
        assert_eq!(writes, ["${dst}.t"]);
    }

    #[test]
    fn table_ref_spans_point_at_the_first_mention() {
        let text = "SELECT * FROM s.a;\nSELECT * FROM S.A x JOIN `s`.`b` USING (id)";
        let analysis = run(text, &SqlOptions::default());
        let spans: Vec<_> = analysis.reads.iter().map(|r| &text[r.span.range()]).collect();
        assert_eq!(spans, ["s.a", "`s`.`b`"]);
    }

    #[test]
    fn unknown_variable_suggests_a_known_one() {
        let known = BTreeSet::from(["bizdate".to_owned(), "region".to_owned()]);
        let options = SqlOptions {
            known_variables: Some(&known),
            ..SqlOptions::default()
        };
        let analysis = run("SELECT * FROM t WHERE dt = '${bizdat}' AND r = '${region}'", &options);
        let [diagnostic] = analysis.diagnostics.as_slice() else {
            panic!("{:#?}", analysis.diagnostics)
        };
        assert_eq!(diagnostic.code, Code::UnknownTemplateVariable);
        assert_eq!(diagnostic.message, "unknown template variable `bizdat`");
        assert_eq!(diagnostic.help.as_deref(), Some("did you mean `bizdate`?"));
    }

    #[test]
    fn ddl_and_utility_statements_touch_no_table() {
        let (reads, writes) = names(
            "DROP TABLE IF EXISTS a.b; TRUNCATE TABLE a.c; ALTER TABLE a.d ADD PARTITION (dt='1');\n\
             REFRESH TABLE a.e; ANALYZE TABLE a.f COMPUTE STATISTICS; MSCK REPAIR TABLE a.g",
        );
        assert!(reads.is_empty() && writes.is_empty(), "{reads:?} {writes:?}");
    }

    fn altered(text: &str) -> Vec<String> {
        let analysis = run(text, &SqlOptions::default());
        assert!(analysis.diagnostics.is_empty(), "{:#?}", analysis.diagnostics);
        analysis.alters().iter().map(|r| r.name.to_string()).collect()
    }

    #[test]
    fn an_alter_only_file_alters_its_tables() {
        let alters = altered(
            "ALTER TABLE ods.orders ADD IF NOT EXISTS PARTITION (dt = '${bizdate}');\nREPAIR TABLE ods.refunds",
        );
        assert_eq!(alters, ["ods.orders", "ods.refunds"]);
    }

    #[test]
    fn rename_to_alters_both_names() {
        assert_eq!(altered("ALTER TABLE tmp.a RENAME TO tmp.b"), ["tmp.a", "tmp.b"]);
    }

    #[test]
    fn load_data_writes_and_alter_view_as_redefines() {
        let (reads, writes) = names(
            "LOAD DATA INPATH '/x' OVERWRITE INTO TABLE ods.o PARTITION (dt = '1');\n\
             ALTER VIEW dws.v AS SELECT * FROM dwd.o",
        );
        assert_eq!(
            (reads, writes),
            (vec!["dwd.o".to_owned()], vec!["dws.v".to_owned(), "ods.o".to_owned()])
        );
    }

    #[test]
    fn path_sources_are_paths_not_tables() {
        let analysis = run(
            "INSERT INTO delta.`/lake/x` SELECT * FROM parquet.`/in/${bizdate}` JOIN ods.t USING (id)",
            &SqlOptions::default(),
        );
        let reads: Vec<_> = analysis.reads.iter().map(|r| r.name.to_string()).collect();
        assert_eq!(reads, ["ods.t"]);
        assert!(analysis.writes.is_empty());
        let paths: Vec<_> = analysis
            .paths
            .iter()
            .map(|p| (p.format.as_str(), p.path.as_str(), p.written))
            .collect();
        assert_eq!(
            paths,
            [("delta", "/lake/x", true), ("parquet", "/in/${bizdate}", false)]
        );
    }

    #[test]
    fn functions_and_their_jars_are_recorded() {
        let analysis = run(
            "ADD JAR /opt/a.jar 'hdfs://nn/b.jar';\n\
             CREATE TEMPORARY FUNCTION mask AS 'com.x.Mask' USING JAR 'hdfs://nn/m.jar', FILE '/d.txt'",
            &SqlOptions::default(),
        );
        assert!(analysis.diagnostics.is_empty(), "{:#?}", analysis.diagnostics);
        let functions: Vec<_> = analysis
            .functions
            .iter()
            .map(|f| (f.name.as_str(), f.class.as_str(), f.temporary))
            .collect();
        assert_eq!(functions, [("mask", "com.x.Mask", true)]);
        let resources: Vec<_> = analysis
            .resources
            .iter()
            .map(|r| format!("{} {}", r.kind.as_str(), r.uri))
            .collect();
        assert_eq!(
            resources,
            [
                "jar /opt/a.jar",
                "jar hdfs://nn/b.jar",
                "jar hdfs://nn/m.jar",
                "file /d.txt"
            ]
        );
        assert!(analysis.reads.is_empty() && analysis.writes.is_empty());
    }

    #[test]
    fn a_table_named_by_an_expression_is_a_named_error() {
        let analysis = run("SELECT * FROM IDENTIFIER('ods.t')", &SqlOptions::default());
        let messages: Vec<_> = analysis.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages, ["`IDENTIFIER(…)` is Spark SQL that flowc does not read"]);
    }
}
