//! Spark/Hive column types, and whether a test's value fits one.

use chrono::{NaiveDate, NaiveDateTime};

use crate::model::Cell;

/// A column type, parsed from the text a schema holds (`bigint`, `decimal(18,2)`,
/// `array<struct<a:int,b:string>>`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SparkType {
    /// `boolean`.
    Boolean,
    /// `tinyint`, `smallint`, `int`, `bigint`: the smallest and largest value.
    Integral(i128, i128),
    /// `float`, `double`.
    Floating,
    /// `decimal(precision, scale)`.
    Decimal(u32, u32),
    /// `string`, `varchar(n)`, `char(n)`: at most this many characters.
    Text(Option<u32>),
    /// `date`.
    Date,
    /// `timestamp`, `timestamp_ntz`.
    Timestamp,
    /// `array<element>`.
    Array(Box<SparkType>),
    /// `map<key, value>`.
    Map(Box<SparkType>, Box<SparkType>),
    /// `struct<name: type, …>`.
    Struct(Vec<(String, SparkType)>),
    /// Anything else (`binary`, `interval`…): any scalar is given a try.
    Other,
}

impl SparkType {
    /// Parses `text`, any case and spacing; an unknown type is [`SparkType::Other`].
    pub fn parse(text: &str) -> Self {
        let compact: String = text.to_lowercase().split_whitespace().collect();
        Parser { text: &compact, at: 0 }.parse().unwrap_or(Self::Other)
    }

    /// The type as Spark SQL writes it (an unknown one as `string`, which the cast
    /// to the column's own type turns into it).
    pub fn sql(&self) -> String {
        match self {
            Self::Boolean => "boolean".to_owned(),
            Self::Integral(_, max) => match *max {
                127 => "tinyint",
                32_767 => "smallint",
                2_147_483_647 => "int",
                _ => "bigint",
            }
            .to_owned(),
            Self::Floating => "double".to_owned(),
            Self::Decimal(precision, scale) => format!("decimal({precision},{scale})"),
            Self::Text(_) | Self::Other => "string".to_owned(),
            Self::Date => "date".to_owned(),
            Self::Timestamp => "timestamp".to_owned(),
            Self::Array(element) => format!("array<{}>", element.sql()),
            Self::Map(key, value) => format!("map<{},{}>", key.sql(), value.sql()),
            Self::Struct(fields) => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|(name, ty)| format!("`{name}`:{}", ty.sql()))
                    .collect();
                format!("struct<{}>", fields.join(","))
            }
        }
    }

    /// Whether its values are compared with a tolerance.
    pub const fn is_floating(&self) -> bool {
        matches!(self, Self::Floating)
    }
}

struct Parser<'a> {
    text: &'a str,
    at: usize,
}

impl Parser<'_> {
    fn parse(&mut self) -> Option<SparkType> {
        let name = self.word();
        Some(match name.as_str() {
            "boolean" | "bool" => SparkType::Boolean,
            "tinyint" | "byte" => SparkType::Integral(i128::from(i8::MIN), i128::from(i8::MAX)),
            "smallint" | "short" => SparkType::Integral(i128::from(i16::MIN), i128::from(i16::MAX)),
            "int" | "integer" => SparkType::Integral(i128::from(i32::MIN), i128::from(i32::MAX)),
            "bigint" | "long" => SparkType::Integral(i128::from(i64::MIN), i128::from(i64::MAX)),
            "float" | "real" | "double" => SparkType::Floating,
            "decimal" | "dec" | "numeric" => {
                let numbers = self.numbers();
                match numbers.as_slice() {
                    [] => SparkType::Decimal(10, 0),
                    [precision] => SparkType::Decimal(*precision, 0),
                    [precision, scale] => SparkType::Decimal(*precision, *scale),
                    _ => return None,
                }
            }
            "string" => SparkType::Text(None),
            "varchar" | "char" => SparkType::Text(self.numbers().first().copied()),
            "date" => SparkType::Date,
            "timestamp" | "timestamp_ntz" | "timestamp_ltz" => SparkType::Timestamp,
            "array" => {
                self.expect('<')?;
                let element = self.parse()?;
                self.expect('>')?;
                SparkType::Array(Box::new(element))
            }
            "map" => {
                self.expect('<')?;
                let key = self.parse()?;
                self.expect(',')?;
                let value = self.parse()?;
                self.expect('>')?;
                SparkType::Map(Box::new(key), Box::new(value))
            }
            "struct" => {
                self.expect('<')?;
                let mut fields = Vec::new();
                loop {
                    let field = self.word();
                    self.expect(':')?;
                    fields.push((field, self.parse()?));
                    if self.eat(',') {
                        continue;
                    }
                    self.expect('>')?;
                    break;
                }
                SparkType::Struct(fields)
            }
            _ => {
                // `interval day`, `binary`…: skip arguments, if any.
                if self.eat('(') {
                    while !self.eat(')') {
                        self.at += self.text[self.at..].chars().next()?.len_utf8();
                    }
                }
                SparkType::Other
            }
        })
    }

    fn word(&mut self) -> String {
        let rest = &self.text[self.at..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '`'))
            .unwrap_or(rest.len());
        self.at += end;
        rest[..end].trim_matches('`').to_owned()
    }

    fn numbers(&mut self) -> Vec<u32> {
        if !self.eat('(') {
            return Vec::new();
        }
        let rest = &self.text[self.at..];
        let Some(end) = rest.find(')') else {
            return Vec::new();
        };
        self.at += end + 1;
        rest[..end].split(',').filter_map(|n| n.parse().ok()).collect()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.text[self.at..].starts_with(c) {
            self.at += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char) -> Option<()> {
        self.eat(c).then_some(())
    }
}

/// Why `cell` does not fit a column of type `ty`, or `Ok`.
pub fn fits(cell: &Cell, ty: &SparkType) -> Result<(), String> {
    match (cell, ty) {
        (Cell::Null, _) | (_, SparkType::Other) | (Cell::Bool(_), SparkType::Boolean | SparkType::Text(None)) => Ok(()),
        (Cell::List(items), SparkType::Array(element)) => items.iter().try_for_each(|(item, _)| fits(item, element)),
        (Cell::Map(entries), SparkType::Map(key, value)) => entries.iter().try_for_each(|(name, item, _)| {
            fits(&Cell::Text(name.clone()), key)?;
            fits(item, value)
        }),
        (Cell::Map(entries), SparkType::Struct(fields)) => entries.iter().try_for_each(|(name, item, _)| {
            let Some((_, field)) = fields.iter().find(|(field, _)| field.eq_ignore_ascii_case(name)) else {
                let names: Vec<&str> = fields.iter().map(|(f, _)| f.as_str()).collect();
                return Err(format!(
                    "the struct has no field `{name}` (its fields: {})",
                    names.join(", ")
                ));
            };
            fits(item, field)
        }),
        (Cell::List(_), _) => Err("a list fits an array column only".to_owned()),
        (Cell::Map(_), _) => Err("a mapping fits a map or struct column only".to_owned()),
        (_, SparkType::Array(_) | SparkType::Map(..) | SparkType::Struct(_)) => {
            Err("write a sequence for an array, a mapping for a map or struct".to_owned())
        }
        (Cell::Bool(_), _) => Err("true/false fits a boolean column".to_owned()),
        (Cell::Number(text) | Cell::Text(text), _) => scalar_fits(text, ty),
    }
}

/// Whether the text of a scalar is a value of a scalar type, as Spark would cast it.
fn scalar_fits(text: &str, ty: &SparkType) -> Result<(), String> {
    let text = text.trim();
    match ty {
        SparkType::Boolean => match text.to_lowercase().as_str() {
            "true" | "false" => Ok(()),
            _ => Err("a boolean is true or false".to_owned()),
        },
        SparkType::Integral(min, max) => match text.parse::<i128>() {
            Ok(value) if (*min..=*max).contains(&value) => Ok(()),
            Ok(_) => Err(format!("out of range: {min} to {max}")),
            Err(_) => Err("not an integer".to_owned()),
        },
        SparkType::Floating => match text.to_lowercase().as_str() {
            "nan" | "infinity" | "-infinity" | "inf" | "-inf" => Ok(()),
            lower => lower.parse::<f64>().map(drop).map_err(|_| "not a number".to_owned()),
        },
        SparkType::Decimal(precision, scale) => decimal_fits(text, *precision, *scale),
        SparkType::Text(Some(limit)) if text.chars().count() > *limit as usize => {
            Err(format!("longer than {limit} characters"))
        }
        SparkType::Date => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(drop)
            .map_err(|_| "a date is written YYYY-MM-DD".to_owned()),
        SparkType::Timestamp => timestamp_fits(text),
        _ => Ok(()),
    }
}

fn decimal_fits(text: &str, precision: u32, scale: u32) -> Result<(), String> {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let numeric = |part: &str| part.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty() || !numeric(whole) || !numeric(fraction) {
        return Err("not a decimal number".to_owned());
    }
    let whole_digits = whole.trim_start_matches('0').len() as u32;
    if whole_digits > precision.saturating_sub(scale) {
        return Err(format!(
            "too many digits before the point for decimal({precision},{scale}): at most {}",
            precision.saturating_sub(scale)
        ));
    }
    if fraction.trim_end_matches('0').len() as u32 > scale {
        return Err(format!(
            "more than {scale} digits after the point: Spark would round it"
        ));
    }
    Ok(())
}

fn timestamp_fits(text: &str) -> Result<(), String> {
    let formats = [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ];
    if formats.iter().any(|f| NaiveDateTime::parse_from_str(text, f).is_ok())
        || NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
    {
        Ok(())
    } else {
        Err("a timestamp is written YYYY-MM-DD HH:MM:SS[.ffffff]".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_parse_with_their_arguments_and_nesting() {
        assert_eq!(SparkType::parse("DECIMAL(18, 2)"), SparkType::Decimal(18, 2));
        assert_eq!(SparkType::parse("varchar(8)"), SparkType::Text(Some(8)));
        assert_eq!(
            SparkType::parse("array<struct<a:int,b:string>>"),
            SparkType::Array(Box::new(SparkType::Struct(vec![
                (
                    "a".into(),
                    SparkType::Integral(i128::from(i32::MIN), i128::from(i32::MAX))
                ),
                ("b".into(), SparkType::Text(None)),
            ])))
        );
        assert_eq!(SparkType::parse("binary"), SparkType::Other);
    }

    #[test]
    fn values_fit_or_say_why_not() {
        let text = |t: &str| Cell::Text(t.to_owned());
        let number = |t: &str| Cell::Number(t.to_owned());
        assert!(fits(&number("127"), &SparkType::parse("tinyint")).is_ok());
        assert!(fits(&number("128"), &SparkType::parse("tinyint")).is_err());
        assert!(fits(&number("10.50"), &SparkType::parse("decimal(4,2)")).is_ok());
        assert!(fits(&number("10.505"), &SparkType::parse("decimal(18,2)")).is_err());
        assert!(fits(&number("123.4"), &SparkType::parse("decimal(4,2)")).is_err());
        assert!(fits(&text("2024-02-30"), &SparkType::Date).is_err());
        assert!(fits(&text("2024-03-05 10:00:00"), &SparkType::Timestamp).is_ok());
        assert!(fits(&text("yes"), &SparkType::Boolean).is_err());
        assert!(fits(&Cell::Bool(true), &SparkType::parse("int")).is_err());
        assert!(fits(&number("7"), &SparkType::parse("string")).is_ok());
        assert!(
            fits(
                &Cell::List(vec![(
                    number("1"),
                    crate::diagnostic::Span::file_start(crate::diagnostic::FileId::from_index(0))
                )]),
                &SparkType::parse("array<int>")
            )
            .is_ok()
        );
        assert!(fits(&text("abc"), &SparkType::parse("varchar(2)")).is_err());
    }
}
