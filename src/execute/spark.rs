//! TEMPORARY (replaced by the h18-spark branch): a connection to a running local Spark.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Where the Spark is.
pub struct SparkOptions {
    /// HOST:PORT of a running server.
    pub address: Option<String>,
    /// The Python with pyspark.
    pub python: Option<std::path::PathBuf>,
}

/// Why there is no Spark.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SparkUnavailable(String);

/// A running Spark.
pub struct LocalSpark {
    address: String,
    startup: Duration,
}

impl LocalSpark {
    /// Connects.
    pub fn open(options: &SparkOptions, _status: &dyn Fn(&str)) -> Result<Self, SparkUnavailable> {
        let began = Instant::now();
        let address = options
            .address
            .clone()
            .ok_or_else(|| SparkUnavailable("set FLOWC_SPARK".to_owned()))?;
        Ok(Self {
            address,
            startup: began.elapsed(),
        })
    }

    /// Whether flowc started it.
    pub fn started_here(&self) -> bool {
        false
    }

    /// How long open took.
    pub fn startup(&self) -> Duration {
        self.startup
    }

    /// A connection.
    pub fn connect(&self) -> Result<SparkConnection, SparkUnavailable> {
        let stream = TcpStream::connect(&self.address).map_err(|e| SparkUnavailable(e.to_string()))?;
        let reader = BufReader::new(stream.try_clone().map_err(|e| SparkUnavailable(e.to_string()))?);
        Ok(SparkConnection { stream, reader })
    }
}

/// One connection.
pub struct SparkConnection {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

/// A failed request.
pub struct SqlFailure {
    /// Spark's message.
    pub message: String,
    /// Output before.
    pub output: Vec<String>,
}

impl SparkConnection {
    /// Runs SQL.
    pub fn sql(&mut self, text: &str, conf: &BTreeMap<String, String>) -> Result<Vec<String>, SqlFailure> {
        let fail = |message: String| SqlFailure {
            message,
            output: Vec::new(),
        };
        let request = serde_json::json!({"sql": text, "conf": conf});
        writeln!(self.stream, "{request}").map_err(|e| fail(e.to_string()))?;
        let mut line = String::new();
        self.reader.read_line(&mut line).map_err(|e| fail(e.to_string()))?;
        let reply: serde_json::Value = serde_json::from_str(&line).map_err(|e| fail(e.to_string()))?;
        let output: Vec<String> = reply["output"]
            .as_array()
            .map(|a| a.iter().filter_map(|l| l.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        if reply["ok"].as_bool() == Some(true) {
            Ok(output)
        } else {
            Err(SqlFailure {
                message: reply["error"].as_str().unwrap_or_default().to_owned(),
                output,
            })
        }
    }
}
