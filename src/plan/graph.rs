//! The lineage of one side of a plan: which task writes and reads which table, and
//! which tasks run downstream of which, for the impact, breaking-change and writer
//! sections.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::render::manifest::Manifest;

/// The dependency edges and the tables of one manifest, by task name (`flow.task`).
/// Cross-flow sensors are not tasks here: they only wait.
pub(crate) struct Graph<'a> {
    downstream: BTreeMap<&'a str, BTreeSet<&'a str>>,
    writes: BTreeMap<&'a str, Vec<&'a str>>,
    reads: BTreeMap<&'a str, Vec<&'a str>>,
    /// Table → the task that writes it.
    writers: BTreeMap<&'a str, &'a str>,
}

impl<'a> Graph<'a> {
    pub(crate) fn of(manifest: &'a Manifest) -> Self {
        let mut lineage = Self {
            downstream: BTreeMap::new(),
            writes: BTreeMap::new(),
            reads: BTreeMap::new(),
            writers: BTreeMap::new(),
        };
        for (_, task) in manifest.tasks().filter(|(_, t)| !t.is_sensor()) {
            let name = task.name.as_str();
            lineage
                .writes
                .insert(name, task.writes.iter().map(String::as_str).collect());
            lineage
                .reads
                .insert(name, task.reads.iter().map(String::as_str).collect());
            for table in &task.writes {
                lineage.writers.entry(table.as_str()).or_insert(name);
            }
        }
        for edge in &manifest.edges {
            lineage
                .downstream
                .entry(edge.from.as_str())
                .or_default()
                .insert(edge.to.as_str());
        }
        lineage
    }

    /// Whether the task exists.
    pub(crate) fn has(&self, task: &str) -> bool {
        self.writes.contains_key(task)
    }

    /// Tables the task writes.
    pub(crate) fn writes_of(&self, task: &str) -> Vec<String> {
        self.writes
            .get(task)
            .map(|w| w.iter().map(|t| (*t).to_owned()).collect())
            .unwrap_or_default()
    }

    /// Table → writer.
    pub(crate) fn writers(&self) -> &BTreeMap<&'a str, &'a str> {
        &self.writers
    }

    /// Tables the task reads.
    pub(crate) fn reads_of(&self, task: &str) -> &[&'a str] {
        self.reads.get(task).map_or(&[], Vec::as_slice)
    }

    /// The tasks directly downstream of `task`.
    pub(crate) fn children(&self, task: &str) -> impl Iterator<Item = &'a str> + '_ {
        self.downstream.get(task).into_iter().flatten().copied()
    }

    /// Every task reachable downstream from `start` (not included unless on a path
    /// back to itself, which the check forbids), sorted.
    pub(crate) fn reachable(&self, start: impl IntoIterator<Item = &'a str>) -> BTreeSet<&'a str> {
        let mut seen: BTreeSet<&'a str> = BTreeSet::new();
        let mut queue: VecDeque<&'a str> = start.into_iter().collect();
        while let Some(task) = queue.pop_front() {
            for child in self.children(task) {
                if seen.insert(child) {
                    queue.push_back(child);
                }
            }
        }
        seen
    }

    /// The tasks of `head` downstream of `task`, a task of this (base) lineage that
    /// `head` no longer has: its direct readers in base that still exist, and
    /// everything downstream of them in `head`.
    pub(crate) fn reachable_in(&self, task: &str, head: &Graph<'a>) -> BTreeSet<&'a str> {
        let first: BTreeSet<&'a str> = self.children(task).filter(|t| head.has(t)).collect();
        let mut all = head.reachable(first.iter().copied());
        all.extend(first);
        all
    }

    /// Tables the given tasks write, sorted.
    pub(crate) fn tables_written_by<'b>(&self, tasks: impl IntoIterator<Item = &'b str>) -> BTreeSet<String> {
        tasks
            .into_iter()
            .flat_map(|task| self.writes.get(task).into_iter().flatten())
            .map(|table| (*table).to_owned())
            .collect()
    }

    /// The tasks that read `table`, sorted.
    pub(crate) fn readers_of(&self, table: &str) -> Vec<String> {
        self.reads
            .iter()
            .filter(|(_, reads)| reads.contains(&table))
            .map(|(task, _)| (*task).to_owned())
            .collect()
    }
}
