//! Resolution, statement by statement: the tables written and their columns, the
//! temporary views and created tables later statements read, the indirect sources.

use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;

use super::plan::{self, Statement, WriteKind};
use super::state::{Named, Resolver, rename, target_column};
use super::{ColumnName, ColumnPlan, ColumnRead, FileColumns, IndirectSource, SchemaColumn, Schemas, TableOutput};
use crate::diagnostic::{Diagnostic, Span};
use crate::model::TableName;

pub(super) fn resolve(plan: &ColumnPlan, schemas: &dyn Schemas) -> FileColumns {
    let mut resolver = Resolver {
        schemas,
        temporaries: HashMap::new(),
        created: HashMap::new(),
        ctes: Vec::new(),
        frames: Vec::new(),
        indirect: Vec::new(),
        out: FileColumns::default(),
    };
    let mut indirect = BTreeSet::new();
    for statement in &plan.statements {
        resolver.indirect.clear();
        match statement {
            Statement::Read(query) => {
                resolver.query(query);
            }
            Statement::Write(write) => {
                let output = resolver.write(write);
                for (source, kind) in resolver.indirect.drain(..) {
                    indirect.insert(IndirectSource {
                        target: output.clone(),
                        source,
                        kind,
                    });
                }
            }
            Statement::Temporary { name, columns, query } => {
                let mut output = resolver.query(query);
                rename(&mut output.columns, columns);
                let named = Named {
                    output,
                    indirect: std::mem::take(&mut resolver.indirect),
                };
                let named = Some(Rc::new(named));
                // A global temporary view is read as `global_temp.name`.
                let global = name.qualified_with(Some("global_temp"));
                if global != *name {
                    resolver.temporaries.insert(global, named.clone());
                }
                resolver.temporaries.insert(name.clone(), named);
            }
            Statement::Opaque(name) => {
                resolver.temporaries.insert(name.clone(), None);
            }
            Statement::Merge(merge) => {
                resolver.merge(merge);
                for (source, kind) in resolver.indirect.drain(..) {
                    indirect.insert(IndirectSource {
                        target: merge.target.clone(),
                        source,
                        kind,
                    });
                }
            }
        }
    }
    let mut out = resolver.out;
    out.indirect = indirect.into_iter().collect();
    out.reads.sort_by_key(|read| (read.span.start, read.span.end));
    out.unresolved.sort_by_key(|read| (read.span.start, read.span.end));
    out.diagnostics.sort_by_key(|d| d.span.map(|s| (s.start, s.end)));
    out
}

impl Resolver<'_> {
    /// The known columns of a table: declared, or created earlier in the file.
    pub(super) fn table_columns(&self, table: &TableName) -> Option<&[SchemaColumn]> {
        self.schemas
            .columns(table)
            .or_else(|| self.created.get(table).map(Vec::as_slice))
    }

    pub(super) fn read(&mut self, column: ColumnName, span: Span) {
        self.out.reads.push(ColumnRead { column, span });
    }

    pub(super) fn diagnostic(&mut self, diagnostic: Diagnostic) {
        self.out.diagnostics.push(diagnostic);
    }

    /// Resolves an INSERT, CTAS or view; returns the table written.
    fn write(&mut self, write: &plan::Write) -> TableName {
        let output = self.query(&write.query);
        let dynamic: Vec<&String> = write
            .partitions
            .iter()
            .filter(|(_, constant)| !constant)
            .map(|(name, _)| name)
            .collect();
        let statics: Vec<String> = write
            .partitions
            .iter()
            .filter(|(_, constant)| *constant)
            .map(|(name, _)| name.clone())
            .collect();
        let mut columns = output.columns;
        let count = columns.len();
        if write.kind == WriteKind::Insert {
            let names: Vec<String> = if write.columns.is_empty() {
                match self.table_columns(&write.target) {
                    Some(schema) => schema
                        .iter()
                        .filter(|column| !statics.contains(&column.name))
                        .map(|column| column.name.clone())
                        .collect(),
                    None => Vec::new(),
                }
            } else {
                write.columns.iter().chain(dynamic.iter().copied()).cloned().collect()
            };
            rename(&mut columns, &names);
            if names.is_empty() {
                // Without a schema the dynamic partition columns are the last items.
                let first = count.saturating_sub(dynamic.len());
                for (column, name) in columns[first..].iter_mut().zip(&dynamic) {
                    column.name.clone_from(name);
                }
            }
        } else {
            rename(&mut columns, &write.columns);
            let schema = columns
                .iter()
                .map(|column| SchemaColumn {
                    name: column.name.clone(),
                    data_type: column.data_type.clone(),
                })
                .collect();
            if output.complete {
                self.created.insert(write.target.clone(), schema);
            }
        }
        let table = TableOutput {
            table: write.target.clone(),
            columns: columns.into_iter().map(target_column).collect(),
            static_partitions: statics,
            dynamic_partitions: dynamic.into_iter().cloned().collect(),
            complete: output.complete,
            by_name: write.kind == WriteKind::Insert && !write.columns.is_empty(),
            span: write.span,
        };
        self.output(table);
        write.target.clone()
    }

    /// Adds a written table, merged by position with an earlier write of it.
    pub(super) fn output(&mut self, table: TableOutput) {
        let Some(earlier) = self.out.outputs.iter_mut().find(|o| o.table == table.table) else {
            self.out.outputs.push(table);
            return;
        };
        earlier.complete &= table.complete;
        for (position, column) in table.columns.into_iter().enumerate() {
            match earlier.columns.get_mut(position) {
                Some(known) => {
                    let mut sources: BTreeSet<ColumnName> = known.sources.drain(..).collect();
                    sources.extend(column.sources);
                    known.sources = sources.into_iter().collect();
                    known.transformation = known.transformation.max(column.transformation);
                    if known.data_type != column.data_type {
                        known.data_type = None;
                    }
                }
                None => earlier.columns.push(column),
            }
        }
        for partition in table.static_partitions {
            if !earlier.static_partitions.contains(&partition) {
                earlier.static_partitions.push(partition);
            }
        }
    }
}
