//! "Did you mean …?" suggestions for near-miss names.

/// The candidate closest to `name`, when it is close enough to be a likely typo.
///
/// Closeness is the normalised Damerau–Levenshtein similarity; ties go to the
/// candidate that sorts first, so the answer never depends on iteration order.
pub fn closest<'a, I>(name: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let name = name.to_ascii_lowercase();
    let mut best: Option<(f64, &'a str)> = None;
    for candidate in candidates {
        let score = strsim::normalized_damerau_levenshtein(&name, &candidate.to_ascii_lowercase());
        let better = match best {
            None => true,
            Some((best_score, best_name)) => match score.total_cmp(&best_score) {
                std::cmp::Ordering::Greater => true,
                std::cmp::Ordering::Equal => candidate < best_name,
                std::cmp::Ordering::Less => false,
            },
        };
        if better {
            best = Some((score, candidate));
        }
    }
    best.filter(|(score, candidate)| *score >= 0.7 && !candidate.eq_ignore_ascii_case(&name))
        .map(|(_, candidate)| candidate)
}

/// A `help:` sentence for a near miss, e.g. "did you mean `dwd.orders`?".
pub fn did_you_mean<'a, I>(name: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    closest(name, candidates).map(|c| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_a_close_name() {
        let names = ["dwd.orders", "dwd.payments", "ods.merchants"];
        assert_eq!(closest("dwd.order", names), Some("dwd.orders"));
        assert_eq!(closest("dwd.paymnets", names), Some("dwd.payments"));
    }

    #[test]
    fn suggests_nothing_for_a_distant_name() {
        assert_eq!(closest("risk.scores", ["dwd.orders"]), None);
        assert_eq!(closest("anything", []), None);
    }

    #[test]
    fn ties_break_by_name() {
        assert_eq!(closest("abcd", ["abcf", "abce"]), Some("abce"));
    }
}
