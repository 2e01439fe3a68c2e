//! Text within a byte budget: the markdown view's guarantee that a plan fits in a
//! GitHub comment.
//!
//! A [`Writer`] appends a piece only when it fits, keeping room for the closing note,
//! and [`fair_share`] splits what is left between the parts still to come.

/// Room kept for the closing note.
pub(super) const TAIL: usize = 1_500;

/// Text appended only while it fits.
pub(super) struct Writer {
    pub(super) out: String,
    /// Bytes the body may take: the budget minus the room kept for the tail.
    body: usize,
    budget: usize,
    /// Where the current section must end.
    pub(super) limit: usize,
}

impl Writer {
    pub(super) fn new(budget: usize) -> Self {
        Self {
            out: String::new(),
            body: budget.saturating_sub(TAIL),
            budget,
            limit: usize::MAX,
        }
    }

    /// Room left for the body (and the current section), minus `keep`.
    pub(super) fn room(&self, keep: usize) -> usize {
        self.body
            .min(self.limit)
            .saturating_sub(self.out.len())
            .saturating_sub(keep)
    }

    /// Appends `text` if it fits in the body with `keep` bytes to spare.
    pub(super) fn push(&mut self, text: &str, keep: usize) -> bool {
        if text.len() <= self.room(keep) {
            self.out.push_str(text);
            true
        } else {
            false
        }
    }

    /// Appends short text of bounded length (headings, summary, notes) if it fits in
    /// the whole budget.
    pub(super) fn force(&mut self, text: &str) {
        if self.out.len() + text.len() <= self.budget {
            self.out.push_str(text);
        }
    }

    /// The text; never longer than the budget.
    pub(super) fn finish(mut self) -> String {
        if self.out.len() > self.budget {
            // Unreachable by construction; kept so the bound holds whatever happens.
            let mut end = self.budget;
            while !self.out.is_char_boundary(end) {
                end -= 1;
            }
            self.out.truncate(end);
        }
        self.out
    }
}

/// What was left out, for the closing note.
#[derive(Default)]
pub(super) struct Cut {
    /// Rows or list items left out of the sections.
    pub(super) items: usize,
    /// Files whose diff is not shown, or shown in part.
    pub(super) files: usize,
    /// Diff lines not shown.
    pub(super) lines: usize,
}

/// The share of `room` for the first of sections needing `needs`: max-min fair, so
/// sections needing less than an equal split get all they need and the rest share
/// what remains equally.
pub(super) fn fair_share(needs: &[usize], room: usize) -> usize {
    let Some(&first) = needs.first() else {
        return 0;
    };
    let mut sorted = needs.to_vec();
    sorted.sort_unstable();
    let mut left = room;
    for (i, need) in sorted.iter().enumerate() {
        let equal = left / (sorted.len() - i);
        if *need > equal {
            // Everyone from here on, the first section included, gets an equal split.
            return first.min(equal);
        }
        left -= need;
    }
    first
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_needs_are_met_and_the_rest_is_split_equally() {
        assert_eq!(fair_share(&[100, 5_000, 5_000], 3_000), 100);
        assert_eq!(fair_share(&[5_000, 100, 5_000], 3_000), 1_450);
        assert_eq!(fair_share(&[5_000], 3_000), 3_000);
        assert_eq!(fair_share(&[10, 20], 3_000), 10);
        assert_eq!(fair_share(&[], 3_000), 0);
    }

    #[test]
    fn the_writer_never_exceeds_its_budget() {
        let mut writer = Writer::new(TAIL + 10);
        assert!(writer.push("0123456789", 0));
        assert!(!writer.push("x", 0), "the body is full");
        writer.force(&"y".repeat(TAIL));
        writer.force("z");
        assert_eq!(writer.finish().len(), TAIL + 10);
    }
}
