//! "Did you mean …?" suggestions for near-miss names.

use super::invisible;

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

/// A `help:` sentence for a near miss, e.g. "did you mean `dwd.orders`?". When the
/// two names would look the same on screen (the written one holds a character that
/// does not show, or a look-alike of an ASCII letter), the sentence says what differs.
pub fn did_you_mean<'a, I>(name: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    closest(name, candidates).map(|c| {
        let suggestion = format!("did you mean `{}`?", invisible::reveal(c));
        match difference(name, c) {
            Some(difference) => format!("{suggestion} It looks the same, but {difference}"),
            None => suggestion,
        }
    })
}

/// What tells `name` from `candidate` when they would look alike, as a sentence.
fn difference(name: &str, candidate: &str) -> Option<String> {
    let hidden: Vec<char> = name.chars().filter(|c| invisible::is_invisible(*c)).collect();
    if !hidden.is_empty() {
        let named: Vec<String> = hidden.iter().map(|c| invisible::describe(*c)).collect();
        return Some(format!(
            "the name written here holds {}, which does not show: `{}`.",
            named.join(" and "),
            invisible::reveal(name)
        ));
    }
    let (written, expected): (Vec<char>, Vec<char>) = (name.chars().collect(), candidate.chars().collect());
    if written.len() != expected.len() {
        return None;
    }
    let differing: Vec<(usize, char, char)> = written
        .iter()
        .zip(&expected)
        .enumerate()
        .filter(|(_, (w, e))| !w.eq_ignore_ascii_case(e))
        .map(|(i, (w, e))| (i, *w, *e))
        .collect();
    // Only a non-ASCII character standing for an ASCII one looks alike (`о`, U+043E,
    // for `o`); an ASCII typo shows.
    if differing.is_empty() || !differing.iter().all(|(_, w, e)| !w.is_ascii() && e.is_ascii()) {
        return None;
    }
    let parts: Vec<String> = differing
        .iter()
        .map(|(i, w, e)| format!("character {} is U+{:04X}, not `{e}`", i + 1, u32::from(*w)))
        .collect();
    Some(format!("in the name written here {}.", parts.join(", ")))
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
    fn a_look_alike_suggestion_says_what_differs() {
        assert_eq!(
            did_you_mean("dwd.a_\u{200B}b", ["dwd.a_b"]).as_deref(),
            Some(
                "did you mean `dwd.a_b`? It looks the same, but the name written here holds \
                 U+200B ZERO WIDTH SPACE, which does not show: `dwd.a_<U+200B>b`."
            )
        );
        assert_eq!(
            did_you_mean("dwd.\u{43E}rders", ["dwd.orders"]).as_deref(),
            Some(
                "did you mean `dwd.orders`? It looks the same, but in the name written here character 5 is U+043E, not `o`."
            )
        );
        assert_eq!(
            did_you_mean("dwd.ordes", ["dwd.orders"]).as_deref(),
            Some("did you mean `dwd.orders`?")
        );
    }

    #[test]
    fn ties_break_by_name() {
        assert_eq!(closest("abcd", ["abcf", "abce"]), Some("abce"));
    }
}
