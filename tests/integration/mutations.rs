//! Corrupted input never panics: hundreds of deterministic mutations of the bundled
//! example's files (characters deleted, YAML and SQL punctuation inserted, lines
//! duplicated or cut) run through the whole check in-process.

use flowc::compiler::check;
use flowc::load::MemoryTree;

use crate::support::example;

/// A small deterministic pseudo-random generator (no dependency, same sequence on
/// every run so a failure is reproducible).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % bound.max(1)
    }
}

const NOISE: &[&str] = &[
    ":", "{", "}", "[", "]", "-", "'", "\"", "\n", " ", "&a", "*a", "!tag", "|", ">", "%", "@", "#", "${", "{{", "{%",
    "}}", ";", "(", ")", "`", "\\", "\t", "é", "\u{0}", "<<: *a", "---\n", "~", "0x", "1e9999", "..",
];

fn mutate(text: &str, rng: &mut Lcg) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..=rng.next(3) {
        let at = rng.next(chars.len() + 1);
        match rng.next(4) {
            0 if at < chars.len() => {
                chars.remove(at);
            }
            1 => {
                let noise = NOISE[rng.next(NOISE.len())];
                for (i, c) in noise.chars().enumerate() {
                    chars.insert(at + i, c);
                }
            }
            2 => chars.truncate(at),
            _ => {
                let line: String = chars[at..].iter().take_while(|c| **c != '\n').collect();
                for (i, c) in line.chars().enumerate() {
                    chars.insert(at + i, c);
                }
            }
        }
    }
    chars.into_iter().collect()
}

fn example_files() -> Vec<(String, String)> {
    let root = example();
    let mut files = vec![(
        "flowc.yaml".to_owned(),
        std::fs::read_to_string(root.join("flowc.yaml")).expect("example file readable"),
    )];
    for flow in ["payments", "risk"] {
        for entry in std::fs::read_dir(root.join("flows").join(flow)).expect("example file readable") {
            let path = entry.expect("example file readable").path();
            if path.is_file() {
                let name = format!(
                    "flows/{flow}/{}",
                    path.file_name().expect("example file readable").to_string_lossy()
                );
                files.push((name, std::fs::read_to_string(&path).expect("example file readable")));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn mutated_repositories_never_panic() {
    let files = example_files();
    let mut rng = Lcg(0x00f1_0c0f_fee5);
    let rounds = 600;
    let mut rejected = 0;
    for round in 0..rounds {
        let victim = rng.next(files.len());
        let mut tree = MemoryTree::new();
        for (i, (path, text)) in files.iter().enumerate() {
            let text = if i == victim {
                mutate(text, &mut rng)
            } else {
                text.clone()
            };
            tree = tree.with(path, text);
        }
        let result = std::panic::catch_unwind(|| check(&tree));
        let Ok(Ok(report)) = result else {
            panic!(
                "round {round}: check panicked or failed on a mutation of {}",
                files[victim].0
            );
        };
        if report.diagnostics.has_errors() {
            rejected += 1;
        }
    }
    // The mutations must really break files, or this test would prove nothing.
    assert!(
        rejected * 3 >= rounds,
        "only {rejected} of {rounds} mutated repositories had errors"
    );
}
