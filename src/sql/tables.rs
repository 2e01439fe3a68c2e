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
use std::convert::Infallible;
use std::ops::ControlFlow;

use sqlparser::ast::{
    AlterViewOperation, FromTable, ObjectName, ObjectNamePart, ObjectType, Query, SetExpr, Spanned, Statement,
    TableFactor, TableObject, Use, Visit, Visitor,
};

use super::commands::{Resource, SparkCommand};
use super::cte::CteScopes;
use super::location::LineIndex;
use super::parse::{ParsedStatement, Source, SparkStatement};
use super::placeholder::{Placeholder, PlaceholderKind};
use super::{DatabaseMention, FunctionRef, PathRef, ResourceRef, SqlOptions, TableMention, TableNames, TableRef};
use crate::diagnostic::{Code, Diagnostic, Span};
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
}

/// Q301 for a `TABLE t` query: its name has no location, so an environment could not
/// rewrite it, and lineage would miss it.
fn table_query_unsupported(statement: Span) -> Diagnostic {
    Diagnostic::error(
        Code::SqlSyntax,
        "`TABLE t` as a query is Spark SQL that flowc does not read",
    )
    .at(Span::new(statement.file, statement.start, statement.start))
    .with_label("in this statement")
    .with_help("write `SELECT * FROM t` instead")
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
            SparkStatement::Command(SparkCommand::AlterTables(names)) => {
                for name in names {
                    self.command_table(&namer, name, false);
                }
                return;
            }
            SparkStatement::Command(SparkCommand::DefineView(name)) => {
                self.temporary.insert(namer.name(name).0);
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
                    table_query: false,
                };
                let ControlFlow::Continue(()) = statement.visit(&mut visitor);
                let TableVisitor {
                    reads: new_reads,
                    writes: new_writes,
                    defined,
                    table_query,
                    ..
                } = visitor;
                if table_query {
                    self.diagnostics.push(table_query_unsupported(parsed_statement.span));
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
        }
    }
}

fn resource(namer: &Namer<'_>, resource: &Resource) -> Option<ResourceRef> {
    let span = namer.index.span(resource.span)?;
    Some(ResourceRef {
        kind: resource.kind,
        uri: namer.literal(resource.span)?,
        span,
    })
}

/// Data source formats Spark reads a path with, as in ``parquet.`/data/x` ``.
const PATH_FORMATS: &[&str] = &[
    "avro",
    "binaryfile",
    "csv",
    "delta",
    "hudi",
    "iceberg",
    "image",
    "json",
    "libsvm",
    "orc",
    "parquet",
    "text",
];

/// ``format.`path` ``: a path queried as a table (Spark's SQL on files), not a table.
fn path_source(name: &ObjectName) -> Option<(String, String)> {
    let [ObjectNamePart::Identifier(format), ObjectNamePart::Identifier(path)] = name.0.as_slice() else {
        return None;
    };
    let format_name = format.value.to_ascii_lowercase();
    (format.quote_style.is_none() && path.quote_style == Some('`') && PATH_FORMATS.contains(&format_name.as_str()))
        .then(|| (format_name, path.value.clone()))
}

/// The `USE db` statement's database name, located.
fn use_mention(target: &Use, namer: &Namer<'_>, database: &str) -> Option<DatabaseMention> {
    let (Use::Object(name) | Use::Database(name) | Use::Schema(name)) = target else {
        return None;
    };
    let ObjectNamePart::Identifier(ident) = name.0.last()? else {
        return None;
    };
    let span = namer.index.span(ident.span)?;
    Some(DatabaseMention {
        database: database.to_owned(),
        span,
        quote: ident.quote_style,
        templated: namer.is_templated(span),
    })
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

/// Where the database part of a table name is, or where one would go.
fn mention(namer: &Namer<'_>, name: &ObjectName, table: &TableName, span: Span) -> TableMention {
    // `db.t`, or `catalog.db.t`: the database is the part before the table.
    let database = name.0.len().checked_sub(2).and_then(|at| match &name.0[at] {
        ObjectNamePart::Identifier(ident) => Some(ident),
        ObjectNamePart::Function(_) => None,
    });
    let database = database.and_then(|ident| {
        let span = namer.index.span(ident.span)?;
        Some(DatabaseMention {
            database: ident.value.to_lowercase(),
            span,
            quote: ident.quote_style,
            templated: namer.is_templated(span),
        })
    });
    TableMention {
        table: table.clone(),
        span,
        qualified: name.0.len() > 1,
        database,
        templated: namer.is_templated(span),
    }
}

fn used_database(target: &Use, namer: &Namer<'_>) -> Option<String> {
    match target {
        Use::Object(name) | Use::Database(name) | Use::Schema(name) | Use::Catalog(name) => {
            Some(namer.name(name).0.as_str().to_owned())
        }
        // Spark has no `USE DEFAULT` keyword: it is the database named `default`.
        Use::Default => Some("default".to_owned()),
        _ => None,
    }
}

/// Turns AST names into table names as written, with known placeholders resolved.
struct Namer<'a> {
    index: &'a LineIndex<'a>,
    original: &'a str,
    placeholders: &'a [Placeholder],
    params: Option<&'a BTreeMap<String, String>>,
}

impl Namer<'_> {
    /// The text at a parser span in the original file, without the quotes around it.
    fn literal(&self, span: sqlparser::tokenizer::Span) -> Option<String> {
        let span = self.index.span(span)?;
        let text = self.original.get(span.range())?;
        let unquoted = ['\'', '"']
            .iter()
            .find_map(|&quote| text.strip_prefix(quote).and_then(|t| t.strip_suffix(quote)));
        Some(unquoted.unwrap_or(text).to_owned())
    }

    /// Whether a template placeholder overlaps `span`.
    fn is_templated(&self, span: Span) -> bool {
        let first = self.placeholders.partition_point(|p| p.span.end <= span.start);
        self.placeholders[first..]
            .iter()
            .take_while(|p| p.span.start < span.end)
            .any(|p| matches!(p.kind, PlaceholderKind::Parameter | PlaceholderKind::Expression))
    }

    /// The unqualified-as-written name and its span in the original file.
    fn name(&self, name: &ObjectName) -> (TableName, Option<Span>) {
        let span = self.index.span(name.span());
        let templated = span.and_then(|span| self.templated_name(span));
        let table = templated.unwrap_or_else(|| {
            TableName::from_parts(name.0.iter().map(|part| match part {
                ObjectNamePart::Identifier(ident) => ident.value.as_str(),
                ObjectNamePart::Function(function) => function.name.value.as_str(),
            }))
        });
        (table, span)
    }

    /// The name as written, placeholders replaced by known values, when the name
    /// contains any placeholder.
    fn templated_name(&self, span: Span) -> Option<TableName> {
        let first = self.placeholders.partition_point(|p| p.span.end <= span.start);
        let inside: Vec<&Placeholder> = self.placeholders[first..]
            .iter()
            .take_while(|p| p.span.start < span.end)
            .filter(|p| matches!(p.kind, PlaceholderKind::Parameter | PlaceholderKind::Expression))
            .collect();
        if inside.is_empty() {
            return None;
        }
        let mut text = String::new();
        let mut at = span.start as usize;
        for placeholder in inside {
            let range = placeholder.span.range();
            text.push_str(self.original.get(at..range.start)?);
            let value = self.params.and_then(|params| params.get(&placeholder.name));
            text.push_str(value.map_or_else(|| self.original.get(range.clone()).unwrap_or(""), String::as_str));
            at = range.end;
        }
        text.push_str(self.original.get(at..span.end as usize)?);
        Some(TableName::new(&text))
    }
}

struct TableVisitor<'a> {
    namer: &'a Namer<'a>,
    temporary: &'a HashSet<TableName>,
    default_database: Option<&'a str>,
    /// Span for names without a location.
    fallback: Span,
    ctes: CteScopes,
    /// Target table factors of MERGE, UPDATE and DELETE: written, not read.
    targets: Vec<*const TableFactor>,
    reads: Vec<(TableName, Span)>,
    writes: Vec<(TableName, Span)>,
    /// Temporary views and cached tables this statement defines.
    defined: Vec<TableName>,
    /// Every table name read or written, located, for rewrites.
    names: &'a mut TableNames,
    /// Paths queried as tables.
    paths: &'a mut Vec<PathRef>,
    /// Whether a query is `TABLE t`, whose name sqlparser does not locate.
    table_query: bool,
}

/// Whether a query body is, or combines, a `TABLE t` query.
fn has_table_query(body: &SetExpr) -> bool {
    match body {
        SetExpr::Table(_) => true,
        SetExpr::SetOperation { left, right, .. } => has_table_query(left) || has_table_query(right),
        _ => false,
    }
}

impl TableVisitor<'_> {
    fn is_cte(&self, name: &TableName) -> bool {
        !name.as_str().contains('.') && self.ctes.contains(name.as_str())
    }

    /// The table a name refers to, or `None` for a temporary view or cached table.
    /// Records where the name is written.
    fn table(&mut self, name: &ObjectName, written: bool) -> Option<(TableName, Span)> {
        if let Some((format, path)) = path_source(name) {
            if let Some(span) = self.namer.index.span(name.span()) {
                self.paths.push(PathRef {
                    format,
                    path,
                    written,
                    span,
                });
            }
            return None;
        }
        let (raw, span) = self.namer.name(name);
        if self.temporary.contains(&raw) {
            return None;
        }
        let table = raw.qualified_with(self.default_database);
        if let Some(span) = span {
            self.names.tables.push(mention(self.namer, name, &table, span));
        }
        Some((table, span.unwrap_or(self.fallback)))
    }

    /// A table a DDL or utility statement changes (drops, truncates, alters, creates
    /// empty, analyses, repairs): not data lineage, but a name environments rewrite.
    fn alter(&mut self, name: &ObjectName) {
        if path_source(name).is_some() {
            return;
        }
        let (raw, span) = self.namer.name(name);
        if self.temporary.contains(&raw) || self.defined.contains(&raw) {
            return;
        }
        let table = raw.qualified_with(self.default_database);
        if let Some(span) = span {
            self.names.tables.push(mention(self.namer, name, &table, span));
            self.names.altered.push(TableRef { name: table, span });
        }
    }

    fn write(&mut self, name: &ObjectName) {
        if let Some(table) = self.table(name, true) {
            self.writes.push(table);
        }
    }

    fn define(&mut self, name: &ObjectName) {
        self.defined.push(self.namer.name(name).0);
    }

    fn write_target(&mut self, target: &TableFactor) {
        if let TableFactor::Table { name, .. } = target {
            self.write(name);
        }
        self.targets.push(target);
    }
}

impl Visitor for TableVisitor<'_> {
    type Break = Infallible;

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<Self::Break> {
        self.ctes.enter(query);
        self.table_query |= has_table_query(&query.body);
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, query: &Query) -> ControlFlow<Self::Break> {
        self.ctes.leave(query);
        ControlFlow::Continue(())
    }

    fn pre_visit_statement(&mut self, statement: &Statement) -> ControlFlow<Self::Break> {
        match statement {
            Statement::Insert(insert) => {
                if let TableObject::TableName(name) = &insert.table {
                    self.write(name);
                }
            }
            Statement::CreateTable(create) if create.query.is_some() => {
                if create.temporary {
                    self.define(&create.name);
                } else {
                    self.write(&create.name);
                }
            }
            Statement::CreateView(view) => {
                if view.temporary {
                    self.define(&view.name);
                    // A global temporary view is read as `global_temp.name`.
                    let (name, _) = self.namer.name(&view.name);
                    self.defined.push(name.qualified_with(Some("global_temp")));
                } else {
                    self.write(&view.name);
                }
            }
            Statement::Cache {
                table_name,
                query: Some(_),
                ..
            } => self.define(table_name),
            Statement::CreateTable(create) if !create.temporary => self.alter(&create.name),
            Statement::Drop {
                object_type: ObjectType::Table | ObjectType::View | ObjectType::MaterializedView,
                names,
                ..
            } => {
                for name in names {
                    self.alter(name);
                }
            }
            Statement::Truncate(truncate) => {
                for target in &truncate.table_names {
                    self.alter(&target.name);
                }
            }
            Statement::AlterTable(alter) => self.alter(&alter.name),
            // `ALTER VIEW v AS query` redefines the view, as `CREATE OR REPLACE VIEW` does.
            Statement::AlterView(view) if matches!(view.operation, AlterViewOperation::As { .. }) => {
                self.write(&view.name);
            }
            Statement::AlterView(view) => self.alter(&view.name),
            Statement::Analyze(analyze) => {
                if let Some(name) = &analyze.table_name {
                    self.alter(name);
                }
            }
            Statement::Msck(msck) => self.alter(&msck.table_name),
            Statement::Merge(merge) => self.write_target(&merge.table),
            Statement::Update(update) => self.write_target(&update.table.relation),
            Statement::Delete(delete) => {
                for name in &delete.tables {
                    self.write(name);
                }
                let (FromTable::WithFromKeyword(tables) | FromTable::WithoutKeyword(tables)) = &delete.from;
                for table in tables {
                    self.write_target(&table.relation);
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<Self::Break> {
        let TableFactor::Table { name, args: None, .. } = factor else {
            return ControlFlow::Continue(());
        };
        if self.targets.iter().any(|&target| std::ptr::eq(target, factor)) {
            return ControlFlow::Continue(());
        }
        let (raw, _) = self.namer.name(name);
        if self.is_cte(&raw) {
            return ControlFlow::Continue(());
        }
        if let Some(table) = self.table(name, false) {
            self.reads.push(table);
        }
        ControlFlow::Continue(())
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
}
