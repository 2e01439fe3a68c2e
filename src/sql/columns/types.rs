//! Type derivation: a select item's type from its [`TypeHint`] and the types of the
//! columns it reads, following Spark's rules for the common cases; `None` otherwise.

use super::plan::TypeHint;

/// The type a hint gives, with `columns` the types of the expression's references
/// by span start.
pub(super) fn evaluate(hint: &TypeHint, columns: &[(u32, Option<String>)]) -> Option<String> {
    match hint {
        TypeHint::Unknown => None,
        TypeHint::Fixed(name) => Some(name.clone()),
        TypeHint::Column(start) => columns
            .iter()
            .find(|(at, _)| at == start)
            .and_then(|(_, data_type)| data_type.clone()),
        TypeHint::Sum(inner) => sum(&evaluate(inner, columns)?),
        TypeHint::Avg(inner) => avg(&evaluate(inner, columns)?),
        TypeHint::Same(parts) => {
            let mut types = parts.iter().map(|part| evaluate(part, columns));
            let first = types.next()??;
            types
                .all(|other| other.as_deref() == Some(first.as_str()))
                .then_some(first)
        }
    }
}

/// `decimal(p,s)`'s precision and scale.
fn decimal(data_type: &str) -> Option<(u32, u32)> {
    let inner = data_type.strip_prefix("decimal(")?.strip_suffix(')')?;
    let (precision, scale) = inner.split_once(',')?;
    Some((precision.trim().parse().ok()?, scale.trim().parse().ok()?))
}

fn sum(data_type: &str) -> Option<String> {
    match data_type {
        "tinyint" | "smallint" | "int" | "integer" | "bigint" => Some("bigint".to_owned()),
        "float" | "double" => Some("double".to_owned()),
        _ => decimal(data_type).map(|(p, s)| format!("decimal({},{s})", (p + 10).min(38))),
    }
}

fn avg(data_type: &str) -> Option<String> {
    match data_type {
        "tinyint" | "smallint" | "int" | "integer" | "bigint" | "float" | "double" => Some("double".to_owned()),
        _ => decimal(data_type).map(|(p, s)| format!("decimal({},{})", (p + 4).min(38), (s + 4).min(38))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(name: &str) -> TypeHint {
        TypeHint::Fixed(name.to_owned())
    }

    #[test]
    fn sums_widen_as_spark_does() {
        let at = |t: &str| vec![(0, Some(t.to_owned()))];
        let hint = TypeHint::Sum(Box::new(TypeHint::Column(0)));
        assert_eq!(evaluate(&hint, &at("int")).as_deref(), Some("bigint"));
        assert_eq!(evaluate(&hint, &at("decimal(18,2)")).as_deref(), Some("decimal(28,2)"));
        assert_eq!(evaluate(&hint, &at("decimal(36,2)")).as_deref(), Some("decimal(38,2)"));
        assert_eq!(evaluate(&hint, &at("double")).as_deref(), Some("double"));
        assert_eq!(evaluate(&hint, &at("string")), None);
        let avg = TypeHint::Avg(Box::new(TypeHint::Column(0)));
        assert_eq!(evaluate(&avg, &at("bigint")).as_deref(), Some("double"));
        assert_eq!(evaluate(&avg, &at("decimal(10,2)")).as_deref(), Some("decimal(14,6)"));
    }

    #[test]
    fn arithmetic_keeps_only_an_agreed_type() {
        let same = TypeHint::Same(vec![fixed("bigint"), fixed("bigint")]);
        assert_eq!(evaluate(&same, &[]).as_deref(), Some("bigint"));
        let mixed = TypeHint::Same(vec![fixed("bigint"), fixed("int")]);
        assert_eq!(evaluate(&mixed, &[]), None);
        let unknown = TypeHint::Same(vec![fixed("bigint"), TypeHint::Unknown]);
        assert_eq!(evaluate(&unknown, &[]), None);
    }
}
