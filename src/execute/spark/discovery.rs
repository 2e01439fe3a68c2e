//! Which Java and which Python the local Spark starts with, and whether they fit
//! Spark 3.5: read from a [`Machine`] (the variables discovery depends on) rather than
//! from the process environment, so tests can pass their own.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{SparkOptions, SparkUnavailable};

/// The Java versions Spark 3.5 runs on (its documentation: Java 8/11/17).
const SUPPORTED_JAVA: [u32; 3] = [8, 11, 17];

/// The pyspark versions the embedded server is written for.
const PYSPARK_SERIES: &str = "3.5.";

/// What discovery reads from the machine: the environment variables that choose the
/// local Spark, Java and Python.
#[derive(Clone, Debug, Default)]
pub struct Machine {
    /// `FLOWC_SPARK`: `HOST:PORT` of a running local Spark.
    pub flowc_spark: Option<String>,
    /// `FLOWC_PYTHON`: the Python that has pyspark.
    pub flowc_python: Option<OsString>,
    /// `JAVA_HOME`.
    pub java_home: Option<OsString>,
    /// `PATH`, also given to the processes flowc starts.
    pub path: OsString,
}

impl Machine {
    /// The variables of this process; an empty one counts as unset.
    pub fn from_env() -> Machine {
        let set = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
        Machine {
            flowc_spark: set("FLOWC_SPARK").map(|value| value.to_string_lossy().into_owned()),
            flowc_python: set("FLOWC_PYTHON"),
            java_home: set("JAVA_HOME"),
            path: std::env::var_os("PATH").unwrap_or_default(),
        }
    }

    /// A command for `program` with this machine's `PATH` and `JAVA_HOME` (unset when
    /// it has none), so Spark's launcher finds the Java discovery checked.
    pub(super) fn command(&self, program: &Path) -> Command {
        let mut command = Command::new(program);
        command.env("PATH", &self.path);
        match &self.java_home {
            Some(home) => command.env("JAVA_HOME", home),
            None => command.env_remove("JAVA_HOME"),
        };
        command
    }

    /// `name` in the first `PATH` folder that has it as an executable file.
    fn on_path(&self, name: &str) -> Option<PathBuf> {
        std::env::split_paths(&self.path)
            .map(|dir| dir.join(name))
            .find(|candidate| is_executable(candidate))
    }
}

/// A program discovery chose, and what chose it (for messages).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The program.
    pub path: PathBuf,
    /// `--python`, `FLOWC_PYTHON`, `JAVA_HOME` or `PATH`.
    pub from: &'static str,
}

/// The running local Spark to use, and what named it: `options.address`, else
/// `FLOWC_SPARK`; `None` when flowc is to start one.
pub(super) fn address(options: &SparkOptions, machine: &Machine) -> Option<(String, &'static str)> {
    let (text, from) = match (&options.address, &machine.flowc_spark) {
        (Some(address), _) => (address, "--spark"),
        (None, Some(address)) => (address, "FLOWC_SPARK"),
        (None, None) => return None,
    };
    // The spark-sql client's master URL names the same server.
    let text = text.trim();
    Some((text.strip_prefix("local-spark://").unwrap_or(text).to_owned(), from))
}

/// The Python: `options.python`, else `FLOWC_PYTHON`, else `python3` on `PATH`, else
/// `python`.
pub fn find_python(options: &SparkOptions, machine: &Machine) -> Result<Found, SparkUnavailable> {
    let given = options
        .python
        .as_ref()
        .map(|path| (path.as_os_str(), "--python"))
        .or_else(|| machine.flowc_python.as_deref().map(|path| (path, "FLOWC_PYTHON")));
    if let Some((program, from)) = given {
        // A bare name is looked up on PATH, as a shell would; a relative path is made
        // absolute (the server runs in another folder), not canonical (a venv's python
        // is a link that must stay one).
        let path = if Path::new(program).components().count() == 1 {
            machine.on_path(&program.to_string_lossy())
        } else {
            Some(std::path::absolute(program).unwrap_or_else(|_| PathBuf::from(program)))
        };
        return path
            .map(|path| Found { path, from })
            .ok_or_else(|| SparkUnavailable::NoSuchPython {
                python: PathBuf::from(program),
                from,
            });
    }
    ["python3", "python"]
        .iter()
        .find_map(|name| machine.on_path(name))
        .map(|path| Found { path, from: "PATH" })
        .ok_or(SparkUnavailable::NoPython)
}

/// The Java Spark's launcher runs: `$JAVA_HOME/bin/java` when `JAVA_HOME` is set, else
/// `java` on `PATH`.
pub fn find_java(machine: &Machine) -> Result<Found, SparkUnavailable> {
    if let Some(home) = &machine.java_home {
        let java = Path::new(home).join("bin").join("java");
        return if is_executable(&java) {
            Ok(Found {
                path: java,
                from: "JAVA_HOME",
            })
        } else {
            Err(SparkUnavailable::JavaHomeWithoutJava {
                java_home: PathBuf::from(home),
            })
        };
    }
    machine
        .on_path("java")
        .map(|path| Found { path, from: "PATH" })
        .ok_or(SparkUnavailable::NoJava)
}

/// The major version of `java`, refused unless Spark 3.5 runs on it.
pub(super) fn check_java(machine: &Machine, java: &Found) -> Result<u32, SparkUnavailable> {
    let output =
        machine
            .command(&java.path)
            .arg("-version")
            .output()
            .map_err(|error| SparkUnavailable::JavaFailed {
                java: java.path.clone(),
                message: error.to_string(),
            })?;
    // `java -version` writes to stderr; some builds to stdout.
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    let major = java_major(&text).ok_or_else(|| SparkUnavailable::JavaFailed {
        java: java.path.clone(),
        message: format!("no version in its output: {}", text.trim()),
    })?;
    if SUPPORTED_JAVA.contains(&major) {
        Ok(major)
    } else {
        Err(SparkUnavailable::JavaVersion {
            java: java.path.clone(),
            major,
        })
    }
}

/// The major version in `java -version`'s output: `1.8.0_392` is 8, `17.0.15` is 17,
/// `21` is 21. Lines before it (`Picked up JAVA_TOOL_OPTIONS: …`) are skipped.
pub fn java_major(output: &str) -> Option<u32> {
    let version = output.lines().find_map(|line| {
        let (_, rest) = line.split_once(" version \"")?;
        rest.split_once('"').map(|(version, _)| version)
    })?;
    let mut parts = version.split(['.', '_', '-', '+']);
    let first: u32 = parts.next()?.parse().ok()?;
    if first == 1 {
        parts.next()?.parse().ok()
    } else {
        Some(first)
    }
}

/// The pyspark version `python` imports, refused unless it is 3.5.
pub(super) fn check_pyspark(machine: &Machine, python: &Found) -> Result<String, SparkUnavailable> {
    let output = machine
        .command(&python.path)
        .args(["-c", "import pyspark; print(pyspark.__version__)"])
        .output()
        .map_err(|error| SparkUnavailable::PythonFailed {
            python: python.path.clone(),
            from: python.from,
            message: error.to_string(),
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(SparkUnavailable::NoPyspark {
            python: python.path.clone(),
            message: stderr.lines().last().unwrap_or_default().trim().to_owned(),
        });
    }
    let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if is_supported_pyspark(&version) {
        Ok(version)
    } else {
        Err(SparkUnavailable::PysparkVersion {
            python: python.path.clone(),
            version,
        })
    }
}

/// Whether the server works with pyspark `version`: the 3.5 series.
fn is_supported_pyspark(version: &str) -> bool {
    version.starts_with(PYSPARK_SERIES)
}

/// Whether `path` is a file this user may run.
fn is_executable(path: &Path) -> bool {
    let Ok(metadata) = std::fs::metadata(path) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        metadata.is_file() && metadata.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        metadata.is_file()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `java -version` as OpenJDK 8, 11, 17 and 21 and Oracle's Java 8 print it.
    #[test]
    fn java_major_reads_the_version_line_of_each_release() {
        let outputs = [
            (
                "openjdk version \"1.8.0_392\"\nOpenJDK Runtime Environment (build 1.8.0_392-8u392-ga-1~22.04-b08)\nOpenJDK 64-Bit Server VM (build 25.392-b08, mixed mode)\n",
                8,
            ),
            (
                "java version \"1.8.0_371\"\nJava(TM) SE Runtime Environment (build 1.8.0_371-b11)\nJava HotSpot(TM) 64-Bit Server VM (build 25.371-b11, mixed mode)\n",
                8,
            ),
            (
                "openjdk version \"11.0.21\" 2023-10-17\nOpenJDK Runtime Environment (build 11.0.21+9-post-Ubuntu-0ubuntu122.04)\nOpenJDK 64-Bit Server VM (build 11.0.21+9-post-Ubuntu-0ubuntu122.04, mixed mode, sharing)\n",
                11,
            ),
            (
                "openjdk version \"17.0.15\" 2025-04-15\nOpenJDK Runtime Environment (build 17.0.15+6-Debian-1deb12u1)\nOpenJDK 64-Bit Server VM (build 17.0.15+6-Debian-1deb12u1, mixed mode, sharing)\n",
                17,
            ),
            (
                "openjdk version \"21.0.2\" 2024-01-16\nOpenJDK Runtime Environment (build 21.0.2+13-58)\nOpenJDK 64-Bit Server VM (build 21.0.2+13-58, mixed mode, sharing)\n",
                21,
            ),
            (
                "Picked up JAVA_TOOL_OPTIONS: -Dfile.encoding=UTF-8\nopenjdk version \"21\" 2023-09-19\nOpenJDK Runtime Environment (build 21+35-2513)\n",
                21,
            ),
        ];
        for (output, major) in outputs {
            assert_eq!(java_major(output), Some(major), "{output}");
        }
        assert_eq!(java_major("bash: java: command not found"), None);
    }

    #[test]
    fn pyspark_must_be_the_3_5_series() {
        assert!(is_supported_pyspark("3.5.9"));
        assert!(is_supported_pyspark("3.5.0"));
        assert!(!is_supported_pyspark("3.4.4"));
        assert!(!is_supported_pyspark("4.0.1"));
        assert!(!is_supported_pyspark("3.50.0"));
    }

    /// A folder with executable files of these names.
    fn bin(names: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in names {
            let path = dir.path().join(name);
            std::fs::write(&path, "#!/bin/sh\n").expect("write");
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
            }
        }
        dir
    }

    fn path_of(dirs: &[&tempfile::TempDir]) -> OsString {
        std::env::join_paths(dirs.iter().map(|dir| dir.path())).expect("join")
    }

    #[test]
    fn python_is_the_option_then_flowc_python_then_python3_then_python() {
        let both = bin(&["python3", "python"]);
        let only_python = bin(&["python"]);
        let options = SparkOptions {
            address: None,
            python: Some(PathBuf::from("/opt/py/bin/python")),
        };
        let mut machine = Machine {
            flowc_python: Some("/venv/bin/python".into()),
            path: path_of(&[&both]),
            ..Machine::default()
        };
        let found = find_python(&options, &machine).expect("found");
        assert_eq!(
            (found.path, found.from),
            (PathBuf::from("/opt/py/bin/python"), "--python")
        );
        let no_option = SparkOptions::default();
        let found = find_python(&no_option, &machine).expect("found");
        assert_eq!(
            (found.path, found.from),
            (PathBuf::from("/venv/bin/python"), "FLOWC_PYTHON")
        );
        machine.flowc_python = None;
        let found = find_python(&no_option, &machine).expect("found");
        assert_eq!((found.path, found.from), (both.path().join("python3"), "PATH"));
        // python3 anywhere on PATH beats python earlier on it.
        machine.path = path_of(&[&only_python, &both]);
        assert_eq!(
            find_python(&no_option, &machine).expect("found").path,
            both.path().join("python3")
        );
        machine.path = path_of(&[&only_python]);
        assert_eq!(
            find_python(&no_option, &machine).expect("found").path,
            only_python.path().join("python")
        );
        machine.path = OsString::new();
        assert!(matches!(
            find_python(&no_option, &machine),
            Err(SparkUnavailable::NoPython)
        ));
    }

    #[test]
    fn a_bare_python_name_is_looked_up_on_path() {
        let dir = bin(&["python3.11"]);
        let machine = Machine {
            flowc_python: Some("python3.11".into()),
            path: path_of(&[&dir]),
            ..Machine::default()
        };
        let found = find_python(&SparkOptions::default(), &machine).expect("found");
        assert_eq!(found.path, dir.path().join("python3.11"));
        let missing = Machine {
            flowc_python: Some("python3.9".into()),
            ..machine
        };
        let error = find_python(&SparkOptions::default(), &missing).expect_err("not on PATH");
        assert!(error.to_string().contains("FLOWC_PYTHON"), "{error}");
    }

    #[test]
    fn java_is_java_home_then_path() {
        let home = bin(&[]);
        std::fs::create_dir(home.path().join("bin")).expect("mkdir");
        let home_bin = home.path().join("bin");
        std::fs::write(home_bin.join("java"), "").expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(home_bin.join("java"), std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        let on_path = bin(&["java"]);
        let mut machine = Machine {
            java_home: Some(home.path().into()),
            path: path_of(&[&on_path]),
            ..Machine::default()
        };
        let found = find_java(&machine).expect("found");
        assert_eq!((found.path, found.from), (home_bin.join("java"), "JAVA_HOME"));
        machine.java_home = None;
        let found = find_java(&machine).expect("found");
        assert_eq!((found.path, found.from), (on_path.path().join("java"), "PATH"));
        // A JAVA_HOME without bin/java is an error, not a fall-back to PATH: Spark's
        // launcher would use it.
        machine.java_home = Some(on_path.path().into());
        let error = find_java(&machine).expect_err("no bin/java");
        assert!(error.to_string().contains("JAVA_HOME"), "{error}");
        let nothing = Machine::default();
        assert!(matches!(find_java(&nothing), Err(SparkUnavailable::NoJava)));
    }

    #[test]
    fn the_address_is_the_option_then_flowc_spark() {
        let machine = Machine {
            flowc_spark: Some("127.0.0.1:7001".to_owned()),
            ..Machine::default()
        };
        let option = SparkOptions {
            address: Some("local-spark://127.0.0.1:7002".to_owned()),
            python: None,
        };
        assert_eq!(
            address(&option, &machine),
            Some(("127.0.0.1:7002".to_owned(), "--spark"))
        );
        assert_eq!(
            address(&SparkOptions::default(), &machine),
            Some(("127.0.0.1:7001".to_owned(), "FLOWC_SPARK"))
        );
        assert_eq!(address(&SparkOptions::default(), &Machine::default()), None);
    }
}
