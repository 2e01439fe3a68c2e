//! One connection to a local Spark and its protocol: a JSON object per line each way,
//! `{"sql", "conf"}` → `{"ok", "output"}` or `{"ok": false, "error", "output"}`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

/// One connection to a local Spark: requests go one at a time, each in a new Spark
/// session (its own SQL conf and temporary views).
#[derive(Debug)]
pub struct SparkConnection {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    lost: bool,
}

/// Why a SQL text did not run to its end.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SqlFailure {
    /// Spark's message (the failing statement's error), or what happened to the
    /// connection.
    pub message: String,
    /// The rows the statements before the failing one printed.
    pub output: Vec<String>,
    /// Whether Spark refused the SQL or the connection broke.
    pub kind: FailureKind,
}

/// What kind of failure a [`SqlFailure`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// Spark ran the SQL and a statement failed: the SQL's fault.
    Spark,
    /// The connection broke, or the reply was not the server's: the local Spark's
    /// fault; the connection is unusable from then on.
    ConnectionLost,
}

/// The server's reply to one request.
#[derive(serde::Deserialize)]
struct Reply {
    ok: bool,
    #[serde(default)]
    output: Vec<String>,
    #[serde(default)]
    error: Option<String>,
}

impl SparkConnection {
    pub(super) fn new(stream: TcpStream) -> std::io::Result<SparkConnection> {
        Ok(SparkConnection {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
            lost: false,
        })
    }

    /// How long a reply may take; `None` for as long as it takes.
    pub(super) fn set_read_timeout(&self, timeout: Option<Duration>) -> std::io::Result<()> {
        self.writer.set_read_timeout(timeout)
    }

    /// Runs `text` (several statements allowed, stopping at the first that fails) in
    /// a new Spark session with the SQL `conf`; the rows as `spark-sql` prints them
    /// (Hive's result format: tab-separated, `NULL` for nulls), or the failure.
    pub fn sql(&mut self, text: &str, conf: &BTreeMap<String, String>) -> Result<Vec<String>, SqlFailure> {
        if self.lost {
            return Err(lost("the connection broke earlier".to_owned()));
        }
        let result = self.exchange(text, conf);
        if let Err(failure) = &result {
            self.lost = failure.kind == FailureKind::ConnectionLost;
        }
        result
    }

    fn exchange(&mut self, text: &str, conf: &BTreeMap<String, String>) -> Result<Vec<String>, SqlFailure> {
        let mut request = serde_json::json!({ "sql": text, "conf": conf }).to_string();
        request.push('\n');
        self.writer
            .write_all(request.as_bytes())
            .and_then(|()| self.writer.flush())
            .map_err(|error| lost(format!("cannot send SQL to the local Spark: {error}")))?;
        let mut line = String::new();
        match self.reader.read_line(&mut line) {
            Ok(0) => return Err(lost("the local Spark closed the connection (did it stop?)".to_owned())),
            Ok(_) => {}
            Err(error) => return Err(lost(format!("no reply from the local Spark: {error}"))),
        }
        let reply: Reply = serde_json::from_str(&line)
            .map_err(|error| lost(format!("the local Spark's reply is not JSON ({error}): {line:?}")))?;
        if reply.ok {
            Ok(reply.output)
        } else {
            Err(SqlFailure {
                message: reply
                    .error
                    .unwrap_or_else(|| "Spark failed without a message".to_owned()),
                output: reply.output,
                kind: FailureKind::Spark,
            })
        }
    }
}

fn lost(message: String) -> SqlFailure {
    SqlFailure {
        message,
        output: Vec::new(),
        kind: FailureKind::ConnectionLost,
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A server that answers one request with `reply`, then closes; its address.
    pub(in crate::execute::spark) fn one_reply(reply: &'static str) -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = listener.local_addr().expect("address").to_string();
        std::thread::spawn(move || {
            let (stream, _) = listener.accept().expect("accept");
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut request = String::new();
            reader.read_line(&mut request).expect("request");
            let mut writer = stream;
            writer.write_all(reply.as_bytes()).expect("reply");
        });
        address
    }

    #[test]
    fn a_spark_error_keeps_the_connection_and_a_closed_one_is_lost() {
        let address = one_reply("{\"ok\": false, \"error\": \"Table not found\", \"output\": [\"1\"]}\n");
        let mut connection = SparkConnection::new(TcpStream::connect(address).expect("connect")).expect("clone");
        let failure = connection
            .sql("SELECT 1; SELECT * FROM nope", &BTreeMap::new())
            .expect_err("fails");
        assert_eq!(
            (failure.message.as_str(), failure.output, failure.kind),
            ("Table not found", vec!["1".to_owned()], FailureKind::Spark)
        );
        // The fake server has closed: the next request finds the connection gone.
        let failure = connection.sql("SELECT 1", &BTreeMap::new()).expect_err("closed");
        assert_eq!(failure.kind, FailureKind::ConnectionLost);
        let failure = connection.sql("SELECT 1", &BTreeMap::new()).expect_err("still lost");
        assert!(failure.message.contains("earlier"), "{}", failure.message);
    }
}
