//! Throttling and error limits: `job.setting` of a DataX job, its speed capped by the
//! task's priority level and split over the channels.

use crate::diagnostic::{Code, Diagnostic, Span};

use super::job::JobSetting;
use super::resolver::Resolver;

impl Resolver<'_> {
    /// The job's settings: channels and bytes per second as asked, capped by the
    /// priority level (a warning when capped), each channel's share, and the error limit.
    pub(super) fn setting(&mut self) -> JobSetting {
        let speed = &self.sync.speed;
        let span = speed.span.unwrap_or(self.task.name_span);
        let (channels, byte) = self.capped_speed(span);
        let channels_u64 = u64::from(channels.max(1));
        self.check_per_channel(channels, byte, span);
        self.check_channels_usable(span);
        let limit = &self.sync.error_limit;
        if let (Some(_), Some(_)) = (limit.records, limit.ratio) {
            self.push(
                Diagnostic::error(Code::SyncLimits, "error limit sets both `records` and `ratio`")
                    .at(limit.span.unwrap_or(span))
                    .with_label("DataX checks `records` and ignores `ratio`")
                    .with_help("keep one: a number of dirty records, or a ratio of them"),
            );
        }
        let error_records = match (limit.records, limit.ratio) {
            (None, None) => Some(0),
            (records, _) => records,
        };
        JobSetting {
            channel: channels,
            byte: Some(byte),
            record: speed.records_per_second,
            byte_per_channel: Some((byte / channels_u64).max(1)),
            record_per_channel: speed.records_per_second.map(|r| (r / channels_u64).max(1)),
            error_records,
            error_ratio: if limit.records.is_some() {
                None
            } else {
                limit.ratio.map(|r| format!("{r}"))
            },
        }
    }

    /// Channels and bytes per second: as asked (else the level's), each at most the
    /// priority level's; a warning says what was capped.
    fn capped_speed(&mut self, span: Span) -> (u32, u64) {
        let level = self.project.priority_level(self.task.priority);
        let speed = &self.sync.speed;
        let priority = self.task.priority.as_str();
        let mut capped = Vec::new();
        let channels = match speed.channels {
            Some(asked) if asked > level.datax.channels => {
                capped.push(format!("channels {asked} → {}", level.datax.channels));
                level.datax.channels
            }
            Some(asked) => asked,
            // DataX reads one file with one channel: the level's default would only
            // reserve channels it cannot use.
            None if self.reads_one_file() => 1,
            None => level.datax.channels,
        };
        let byte = match speed.bytes_per_second {
            Some(asked) if asked > level.datax.bytes_per_second => {
                capped.push(format!("bytes_per_second {asked} → {}", level.datax.bytes_per_second));
                level.datax.bytes_per_second
            }
            Some(asked) => asked,
            None => level.datax.bytes_per_second,
        };
        if !capped.is_empty() {
            self.push(
                Diagnostic::warning(Code::SyncThrottleCapped, "sync asks for more than its priority level allows")
                    .at(span)
                    .with_label(format!("capped: {}", capped.join(", ")))
                    .with_help(format!(
                        "priority `{priority}` allows {} channels and {} bytes/s; raise the level's `datax` limits in flowc.yaml or the task's priority",
                        level.datax.channels, level.datax.bytes_per_second
                    )),
            );
        }
        (channels, byte)
    }

    /// DataX divides the job's limits over the channels and needs each share positive.
    fn check_per_channel(&mut self, channels: u32, byte: u64, span: Span) {
        let channels_u64 = u64::from(channels.max(1));
        if byte < channels_u64 {
            self.push(
                Diagnostic::error(
                    Code::SyncLimits,
                    format!("{byte} bytes/s over {channels} channels is under one byte per channel"),
                )
                .at(span)
                .with_label("DataX needs a positive per-channel limit")
                .with_help("raise `bytes_per_second` or lower `channels`"),
            );
        }
        if let Some(records) = self.sync.speed.records_per_second
            && records < channels_u64
        {
            self.push(
                Diagnostic::error(
                    Code::SyncLimits,
                    format!("{records} records/s over {channels} channels is under one record per channel"),
                )
                .at(span)
                .with_label("DataX needs a positive per-channel limit")
                .with_help("raise `records_per_second` or lower `channels`"),
            );
        }
    }

    /// Whether the source is exactly one file on an SFTP server (one path, no wildcard).
    fn reads_one_file(&self) -> bool {
        let source = &self.sync.source;
        let sftp = self
            .repository
            .project
            .connections
            .get(&source.connection.value)
            .is_some_and(|c| c.kind == crate::model::ConnectionKind::Sftp);
        sftp && source
            .paths
            .as_ref()
            .is_some_and(|paths| matches!(paths.value.as_slice(), [one] if !one.contains(['*', '?'])))
    }

    /// Warns when several channels are asked for a read DataX does with one.
    fn check_channels_usable(&mut self, span: Span) {
        let Some(asked) = self.sync.speed.channels.filter(|&asked| asked > 1) else {
            return;
        };
        let source = &self.sync.source;
        let single = if source.query.is_some() {
            Some("a query is read by one channel")
        } else if source.table.is_some() && source.split_key.is_none() && !source.columns.is_empty() {
            let jdbc = self
                .repository
                .project
                .connections
                .get(&source.connection.value)
                .is_some_and(|c| c.kind.is_jdbc());
            jdbc.then_some("without `split_key` a table is read by one channel")
        } else {
            None
        };
        if let Some(why) = single {
            self.push(
                Diagnostic::warning(Code::SyncLimits, format!("{asked} channels cannot be used"))
                    .at(span)
                    .with_label(why)
                    .with_help("set `split_key:` to an integer key column, or drop `channels`"),
            );
        }
    }
}
