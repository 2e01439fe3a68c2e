//! The local Spark `flowc test` runs SQL on: a running one named by `--spark` or
//! `FLOWC_SPARK`, or one flowc starts for the run.
//!
//! - **Input**: [`SparkOptions`] and the machine's variables ([`Machine`]).
//! - **Output**: a [`LocalSpark`] whose [`SparkConnection`]s run SQL texts in a new
//!   Spark session each, returning the rows as `spark-sql` prints them; or
//!   [`SparkUnavailable`], which says what to install or set.
//! - The server is `spark_server.py` (embedded with `include_str!`): one Spark 3.5
//!   driver with Hive support, an embedded Derby metastore and a warehouse in a
//!   temporary folder, speaking JSON lines on 127.0.0.1. flowc holds its stdin, so it
//!   stops when flowc does, even when flowc is killed; dropping the [`LocalSpark`]
//!   stops it and removes the folder.
//! - Only `flowc test` needs Java and pyspark; nothing else in flowc starts Spark.

mod connection;
mod discovery;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub use connection::{FailureKind, SparkConnection, SqlFailure};
pub use discovery::{Found, Machine, find_java, find_python, java_major};

/// The server, shipped in the binary: a user's repository has no copy of it.
const SERVER: &str = include_str!("spark_server.py");

/// How long a starting Spark may take to say it is ready.
const READY_TIMEOUT: Duration = Duration::from_secs(300);

/// How long a stopping Spark may take before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// How many lines of the server's log an error that it did not start carries.
const LOG_TAIL: usize = 20;

/// Where the local Spark comes from.
#[derive(Clone, Debug, Default)]
pub struct SparkOptions {
    /// `HOST:PORT` (or `local-spark://HOST:PORT`) of a running server: `--spark`;
    /// `FLOWC_SPARK` when `None`.
    pub address: Option<String>,
    /// The Python that has pyspark 3.5: `--python`; `FLOWC_PYTHON` when `None`.
    pub python: Option<PathBuf>,
}

/// Why flowc has no local Spark to run SQL on; each message says what to install or set.
#[derive(Debug, thiserror::Error)]
pub enum SparkUnavailable {
    /// Neither `JAVA_HOME` nor `java` on `PATH`.
    #[error(
        "no Java: `java` is not on the PATH and JAVA_HOME is not set; Spark 3.5 needs Java 17 (or 11, or 8): install it (Debian/Ubuntu: `apt-get install openjdk-17-jre-headless`; macOS: `brew install openjdk@17`) or set JAVA_HOME to it{RUNNING}"
    )]
    NoJava,
    /// `JAVA_HOME` has no `bin/java`.
    #[error(
        "JAVA_HOME is `{}` but it has no bin/java: set JAVA_HOME to a Java 17 installation (Debian/Ubuntu: `apt-get install openjdk-17-jre-headless`, then /usr/lib/jvm/java-17-openjdk-<arch>), or unset it to use `java` on the PATH", .java_home.display()
    )]
    JavaHomeWithoutJava {
        /// `JAVA_HOME`.
        java_home: PathBuf,
    },
    /// `java -version` cannot be run or says no version.
    #[error("`{} -version` failed: {message}; install Java 17 (Debian/Ubuntu: `apt-get install openjdk-17-jre-headless`) and set JAVA_HOME to it", .java.display())]
    JavaFailed {
        /// The Java.
        java: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A Java Spark 3.5 does not run on.
    #[error(
        "`{}` is Java {major}, but Spark 3.5 runs on Java 8, 11 or 17 only: install Java 17 (Debian/Ubuntu: `apt-get install openjdk-17-jre-headless`; macOS: `brew install openjdk@17`) and set JAVA_HOME to it", .java.display()
    )]
    JavaVersion {
        /// The Java.
        java: PathBuf,
        /// Its major version.
        major: u32,
    },
    /// Neither `python3` nor `python` on `PATH`, and no `--python` or `FLOWC_PYTHON`.
    #[error(
        "no Python: neither `python3` nor `python` is on the PATH; install Python 3.8–3.11 and pyspark 3.5 (`python3 -m pip install 'pyspark==3.5.*'`), or set FLOWC_PYTHON (--python) to a Python that has it{RUNNING}"
    )]
    NoPython,
    /// The Python named by `--python` or `FLOWC_PYTHON` is not there.
    #[error("{from} names `{}`, which is not there (or not on the PATH): set it to a Python that has pyspark 3.5{RUNNING}", .python.display())]
    NoSuchPython {
        /// The Python as given.
        python: PathBuf,
        /// `--python` or `FLOWC_PYTHON`.
        from: &'static str,
    },
    /// The Python cannot be run.
    #[error("cannot run `{}` (from {from}): {message}; set FLOWC_PYTHON (--python) to a Python that has pyspark 3.5{RUNNING}", .python.display())]
    PythonFailed {
        /// The Python.
        python: PathBuf,
        /// `--python`, `FLOWC_PYTHON` or `PATH`.
        from: &'static str,
        /// What went wrong.
        message: String,
    },
    /// The Python has no pyspark.
    #[error(
        "`{python}` cannot import pyspark ({message}): install it with `{python} -m pip install 'pyspark==3.5.*'`, or set FLOWC_PYTHON (--python) to a Python that has it{RUNNING}", python = .python.display()
    )]
    NoPyspark {
        /// The Python.
        python: PathBuf,
        /// Python's last line of error.
        message: String,
    },
    /// The Python's pyspark is not 3.5.
    #[error(
        "`{python}` has pyspark {version}, but flowc's local Spark needs pyspark 3.5: `{python} -m pip install 'pyspark==3.5.*'` (in a virtual environment), or set FLOWC_PYTHON (--python) to a Python that has it{RUNNING}", python = .python.display()
    )]
    PysparkVersion {
        /// The Python.
        python: PathBuf,
        /// Its pyspark's version.
        version: String,
    },
    /// A temporary folder or the server process cannot be made.
    #[error("cannot {action}: {source}")]
    Io {
        /// What flowc was doing.
        action: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The server stopped or timed out before it was ready.
    #[error("the local Spark did not start: {reason}; the end of its log:\n{log}")]
    NotReady {
        /// What happened.
        reason: String,
        /// The last lines of its log.
        log: String,
    },
    /// `--spark` or `FLOWC_SPARK` is not `HOST:PORT`.
    #[error("{from} is `{address}`, which is not HOST:PORT of a local Spark (e.g. 127.0.0.1:41234)")]
    BadAddress {
        /// The address given.
        address: String,
        /// `--spark` or `FLOWC_SPARK`.
        from: &'static str,
    },
    /// Nothing answers as a local Spark at the address.
    #[error("cannot reach the local Spark at {address} ({from}): {message}; {help}")]
    Unreachable {
        /// `HOST:PORT`.
        address: String,
        /// `--spark`, `FLOWC_SPARK`, or `flowc` for one it started.
        from: &'static str,
        /// What went wrong.
        message: String,
        /// What to do, or the end of the log of the server flowc started.
        help: String,
    },
}

/// The way out the messages end with.
const RUNNING: &str = "; or set FLOWC_SPARK (--spark) to HOST:PORT of a running local Spark";

/// A local Spark SQL can be sent to: one flowc started (and stops when dropped), or a
/// running one it only connects to.
#[derive(Debug)]
pub struct LocalSpark {
    address: String,
    from: &'static str,
    startup: Duration,
    server: Option<Server>,
}

/// The server process flowc started, its stdin (closing it stops the server) and the
/// temporary folder it works in. Declared in drop order: the process stops before the
/// folder goes.
#[derive(Debug)]
struct Server {
    stdin: Option<ChildStdin>,
    child: Child,
    work: tempfile::TempDir,
}

impl LocalSpark {
    /// Connects to `options.address` (else `FLOWC_SPARK`), or checks Java and pyspark
    /// and starts the embedded server with the Python found; `status` hears what it is
    /// doing (the start takes 10–20 s).
    pub fn open(options: &SparkOptions, status: &dyn Fn(&str)) -> Result<LocalSpark, SparkUnavailable> {
        Self::open_on(options, &Machine::from_env(), status)
    }

    /// [`LocalSpark::open`] with the variables of `machine` instead of this process's.
    pub fn open_on(
        options: &SparkOptions,
        machine: &Machine,
        status: &dyn Fn(&str),
    ) -> Result<LocalSpark, SparkUnavailable> {
        let began = Instant::now();
        if let Some((address, from)) = discovery::address(options, machine) {
            status(&format!("using the local Spark at {address} ({from})"));
            let mut spark = LocalSpark {
                address,
                from,
                startup: Duration::ZERO,
                server: None,
            };
            spark.probe()?;
            spark.startup = began.elapsed();
            return Ok(spark);
        }
        let java = find_java(machine)?;
        let major = discovery::check_java(machine, &java)?;
        let python = find_python(options, machine)?;
        let pyspark = discovery::check_pyspark(machine, &python)?;
        status(&format!(
            "starting a local Spark (Java {major}, pyspark {pyspark}; about 10–20 s)…"
        ));
        let (server, port) = Server::start(machine, &python.path)?;
        let spark = LocalSpark {
            address: format!("127.0.0.1:{port}"),
            from: "flowc",
            startup: began.elapsed(),
            server: Some(server),
        };
        status(&format!(
            "local Spark ready on {} in {:.1} s",
            spark.address,
            spark.startup.as_secs_f64()
        ));
        Ok(spark)
    }

    /// Whether flowc started this Spark (and stops it when dropped).
    pub fn started_here(&self) -> bool {
        self.server.is_some()
    }

    /// How long [`LocalSpark::open`] took.
    pub fn startup(&self) -> Duration {
        self.startup
    }

    /// `HOST:PORT` of the server.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The temporary folder of a Spark flowc started (warehouse, metastore, log),
    /// removed when it is dropped.
    pub fn work_folder(&self) -> Option<&Path> {
        self.server.as_ref().map(|server| server.work.path())
    }

    /// One connection; several may be used from several threads at once, each
    /// running its requests in order.
    pub fn connect(&self) -> Result<SparkConnection, SparkUnavailable> {
        let addresses: Vec<_> = self
            .address
            .to_socket_addrs()
            .map_err(|_| SparkUnavailable::BadAddress {
                address: self.address.clone(),
                from: self.from,
            })?
            .collect();
        let mut last = "the address resolves to nothing".to_owned();
        for address in addresses {
            match TcpStream::connect_timeout(&address, Duration::from_secs(10)) {
                Ok(stream) => return SparkConnection::new(stream).map_err(|error| self.unreachable(&error)),
                Err(error) => last = error.to_string(),
            }
        }
        Err(self.unreachable(&last))
    }

    /// That the server does not answer: what to do about a running one, what its log
    /// says about one flowc started.
    fn unreachable(&self, message: &dyn std::fmt::Display) -> SparkUnavailable {
        let help = match &self.server {
            Some(server) => format!(
                "the local Spark flowc started has stopped; the end of its log:\n{}",
                log_tail(&server.work.path().join("server.log"))
            ),
            None => format!(
                "check that it is running, or unset {} to let flowc start one",
                self.from
            ),
        };
        SparkUnavailable::Unreachable {
            address: self.address.clone(),
            from: self.from,
            message: message.to_string(),
            help,
        }
    }

    /// Checks that a local Spark answers at the address: an empty request, which
    /// runs no statement.
    fn probe(&self) -> Result<(), SparkUnavailable> {
        let mut connection = self.connect()?;
        // Something else listening there might never answer.
        let patience = Some(Duration::from_secs(30));
        connection
            .set_read_timeout(patience)
            .map_err(|error| self.unreachable(&error))?;
        connection
            .sql("", &BTreeMap::new())
            .map_err(|failure| self.unreachable(&failure.message))?;
        connection
            .set_read_timeout(None)
            .map_err(|error| self.unreachable(&error))
    }
}

impl Server {
    /// Writes the server into a new temporary folder and starts it with `python`;
    /// returns it and its port once it says it is ready.
    fn start(machine: &Machine, python: &Path) -> Result<(Server, u16), SparkUnavailable> {
        let io = |action: &str| {
            let action = action.to_owned();
            move |source| SparkUnavailable::Io { action, source }
        };
        let work = tempfile::Builder::new()
            .prefix("flowc-spark-")
            .tempdir()
            .map_err(io("create a temporary folder for the local Spark"))?;
        let script = work.path().join("spark_server.py");
        std::fs::write(&script, SERVER).map_err(io(&format!("write {}", script.display())))?;
        let log_path = work.path().join("server.log");
        let log = std::fs::File::create(&log_path).map_err(io(&format!("create {}", log_path.display())))?;
        // The server's folder is the temporary one: it removes it itself when its
        // stdin closes, which also happens when flowc is killed.
        let mut child = machine
            .command(python)
            .arg(&script)
            .arg(work.path())
            .arg("--remove-on-exit")
            .current_dir(work.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(io(&format!("start {} {}", python.display(), script.display())))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let mut server = Server { stdin, child, work };
        let ready = match stdout {
            Some(stdout) => server.wait_until_ready(stdout),
            None => Err("its stdout is not a pipe".to_owned()),
        };
        match ready {
            Ok(port) => Ok((server, port)),
            Err(reason) => Err(SparkUnavailable::NotReady {
                reason,
                log: log_tail(&log_path),
            }),
        }
    }

    /// The port of the ready line, read by a thread that then drains stdout (so the
    /// server never blocks on a full pipe).
    fn wait_until_ready(&mut self, stdout: std::process::ChildStdout) -> Result<u16, String> {
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let read = reader.read_line(&mut line).map(|_| line);
            // The receiver may be gone after a timeout: nothing to tell then.
            let _ = sender.send(read);
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let line = match receiver.recv_timeout(READY_TIMEOUT) {
            Ok(Ok(line)) => line,
            Ok(Err(error)) => return Err(format!("cannot read its stdout: {error}")),
            Err(_) => {
                return Err(format!(
                    "it said nothing in {} s (a slow machine? the log may say why)",
                    READY_TIMEOUT.as_secs()
                ));
            }
        };
        if line.trim().is_empty() {
            let status = self
                .child
                .wait()
                .map_or_else(|error| error.to_string(), |s| s.to_string());
            return Err(format!("it stopped ({status})"));
        }
        let ready: serde_json::Value = serde_json::from_str(&line).map_err(|_| {
            // A server that is dying writes the rest of its log as it goes: let it end
            // (a moment at most), so the log shown is the whole of it.
            let deadline = Instant::now() + Duration::from_secs(2);
            while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(20));
            }
            format!("its first line is not the ready line: {line:?}")
        })?;
        ready["port"]
            .as_u64()
            .and_then(|port| u16::try_from(port).ok())
            .ok_or_else(|| format!("its ready line has no port: {line:?}"))
    }
}

impl Drop for Server {
    /// Closes the server's stdin (it stops Spark and exits), kills it if it is still
    /// there after [`STOP_TIMEOUT`]; the folder goes with `work`.
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(Some(_)) | Err(_) => return,
                Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
        // Killing the Python closes the JVM's stdin, which stops the JVM too.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The last [`LOG_TAIL`] lines of the server's log.
fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|error| format!("({}: {error})", path.display()));
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(LOG_TAIL)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_server_is_the_json_lines_server() {
        assert!(SERVER.contains("def main(argv)"));
        assert!(SERVER.contains("--remove-on-exit"));
    }

    #[test]
    fn messages_say_what_to_install_or_set() {
        let no_java = SparkUnavailable::NoJava.to_string();
        assert!(no_java.contains("apt-get install openjdk-17-jre-headless"), "{no_java}");
        assert!(
            no_java.contains("JAVA_HOME") && no_java.contains("FLOWC_SPARK"),
            "{no_java}"
        );
        let java_21 = SparkUnavailable::JavaVersion {
            java: PathBuf::from("/usr/bin/java"),
            major: 21,
        }
        .to_string();
        assert!(
            java_21.contains("Java 21") && java_21.contains("8, 11 or 17"),
            "{java_21}"
        );
        let pyspark = SparkUnavailable::NoPyspark {
            python: PathBuf::from("/usr/bin/python3"),
            message: "ModuleNotFoundError: No module named 'pyspark'".to_owned(),
        }
        .to_string();
        assert!(
            pyspark.contains("/usr/bin/python3 -m pip install 'pyspark==3.5.*'") && pyspark.contains("FLOWC_PYTHON"),
            "{pyspark}"
        );
    }

    #[test]
    fn something_else_at_the_address_is_unreachable() {
        let spark = LocalSpark {
            address: connection::tests::one_reply("HTTP/1.1 400 Bad Request\r\n\r\n"),
            from: "--spark",
            startup: Duration::ZERO,
            server: None,
        };
        let error = spark.probe().expect_err("not a local Spark");
        assert!(matches!(error, SparkUnavailable::Unreachable { .. }), "{error}");
        assert!(error.to_string().contains("unset --spark"), "{error}");
    }
}
