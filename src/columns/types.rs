//! Whether a value of one Spark/Hive type fits a column of another without loss.
//!
//! Only the primitive types a declared column may have are judged; anything else
//! (complex types, a type the resolver could not derive) is given the benefit of the
//! doubt, so a mismatch is reported only when it is certain.

/// A primitive type, with what matters for widening.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Primitive {
    /// tinyint, smallint, int, bigint: their decimal digits.
    Integral(u32),
    Float,
    Double,
    /// `decimal(precision, scale)`.
    Decimal(u32, u32),
    String,
    /// `varchar(n)` or `char(n)`: at most `n` characters.
    Chars(u32),
    Boolean,
    Date,
    Timestamp,
    Binary,
}

/// Parses a type as Spark and Hive write it (`int`, `integer`, `decimal(18, 2)`,
/// `varchar(20)`), any case and spacing; `None` for anything else.
fn parse(text: &str) -> Option<Primitive> {
    let text: String = text.to_lowercase().split_whitespace().collect();
    let (base, arguments) = match text.split_once('(') {
        Some((base, rest)) => (base, Some(rest.strip_suffix(')')?)),
        None => (text.as_str(), None),
    };
    let numbers: Option<Vec<u32>> = match arguments {
        Some(arguments) => Some(arguments.split(',').map(|n| n.parse().ok()).collect::<Option<_>>()?),
        None => None,
    };
    Some(match (base, numbers.as_deref()) {
        ("tinyint" | "byte", None) => Primitive::Integral(3),
        ("smallint" | "short", None) => Primitive::Integral(5),
        ("int" | "integer", None) => Primitive::Integral(10),
        ("bigint" | "long", None) => Primitive::Integral(19),
        ("float" | "real", None) => Primitive::Float,
        ("double", None) => Primitive::Double,
        // Hive's and Spark's default: decimal(10, 0).
        ("decimal" | "numeric" | "dec", None) => Primitive::Decimal(10, 0),
        ("decimal" | "numeric" | "dec", Some([precision])) => Primitive::Decimal(*precision, 0),
        ("decimal" | "numeric" | "dec", Some([precision, scale])) => Primitive::Decimal(*precision, *scale),
        ("string", None) => Primitive::String,
        ("varchar" | "char", Some([length])) => Primitive::Chars(*length),
        ("boolean", None) => Primitive::Boolean,
        ("date", None) => Primitive::Date,
        ("timestamp", None) => Primitive::Timestamp,
        ("binary", None) => Primitive::Binary,
        _ => return None,
    })
}

/// Whether every value of type `from` is a value of type `to`: integers widen to
/// wider integers and to decimals with as many integer digits, decimals to decimals
/// keeping their scale, small integers and floats to double, a
/// date to a timestamp, anything to a string. `true` when either type is not one of
/// the primitive types (nothing certain to say).
pub(super) fn fits(from: &str, to: &str) -> bool {
    let (Some(from), Some(to)) = (parse(from), parse(to)) else {
        return true;
    };
    match (from, to) {
        (_, Primitive::String)
        | (Primitive::Float, Primitive::Float | Primitive::Double)
        | (Primitive::Double, Primitive::Double)
        | (Primitive::Date, Primitive::Date | Primitive::Timestamp) => true,
        (Primitive::Integral(a), Primitive::Integral(b)) | (Primitive::Chars(a), Primitive::Chars(b)) => a <= b,
        (Primitive::Integral(digits), Primitive::Decimal(precision, scale)) => {
            digits <= precision.saturating_sub(scale)
        }
        // A double holds every integer of up to 15 digits exactly; a float, of 6.
        (Primitive::Integral(digits), Primitive::Double) => digits <= 10,
        (Primitive::Integral(digits), Primitive::Float) => digits <= 5,
        // Only the scale: Spark widens the precision of every sum and product by
        // rule (sum of a decimal(18,2) is a decimal(28,2)) whatever the values, so
        // judging the precision would reject every aggregate; digits after the point
        // are what a narrower declaration certainly drops.
        (Primitive::Decimal(_, s1), Primitive::Decimal(_, s2)) => s1 <= s2,
        (a, b) => a == b,
    }
}

/// The type as written, normalised for messages: lower case, no spaces.
pub(super) fn normalise(text: &str) -> String {
    text.to_lowercase().split_whitespace().collect()
}

#[cfg(test)]
mod tests {
    use super::fits;

    #[test]
    fn integers_widen_and_never_narrow() {
        assert!(fits("int", "bigint"));
        assert!(fits("tinyint", "INTEGER"));
        assert!(!fits("bigint", "int"));
        assert!(fits("int", "decimal(10,0)"));
        assert!(!fits("bigint", "decimal(18,2)"));
        assert!(fits("int", "double"));
        assert!(!fits("bigint", "double"));
    }

    #[test]
    fn decimals_widen_keeping_integer_digits_and_scale() {
        assert!(fits("decimal(10,2)", "decimal(18,2)"));
        assert!(fits("decimal(10, 2)", "decimal(12,4)"));
        assert!(!fits("decimal(18,4)", "decimal(18,2)"));
        assert!(
            fits("decimal(28,2)", "decimal(18,2)"),
            "a sum's precision is Spark's rule, not the data's"
        );
        assert!(!fits("decimal(18,2)", "double"));
        assert!(!fits("double", "decimal(38,10)"));
    }

    #[test]
    fn strings_take_anything_and_become_nothing_else() {
        assert!(fits("decimal(18,2)", "string"));
        assert!(fits("varchar(20)", "string"));
        assert!(!fits("string", "int"));
        assert!(!fits("string", "varchar(10)"));
        assert!(fits("char(4)", "varchar(10)"));
        assert!(!fits("varchar(40)", "varchar(10)"));
    }

    #[test]
    fn dates_timestamps_and_the_rest() {
        assert!(fits("date", "timestamp"));
        assert!(!fits("timestamp", "date"));
        assert!(!fits("boolean", "int"));
        assert!(fits("boolean", "boolean"));
        assert!(fits("array<string>", "int"), "no certainty, no mismatch");
        assert!(fits("unknown", "int"));
    }
}
