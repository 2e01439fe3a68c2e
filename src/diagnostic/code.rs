//! Stable diagnostic codes, grouped by the stage that finds the problem.
//!
//! `L1xx` load, `S2xx` schema and model validation, `Q3xx` SQL, `G4xx` graph,
//! `P5xx` permissions and quality, `R6xx` render, `D7xx` deploy, `T8xx` unit tests. A code is named for
//! the problem, never for the fix, and never changes meaning once released.

use std::fmt;

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal ),* $(,)?) => {
        /// A stable diagnostic code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum Code {
            $( $(#[$doc])* $variant, )*
        }

        impl Code {
            /// Every code, in code order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The code as shown to users, e.g. `G402`.
            pub const fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// The problem's name, e.g. `CyclicDependency`.
            pub const fn name(self) -> &'static str {
                match self { $(Code::$variant => stringify!($variant),)* }
            }
        }
    };
}

codes! {
    /// A file is not valid UTF-8.
    InvalidUtf8 = "L101",
    /// A file is larger than flowc reads.
    FileTooLarge = "L102",
    /// A YAML file does not parse.
    YamlSyntax = "L103",
    /// A mapping has the same key twice.
    DuplicateKey = "L104",
    /// A YAML feature flowc does not accept (several documents, custom tags, merge keys).
    UnsupportedYaml = "L105",
    /// A path in the repository points at a file that does not exist.
    MissingFile = "L106",
    /// A path leaves the repository (`..`, absolute, or a symlink out).
    PathEscapesRepository = "L107",
    /// A flow folder has no `flow.yaml`.
    MissingFlowFile = "L108",
    /// YAML aliases would copy more than flowc expands in one file.
    AliasExpansionTooLarge = "L109",

    /// A key the schema does not allow.
    UnknownKey = "S201",
    /// A required key is missing.
    MissingKey = "S202",
    /// A value has the wrong type.
    WrongType = "S203",
    /// A value is out of the allowed set, range or pattern.
    InvalidValue = "S204",
    /// Two flows share a name.
    DuplicateFlow = "S205",
    /// Two tasks in one flow share a name.
    DuplicateTask = "S206",
    /// A flow's name differs from its folder's name.
    FlowNameMismatch = "S207",
    /// A team is referenced but not declared in `flowc.yaml`.
    UnknownTeam = "S208",
    /// A cron schedule does not parse.
    InvalidSchedule = "S209",
    /// A table is declared twice among the sources.
    DuplicateSource = "S211",
    /// A connection is referenced but not declared.
    UnknownConnection = "S212",
    /// A password, token or private key is written in the repository.
    LiteralSecret = "S213",
    /// A sync's source and target columns do not line up.
    SyncColumnCount = "S214",
    /// A sync column's type does not fit its target column.
    SyncColumnType = "S215",
    /// A partition spec does not match the table's declared partitions.
    PartitionMismatch = "S216",
    /// A sync sets keys that do not apply to its connections, or lacks ones they need.
    SyncMisconfigured = "S217",
    /// A sync reads or writes a warehouse table no flow declares.
    UndeclaredTable = "S218",
    /// A sync's speed or error limits contradict each other.
    SyncLimits = "S219",
    /// A sync asks for more throughput than its priority level allows, and is capped.
    SyncThrottleCapped = "S220",
    /// A cron schedule that parses never runs (e.g. `0 0 31 2 *`, February 31st).
    ScheduleNeverRuns = "S221",
    /// A sync target's partition value does not name one partition directory (a
    /// pattern, quotes, an empty value, a character Hive escapes).
    InvalidPartitionValue = "S222",

    /// A SQL statement does not parse.
    SqlSyntax = "Q301",
    /// A `${name}` placeholder names no parameter or built-in.
    UnknownTemplateVariable = "Q302",
    /// A `${`, `{{`, `{%` or `{#` is never closed.
    UnterminatedPlaceholder = "Q303",
    /// A SQL file holds no statement.
    EmptySql = "Q304",
    /// A sparksql task writes no table.
    NoTableWritten = "Q305",
    /// A Jinja block tag (`{% if %}`, `{% for %}`, …) in SQL is never closed, or an
    /// `{% end… %}`, `{% elif %}` or `{% else %}` has no block to belong to.
    UnbalancedTemplateBlock = "Q306",
    /// A backticked name holds a character that does not show (a zero-width space, a
    /// bidi or other format character, a control character).
    InvisibleCharacterInName = "Q307",
    /// A column a SQL statement reads is not in the known columns of the table (or
    /// CTE, subquery, view) it reads it from.
    UnknownColumn = "Q308",
    /// An unqualified column is a column of several tables of the FROM clause.
    AmbiguousColumn = "Q309",
    /// A query writes a declared table more or fewer columns than it declares.
    ColumnCountMismatch = "Q310",
    /// A query writes a declared table's columns in another order than declared
    /// (INSERT is positional: swapped columns land in each other's place).
    ColumnOrderMismatch = "Q311",
    /// A query writes a value of a type that does not fit a declared column without
    /// loss.
    ColumnTypeMismatch = "Q312",
    /// Columns are read from a table whose schema is unknown, so they are not checked.
    UnknownTableSchema = "Q313",

    /// Several tasks write the same table.
    DuplicateWriter = "G401",
    /// Tasks depend on each other in a circle.
    CyclicDependency = "G402",
    /// A table is read, but no task writes it and it is not a declared source.
    UndeclaredSource = "G403",
    /// A `depends_on` names a task that does not exist.
    UnknownTask = "G404",
    /// A task writes a table declared as an external source.
    SourceTableWritten = "G405",
    /// A `depends_on` names the task itself.
    SelfDependency = "G406",
    /// A task reads or writes a table its flow's owner team is not granted.
    AccessNotGranted = "P501",
    /// A task reads or writes a classified table (e.g. pii) without a grant that names
    /// the class.
    ClassifiedTableNotGranted = "P502",
    /// Access control names a team or classification that is not declared.
    UnknownAccessReference = "P503",


    /// A quality rule names a column its table is declared without. (P501–P509 are
    /// access control's.)
    UnknownQualityColumn = "P510",
    /// Two quality rules of one flow share a name.
    DuplicateQualityRule = "P511",
    /// A quality rule checks a table its task does not write.
    QualityTableNotWritten = "P512",
    /// A quality rule names no table, and its task writes several.
    AmbiguousQualityTable = "P513",
    /// A quality rule compares with a table that may not be ready when the check runs:
    /// its task neither reads nor writes it, and it is not a declared source.
    QualityTableNotReady = "P514",
    /// A SQL expression of a quality rule does not parse as one expression.
    InvalidQualityExpression = "P515",
    /// A quality rule's partition does not fit its table or its check.
    QualityPartitionMismatch = "P516",
    /// A rule compares a row count with a sync source on a task that syncs nothing
    /// into the table.
    SyncSourceCountUnavailable = "P517",

    /// Two flows or tasks get the same Airflow id.
    IdCollision = "R601",
    /// A cross-flow dependency joins two schedules whose runs cannot be matched.
    ScheduleMisaligned = "R602",
    /// A sparksql task asks for `spark_submit` but no SQL runner is configured.
    MissingSqlRunner = "R603",
    /// A template does not render (a repository's own override, usually).
    TemplateError = "R604",
    /// A rendered DataX job does not pass the DataX job schema.
    DataxJobInvalid = "R605",
    /// An environment other than `prod` would write a table, path or external system
    /// of production (a database or connection it does not map).
    ProductionWrite = "R606",
    /// An environment maps a table's database, but the SQL names it through a template
    /// placeholder, so it cannot be rewritten.
    UnmappableTableName = "R607",
    /// An environment's setting names something the project does not declare.
    UnknownEnvironmentReference = "R608",
    /// A DAG file rendered from a repository's template override is empty, is not
    /// valid Python, or defines no DAG.
    DagFileInvalid = "R609",
    /// A repository's template runs more steps than one render may take.
    TemplateRunsTooLong = "R611",
    /// A repository's template writes more than one rendered file may hold.
    TemplateOutputTooLarge = "R612",
    /// A flow's `sla` has alerts Airflow 3's deadline alerts cannot call.
    SlaNotAlerted = "R613",
    /// A warehouse table's column types cannot be known (inferred without a type, or
    /// written by a task flowc cannot see into), so flowc cannot write its DDL.
    ColumnTypesUnknown = "R614",
    /// A declaration of a table gives another storage format, field delimiter or
    /// location than the DataX job that writes its files.
    StorageMismatch = "R615",

    /// `.github/CODEOWNERS` is missing or differs from what `flowc codeowners` writes.
    CodeownersOutOfDate = "D701",
    /// A flow, or the project's own files, would have no code owner: no team with a
    /// GitHub handle owns them.
    MissingCodeOwner = "D702",

    /// A unit test names a task its flow does not have, or one it cannot run.
    UnknownTestTask = "T801",
    /// A unit test gives rows of a table its task does not use, or expects rows of one
    /// it does not write.
    TestTableNotUsed = "T802",
    /// A unit test names a column its table does not have.
    UnknownTestColumn = "T803",
    /// A unit test's value does not fit its column's type.
    TestValueType = "T804",
    /// A unit test needs a table whose column types flowc does not know.
    TestTableSchemaUnknown = "T805",
    /// A unit test names a quality rule its task does not have.
    UnknownTestCheck = "T806",
    /// A unit test sets a parameter its task does not use.
    UnknownTestParam = "T807",
    /// Two unit tests of a flow have the same name.
    DuplicateTestName = "T808",
    /// A unit test's CSV file cannot be read as rows.
    TestCsv = "T809",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn codes_are_unique_and_grouped_by_stage() {
        let mut seen = BTreeSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.as_str()), "duplicate code {code}");
            let stage = code.as_str().as_bytes()[0];
            assert!(b"LSQGPRDT".contains(&stage), "unknown stage letter in {code}");
        }
    }
}
