//! The unit tests' part of a check: their CSV files read (through load, like every
//! file), then stage 8's checks.

use std::collections::BTreeMap;

use crate::Error;
use crate::columns::RepositoryColumns;
use crate::diagnostic::{Diagnostics, FileId, SourceMap};
use crate::graph::TaskIo;
use crate::load::{self, FileSource, TextFile};
use crate::model::{Repository, TaskId, TestRows};
use crate::quality::Check;
use crate::unit_tests::{self, CheckedTest, UnitTestInput};

/// The tests checked against the analysed repository; their problems go into
/// `diagnostics`.
pub(super) fn check(
    tree: &dyn FileSource,
    repository: &Repository,
    analysed: (
        &BTreeMap<TaskId, TaskIo>,
        &BTreeMap<TaskId, Vec<Check>>,
        &RepositoryColumns,
    ),
    sources: &mut SourceMap,
    diagnostics: &mut Diagnostics,
) -> Result<Vec<CheckedTest>, Error> {
    let mut csv_files: BTreeMap<String, FileId> = BTreeMap::new();
    for test in &repository.unit_tests {
        let test_file = sources.file(test.file).path().to_owned();
        for table in test.given.iter().chain(&test.expect) {
            let TestRows::Csv(path) = &table.rows else {
                continue;
            };
            let full = unit_tests::csv_path(&test_file, &path.value);
            if csv_files.contains_key(&full) {
                continue;
            }
            match load::read_text(tree, sources, &full, Some(path.span))? {
                TextFile::Read(file) => {
                    csv_files.insert(full, file);
                }
                TextFile::Unusable(problem) => diagnostics.push(*problem),
            }
        }
    }
    let (task_io, quality, columns) = analysed;
    let input = UnitTestInput {
        repository,
        task_io,
        quality,
        columns,
        sources,
        csv_files: &csv_files,
    };
    let (checked, problems) = unit_tests::check(&input);
    diagnostics.extend(problems);
    Ok(checked)
}
