//! Airflow's template rendering for one run: what a DAG's templated fields (a SQL
//! template, a bash command, application arguments) become in the run of one
//! business date, as `flowc run` runs them.
//!
//! Input: a template exactly as the DAG model holds it (the SQL file written next to
//! the DAG, an operator's field), and a [`RunContext`]. Output: the text Airflow's
//! Jinja would render it to for that run. Pure.
//!
//! The context holds what flowc's own templates use and the common macros: `ds`,
//! `ds_nodash`, `ts`, `ts_nodash`, `ts_nodash_with_tz`, `logical_date`,
//! `data_interval_start`, `data_interval_end` (datetimes with `in_timezone`,
//! `strftime` and `isoformat`, and the `ds`… filters), `run_id`, `params`,
//! `macros.ds_add`, `macros.ds_format`, `dag.folder`, `dag.dag_id`,
//! `ti.xcom_pull(task_ids=…)` (what the run's earlier tasks printed last) and the
//! string method `isdigit`. Like Airflow's, undefined names are errors, and values
//! print the way Python prints them (`True`, `None`).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Days, NaiveDate};
use chrono_tz::Tz;
use minijinja::value::{Kwargs, Object, Value, from_args};
use minijinja::{Environment, Error, ErrorKind, State, UndefinedBehavior};

use crate::dags::RunDate;

/// Most steps a template may take: far more than any real template needs, so that
/// a loop a repository wrote by mistake ends with an error.
const FUEL: u64 = 5_000_000;

/// What one run's templates are rendered with.
#[derive(Clone, Debug)]
pub struct RunContext {
    /// The run's dates.
    pub run: RunDate,
    /// Airflow's `run_id`.
    pub run_id: String,
    /// The DAG id.
    pub dag_id: String,
    /// `dag.folder`: where the DAG file (and `../datax`, `../apps`) would be.
    pub dag_folder: String,
    /// The task's params: the DAG's defaults, its own, and a triggered flow's
    /// `bizdate`.
    pub params: BTreeMap<String, serde_json::Value>,
    /// The last line each earlier task of the run printed, by Airflow task id (what
    /// a `BashOperator` pushes to XCom).
    pub xcom: BTreeMap<String, String>,
}

impl RunContext {
    /// The `run_id` flowc gives the run of `run`: `flowc_run__<logical date>`.
    pub fn run_id_of(run: &RunDate) -> String {
        format!("flowc_run__{}", run.logical_date.format("%Y-%m-%dT%H:%M:%S%:z"))
    }
}

/// Renders `template` for the run of `context`; the error says what is undefined
/// or wrong, in Jinja's words.
pub fn render_for_run(template: &str, context: &RunContext) -> Result<String, String> {
    let env = environment();
    let logical = Moment(context.run.logical_date.with_timezone(&Tz::UTC));
    let end = Moment(context.run.data_interval_end.with_timezone(&Tz::UTC));
    let ds = logical.strftime("%Y-%m-%d");
    let params: BTreeMap<&str, Value> = context
        .params
        .iter()
        .map(|(name, value)| (name.as_str(), Value::from_serialize(value)))
        .collect();
    let macros: BTreeMap<&str, Value> = BTreeMap::from([
        ("ds_add", Value::from_function(ds_add)),
        ("ds_format", Value::from_function(ds_format)),
    ]);
    let dag = BTreeMap::from([
        ("folder", Value::from(context.dag_folder.as_str())),
        ("dag_id", Value::from(context.dag_id.as_str())),
    ]);
    let ctx = minijinja::context! {
        ds => ds,
        ds_nodash => logical.strftime("%Y%m%d"),
        ts => logical.isoformat(),
        ts_nodash => logical.strftime("%Y%m%dT%H%M%S"),
        ts_nodash_with_tz => logical.isoformat().replace(['-', ':'], ""),
        logical_date => Value::from_object(logical.clone()),
        data_interval_start => Value::from_object(logical),
        data_interval_end => Value::from_object(end),
        run_id => context.run_id.as_str(),
        params => params,
        macros => macros,
        dag => dag,
        ti => Value::from_object(TaskInstance(context.xcom.clone())),
    };
    env.render_str(template, ctx).map_err(|error| describe(&error))
}

/// Airflow's template environment, as far as rendering goes: strict undefined, no
/// trailing newline kept, Python's way of printing values.
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_keep_trailing_newline(false);
    env.set_fuel(Some(FUEL));
    env.set_formatter(python_formatter);
    env.set_unknown_method_callback(string_methods);
    for (name, format) in [
        ("ds", "%Y-%m-%d"),
        ("ds_nodash", "%Y%m%d"),
        ("ts_nodash", "%Y%m%dT%H%M%S"),
    ] {
        env.add_filter(name, move |value: &Value| -> Result<String, Error> {
            Ok(moment(value)?.strftime(format))
        });
    }
    env.add_filter("ts", |value: &Value| -> Result<String, Error> {
        Ok(moment(value)?.isoformat())
    });
    env.add_filter("ts_nodash_with_tz", |value: &Value| -> Result<String, Error> {
        Ok(moment(value)?.isoformat().replace(['-', ':'], ""))
    });
    env
}

/// Writes a value as Python's `str` would: `True`, `False`, `None`.
fn python_formatter(out: &mut minijinja::Output, state: &State<'_, '_>, value: &Value) -> Result<(), Error> {
    if value.kind() == minijinja::value::ValueKind::Bool {
        return out
            .write_str(if value.is_true() { "True" } else { "False" })
            .map_err(Error::from);
    }
    if value.is_none() {
        return out.write_str("None").map_err(Error::from);
    }
    minijinja::escape_formatter(out, state, value)
}

/// The string methods flowc's templates call that minijinja does not have.
fn string_methods(_: &State<'_, '_>, value: &Value, method: &str, args: &[Value]) -> Result<Value, Error> {
    match (value.as_str(), method, args) {
        (Some(text), "isdigit", []) => Ok(Value::from(!text.is_empty() && text.chars().all(char::is_numeric))),
        _ => Err(Error::from(ErrorKind::UnknownMethod)),
    }
}

/// The datetime a filter was given.
fn moment(value: &Value) -> Result<&Moment, Error> {
    value.downcast_object_ref::<Moment>().ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("expected a datetime such as `data_interval_start`, got `{value}`"),
        )
    })
}

/// A pendulum datetime: an instant in a zone.
#[derive(Clone, Debug)]
struct Moment(DateTime<Tz>);

impl Moment {
    fn strftime(&self, format: &str) -> String {
        self.0.format(format).to_string()
    }

    /// Python's `isoformat()`: `2024-03-04T18:30:00+00:00`.
    fn isoformat(&self) -> String {
        self.strftime("%Y-%m-%dT%H:%M:%S%:z")
    }
}

impl Object for Moment {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        use chrono::{Datelike, Timelike};
        let time = &self.0;
        Some(Value::from(match key.as_str()? {
            "year" => time.year(),
            "month" => i32::try_from(time.month()).ok()?,
            "day" => i32::try_from(time.day()).ok()?,
            "hour" => i32::try_from(time.hour()).ok()?,
            "minute" => i32::try_from(time.minute()).ok()?,
            _ => return None,
        }))
    }

    fn call_method(self: &Arc<Self>, _: &State<'_, '_>, method: &str, args: &[Value]) -> Result<Value, Error> {
        match method {
            "in_timezone" | "in_tz" => {
                let (name,): (&str,) = from_args(args)?;
                let zone: Tz = name
                    .parse()
                    .map_err(|_| Error::new(ErrorKind::InvalidOperation, format!("unknown time zone `{name}`")))?;
                Ok(Value::from_object(Moment(self.0.with_timezone(&zone))))
            }
            "strftime" => {
                let (format,): (&str,) = from_args(args)?;
                Ok(Value::from(self.strftime(format)))
            }
            "isoformat" => Ok(Value::from(self.isoformat())),
            "date" => Ok(Value::from(self.strftime("%Y-%m-%d"))),
            _ => Err(Error::from(ErrorKind::UnknownMethod)),
        }
    }

    /// pendulum's `str()`: `2024-03-04 18:30:00+00:00`.
    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.strftime("%Y-%m-%d %H:%M:%S%:z"))
    }
}

/// `ti`: only `xcom_pull(task_ids=…)` of what earlier tasks printed last.
#[derive(Debug)]
struct TaskInstance(BTreeMap<String, String>);

impl Object for TaskInstance {
    fn call_method(self: &Arc<Self>, _: &State<'_, '_>, method: &str, args: &[Value]) -> Result<Value, Error> {
        if method != "xcom_pull" {
            return Err(Error::from(ErrorKind::UnknownMethod));
        }
        let (positional, kwargs): (Option<&str>, Kwargs) = from_args(args)?;
        let task: Option<&str> = kwargs.get("task_ids")?;
        kwargs.assert_all_used()?;
        let task = task.or(positional).unwrap_or_default();
        Ok(self
            .0
            .get(task)
            .map_or(Value::from(()), |line| Value::from(line.as_str())))
    }
}

/// `macros.ds_add(ds, days)`.
fn ds_add(ds: &str, days: i64) -> Result<String, Error> {
    let date = parse_date(ds, "%Y-%m-%d")?;
    let moved = if days >= 0 {
        date.checked_add_days(Days::new(days.unsigned_abs()))
    } else {
        date.checked_sub_days(Days::new(days.unsigned_abs()))
    };
    moved
        .map(|d| d.format("%Y-%m-%d").to_string())
        .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "date out of range"))
}

/// `macros.ds_format(ds, input_format, output_format)`.
fn ds_format(ds: &str, input: &str, output: &str) -> Result<String, Error> {
    Ok(parse_date(ds, input)?.format(output).to_string())
}

fn parse_date(text: &str, format: &str) -> Result<NaiveDate, Error> {
    NaiveDate::parse_from_str(text, format).map_err(|_| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("`{text}` is not a date of format `{format}`"),
        )
    })
}

/// An error of minijinja as one line, with its detail.
fn describe(error: &Error) -> String {
    let mut text = error
        .detail()
        .map_or_else(|| error.kind().to_string(), ToOwned::to_owned);
    if let Some(line) = error.line() {
        text = format!("line {line}: {text}");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TimeZone;

    fn context() -> RunContext {
        let at = |text: &str| {
            DateTime::parse_from_rfc3339(text)
                .map(|t| t.to_utc())
                .unwrap_or_default()
        };
        let run = RunDate {
            bizdate: NaiveDate::from_ymd_opt(2024, 3, 5).unwrap_or_default(),
            zone: TimeZone::named("Asia/Shanghai").unwrap_or(TimeZone::UTC),
            logical_date: at("2024-03-04T18:30:00+00:00"),
            data_interval_end: at("2024-03-05T18:30:00+00:00"),
            bizdate_param: false,
        };
        RunContext {
            run_id: RunContext::run_id_of(&run),
            run,
            dag_id: "dev__payments".into(),
            dag_folder: "/tmp/x/dags".into(),
            params: BTreeMap::from([
                ("amount_scale".into(), serde_json::json!(2)),
                ("full_refresh".into(), serde_json::json!(false)),
                ("tolerance".into(), serde_json::json!(0.01)),
            ]),
            xcom: BTreeMap::from([("sync_a".into(), "42".into())]),
        }
    }

    fn render(template: &str) -> String {
        render_for_run(template, &context()).unwrap_or_else(|e| format!("error: {e}"))
    }

    #[test]
    fn the_business_date_is_the_local_date_of_the_interval_start() {
        assert_eq!(
            render("{{ data_interval_start.in_timezone('Asia/Shanghai') | ds }}"),
            "2024-03-05"
        );
        assert_eq!(
            render("{{ data_interval_start.in_timezone('Asia/Shanghai') | ds_nodash }}"),
            "20240305"
        );
        // `ds` is the UTC date of the logical date, the day before here.
        assert_eq!(
            render("{{ ds }} {{ ds_nodash }} {{ macros.ds_add(ds, -1) }}"),
            "2024-03-04 20240304 2024-03-03"
        );
        assert_eq!(
            render("{{ ts }}|{{ ts_nodash }}|{{ ts_nodash_with_tz }}"),
            "2024-03-04T18:30:00+00:00|20240304T183000|20240304T183000+0000"
        );
        assert_eq!(render("{{ data_interval_end }}"), "2024-03-05 18:30:00+00:00");
    }

    #[test]
    fn values_print_like_python() {
        assert_eq!(
            render("{{ params.amount_scale }} {{ params.full_refresh }} {{ params.tolerance }}"),
            "2 False 0.01"
        );
        assert_eq!(render("{% if not params.full_refresh %}inc{% endif %}"), "inc");
        assert_eq!(render("{{ '{' }}{ x }}"), "{{ x }}");
    }

    #[test]
    fn xcom_pulls_what_an_earlier_task_printed_last() {
        let t = "{{ ti.xcom_pull(task_ids='T') if (ti.xcom_pull(task_ids='T') | string).isdigit() else 'NULL' }}";
        assert_eq!(render(&t.replace('T', "sync_a")), "42");
        assert_eq!(render(&t.replace('T', "sync_b")), "NULL");
    }

    #[test]
    fn undefined_names_are_errors_and_trailing_newlines_go() {
        assert!(
            render("{{ prev_ds }}").starts_with("error: "),
            "{}",
            render("{{ prev_ds }}")
        );
        assert_eq!(render("SELECT 1;\n"), "SELECT 1;");
        assert_eq!(render("{{ dag.folder }}/../datax"), "/tmp/x/dags/../datax");
    }
}
