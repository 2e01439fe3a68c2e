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
    closest_above(name, candidates, 0.7)
}

/// The candidate closest to `name` with a similarity of at least `minimum`.
fn closest_above<'a, I>(name: &str, candidates: I, minimum: f64) -> Option<&'a str>
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
    best.filter(|(score, candidate)| *score >= minimum && !candidate.eq_ignore_ascii_case(&name))
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

/// A `help:` sentence for an unknown key: the near miss of [`did_you_mean`], else a
/// known key that holds the written one, e.g. `password_env` for `password` or
/// `username` for `user` (the shortest, then the first in order; a key must be at
/// least 3 characters to be looked for inside others). When a looser near miss also
/// that starts like the written key, both are named: `retry` gets "`retries` or
/// `retry_delay`".
pub fn did_you_mean_key<'a, I>(name: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str> + Clone,
{
    did_you_mean(name, candidates.clone()).or_else(|| {
        let lower = name.to_ascii_lowercase();
        if lower.chars().count() < 3 {
            return None;
        }
        let holder = candidates
            .clone()
            .into_iter()
            .filter(|candidate| candidate.to_ascii_lowercase().contains(&lower))
            .min_by_key(|candidate| {
                (
                    !candidate.to_ascii_lowercase().starts_with(&lower),
                    candidate.len(),
                    *candidate,
                )
            })?;
        let quoted = |candidate: &str| format!("`{}`", invisible::reveal(candidate));
        let stem: String = lower.chars().take(3).collect();
        let loose = closest_above(name, candidates, 0.5)
            .filter(|loose| *loose != holder && loose.to_ascii_lowercase().starts_with(&stem));
        Some(match loose {
            Some(loose) => format!("did you mean {} or {}?", quoted(loose), quoted(holder)),
            None => format!("did you mean {}?", quoted(holder)),
        })
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
    fn a_key_held_by_a_known_key_is_suggested() {
        let keys = ["cluster", "host", "password_env", "port", "username", "username_env"];
        assert_eq!(
            did_you_mean_key("password", keys).as_deref(),
            Some("did you mean `password_env`?")
        );
        assert_eq!(
            did_you_mean_key("user", keys).as_deref(),
            Some("did you mean `username`?")
        );
        assert_eq!(did_you_mean_key("hots", keys).as_deref(), Some("did you mean `host`?"));
        assert_eq!(
            did_you_mean_key("env", keys).as_deref(),
            Some("did you mean `password_env`?")
        );
        assert_eq!(did_you_mean_key("po", keys), None);
        assert_eq!(
            did_you_mean_key("retry", ["retries", "retry_delay", "sql"]).as_deref(),
            Some("did you mean `retries` or `retry_delay`?")
        );
        assert_eq!(did_you_mean_key("secret", keys), None);
    }

    #[test]
    fn ties_break_by_name() {
        assert_eq!(closest("abcd", ["abcf", "abce"]), Some("abce"));
    }
}
