//! Stage 2, load: repository → source files and span-keeping YAML trees.
//!
//! Input: a [`FileSource`] (a work tree, a git revision, or files in memory). Output:
//! a [`LoadedRepo`] holding every file read in a [`SourceMap`], the parsed
//! `flowc.yaml` and `flows/<flow>/flow.yaml` trees, and the diagnostics found on the
//! way (invalid UTF-8, oversized files, YAML syntax, duplicate keys). The only stage
//! that reads files: the compiler reads the files later stages name (SQL files,
//! template overrides, ml applications) through [`read_text`], [`read_bytes`] and
//! [`read_all`], and
//! stages 3–10 are pure.

mod cache;
mod git;
mod prefetch;
mod record;
mod source;
pub mod yaml;

pub use cache::read_cache;
pub use git::GitTree;
pub(crate) use git::relative_folder;
pub use prefetch::Prefetched;
pub use record::{Call, Inputs, Recording};
pub use source::{FileSource, MAX_FILE_BYTES, MemoryTree, ReadOutcome, WorkTree};
pub use yaml::{YamlEntry, YamlNode, YamlValue};

use std::collections::BTreeMap;

use crate::Error;
use crate::diagnostic::suggest::did_you_mean;
use crate::diagnostic::{Code, Diagnostic, Diagnostics, FileId, SourceMap, Span};

/// The project file at the repository root.
pub const PROJECT_FILE: &str = "flowc.yaml";
/// The folder holding one sub-folder per flow.
pub const FLOWS_DIR: &str = "flows";
/// The flow file inside each flow folder.
pub const FLOW_FILE: &str = "flow.yaml";
/// The folder of a flow's unit test files (`*.yaml`, `*.yml`).
pub const TESTS_DIR: &str = "tests";

/// A parsed YAML file.
#[derive(Debug)]
pub struct Document {
    /// The file's id in the source map.
    pub file: FileId,
    /// Its root value.
    pub root: YamlNode,
}

/// One `flows/<folder>/flow.yaml`.
#[derive(Debug)]
pub struct FlowDocument {
    /// The flow folder's name.
    pub folder: String,
    /// The parsed file, or `None` when it could not be read or parsed (a diagnostic says why).
    pub document: Option<Document>,
}

/// Everything read from a repository's YAML files.
#[derive(Debug)]
pub struct LoadedRepo {
    /// Every file read, for locating diagnostics.
    pub sources: SourceMap,
    /// `flowc.yaml`, unless it did not parse.
    pub project: Option<Document>,
    /// The flows, sorted by folder name.
    pub flows: Vec<FlowDocument>,
    /// The unit test files of the flows, sorted by path; `folder` is the flow's.
    pub tests: Vec<FlowDocument>,
    /// Problems found while loading.
    pub diagnostics: Diagnostics,
}

/// Whether `path` is a unit test file, or a file beside one (`flows/<flow>/tests/…`).
pub fn is_test_file(path: &str) -> bool {
    let mut parts = path.split('/');
    parts.next() == Some(FLOWS_DIR) && parts.next().is_some() && parts.next() == Some(TESTS_DIR)
}

/// Reads `flowc.yaml`, every `flows/*/flow.yaml` and every `flows/*/tests/*.yaml`.
///
/// A folder without `flowc.yaml` is not a flowc repository: that is an [`Error`], not a
/// diagnostic, because there is nothing to check.
pub fn load(tree: &dyn FileSource) -> Result<LoadedRepo, Error> {
    let mut sources = SourceMap::new();
    let mut diagnostics = Diagnostics::new();
    if matches!(tree.read(PROJECT_FILE)?, ReadOutcome::NotFound) {
        return Err(Error::NoRepository {
            path: tree.location().into(),
            reason: "there is no flowc.yaml at its root (is this a flowc repository?)".into(),
        });
    }
    let project = read_yaml(tree, &mut sources, &mut diagnostics, PROJECT_FILE)?;
    let mut flows = Vec::new();
    let mut tests = Vec::new();
    for folder in tree.sub_folders(FLOWS_DIR)? {
        let path = format!("{FLOWS_DIR}/{folder}/{FLOW_FILE}");
        if matches!(tree.read(&path)?, ReadOutcome::NotFound) {
            diagnostics.push(
                Diagnostic::warning(
                    Code::MissingFlowFile,
                    format!("folder `{FLOWS_DIR}/{folder}` has no {FLOW_FILE}"),
                )
                .with_help(format!("add `{path}`, or move the folder out of `{FLOWS_DIR}/`")),
            );
            continue;
        }
        let document = read_yaml(tree, &mut sources, &mut diagnostics, &path)?;
        let tests_dir = format!("{FLOWS_DIR}/{folder}/{TESTS_DIR}");
        for name in tree.files(&tests_dir)? {
            let extension = std::path::Path::new(&name).extension().and_then(|e| e.to_str());
            if extension.is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml")) {
                let document = read_yaml(tree, &mut sources, &mut diagnostics, &format!("{tests_dir}/{name}"))?;
                tests.push(FlowDocument {
                    folder: folder.clone(),
                    document,
                });
            }
        }
        flows.push(FlowDocument { folder, document });
    }
    Ok(LoadedRepo {
        sources,
        project,
        flows,
        tests,
        diagnostics,
    })
}

fn read_yaml(
    tree: &dyn FileSource,
    sources: &mut SourceMap,
    diagnostics: &mut Diagnostics,
    path: &str,
) -> Result<Option<Document>, Error> {
    let file = match read_text(tree, sources, path, None)? {
        TextFile::Read(file) => file,
        TextFile::Unusable(diagnostic) => {
            diagnostics.push(*diagnostic);
            return Ok(None);
        }
    };
    let (root, found) = yaml::parse(sources.file(file), file);
    let failed = found.iter().any(Diagnostic::is_error);
    diagnostics.extend(found);
    Ok(match root {
        Some(root) if !failed => Some(Document { file, root }),
        Some(_) => None,
        None => {
            if !failed {
                diagnostics.push(
                    Diagnostic::error(Code::YamlSyntax, "the file is empty")
                        .at(Span::file_start(file))
                        .with_help("every YAML file in a flowc repository holds a mapping"),
                );
            }
            None
        }
    })
}

/// What reading a file as text gave: its id in the source map, or the problem that
/// makes it unusable (missing, a folder, outside the repository, too large, not UTF-8).
#[derive(Debug)]
pub enum TextFile {
    /// Registered in the source map.
    Read(FileId),
    /// Why the file cannot be used, located where it was named.
    Unusable(Box<Diagnostic>),
}

/// Reads a repository file as UTF-8 text and registers it.
///
/// `referenced_at` is the YAML value that named the file, where a missing or escaping
/// path is reported. Returns the file id, or the diagnostic that explains why the file
/// cannot be used.
pub fn read_text(
    tree: &dyn FileSource,
    sources: &mut SourceMap,
    path: &str,
    referenced_at: Option<Span>,
) -> Result<TextFile, Error> {
    Ok(match read_bytes(tree, sources, path, referenced_at)? {
        Ok(bytes) => register_text(sources, path, bytes),
        Err(diagnostic) => TextFile::Unusable(diagnostic),
    })
}

/// Reads a repository file's bytes, text or not (an ml application may be a JAR), with
/// the same judgement as [`read_text`]: the bytes, or the diagnostic, located at
/// `referenced_at`, that explains why the file cannot be used.
pub fn read_bytes(
    tree: &dyn FileSource,
    sources: &mut SourceMap,
    path: &str,
    referenced_at: Option<Span>,
) -> Result<Result<Vec<u8>, Box<Diagnostic>>, Error> {
    let locate = |diagnostic: Diagnostic, sources: &mut SourceMap| match referenced_at {
        Some(span) => diagnostic.at(span),
        None => diagnostic.at(Span::file_start(sources.add(path, ""))),
    };
    let base = if is_test_file(path) {
        "the test file's folder"
    } else {
        "the flow's folder"
    };
    let bytes = match tree.read(path)? {
        ReadOutcome::Bytes(bytes) => bytes,
        ReadOutcome::NotFound => {
            let (folder, name) = path.rsplit_once('/').unwrap_or(("", path));
            let present = tree.files(folder)?;
            let help = did_you_mean(name, present.iter().map(String::as_str))
                .unwrap_or_else(|| format!("check the path; it is relative to {base}"));
            let diagnostic = Diagnostic::error(Code::MissingFile, format!("file `{path}` does not exist"))
                .with_label("named here")
                .with_help(help);
            return Ok(Err(Box::new(locate(diagnostic, sources))));
        }
        ReadOutcome::Special => {
            let diagnostic = Diagnostic::error(
                Code::MissingFile,
                format!("`{path}` is not a regular file (a named pipe, a socket or a device)"),
            )
            .with_label("named here")
            .with_help("name a regular file");
            return Ok(Err(Box::new(locate(diagnostic, sources))));
        }
        ReadOutcome::NotAFile => {
            let diagnostic = Diagnostic::error(Code::MissingFile, format!("`{path}` is a folder, not a file"))
                .with_label("named here")
                .with_help("name a file");
            return Ok(Err(Box::new(locate(diagnostic, sources))));
        }
        ReadOutcome::Escapes => {
            // Show the path as the user wrote it, not as joined to the flow folder.
            let written = referenced_at
                .and_then(|span| sources.file(span.file).text().get(span.range()))
                .map_or(path, |text| text.trim_matches(|c| c == '"' || c == '\''));
            let diagnostic = Diagnostic::error(
                Code::PathEscapesRepository,
                format!("path `{written}` leads outside the repository"),
            )
            .with_label("resolves outside the repository (through `..`, an absolute path or a symbolic link)")
            .with_help(format!(
                "keep every file inside the repository and name it relative to {base}; \
                 a symbolic link must point inside the repository too"
            ));
            return Ok(Err(Box::new(locate(diagnostic, sources))));
        }
        ReadOutcome::TooLarge(size) => {
            let file = sources.add(path, "");
            return Ok(Err(Box::new(
                Diagnostic::error(
                    Code::FileTooLarge,
                    format!("file `{path}` is {size} bytes, more than flowc reads ({MAX_FILE_BYTES} bytes)"),
                )
                .at(referenced_at.unwrap_or(Span::file_start(file)))
                .with_label("too large")
                .with_help("split it into smaller files"),
            )));
        }
    };
    Ok(Ok(bytes))
}

/// Reads each of `paths`, keeping what reading gave (bytes, missing, escaping…) for
/// the caller to judge: template overrides.
pub fn read_all(
    tree: &dyn FileSource,
    paths: impl IntoIterator<Item = String>,
) -> Result<BTreeMap<String, ReadOutcome>, Error> {
    paths
        .into_iter()
        .map(|path| Ok((path.clone(), tree.read(&path)?)))
        .collect()
}

/// Registers `bytes` as the text of `path`, or explains where they stop being UTF-8.
pub fn register_text(sources: &mut SourceMap, path: &str, bytes: Vec<u8>) -> TextFile {
    match String::from_utf8(bytes) {
        Ok(text) => TextFile::Read(sources.add(path, text)),
        Err(error) => {
            let valid = error.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(error.as_bytes()).into_owned();
            let file = sources.add(path, text);
            TextFile::Unusable(Box::new(
                Diagnostic::error(Code::InvalidUtf8, "file is not valid UTF-8")
                    .at(Span::new(file, valid as u32, valid as u32))
                    .with_label("first invalid byte")
                    .with_help("save the file as UTF-8"),
            ))
        }
    }
}
