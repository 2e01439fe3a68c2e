//! Access control: what each team may read and write, and which tables are sensitive.
//!
//! Declared in `flowc.yaml`: `teams.<team>.grants`, `classifications` and `tables`
//! (owner and classes by table name or pattern). Checked by [`crate::policy::access`].

use globset::{GlobBuilder, GlobMatcher};

use crate::diagnostic::Span;
use crate::model::{Spanned, TableName};

/// Reading or writing a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Access {
    /// Reading.
    Read,
    /// Writing (which includes reading).
    Write,
}

impl Access {
    /// `read` or `write`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
        }
    }
}

/// A table name or a glob over table names (`dwd.pay_*`), case-insensitive.
#[derive(Clone, Debug)]
pub struct TablePattern {
    text: String,
    matcher: Option<GlobMatcher>,
}

impl TablePattern {
    /// A pattern as written; `*` matches any characters (dots included), `?` one.
    pub fn new(text: &str) -> Self {
        let text = text.trim().to_lowercase();
        let matcher = GlobBuilder::new(&text)
            .literal_separator(false)
            .backslash_escape(false)
            .build()
            .ok()
            .map(|glob| glob.compile_matcher());
        Self { text, matcher }
    }

    /// The pattern as written, lower case.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether `table` matches.
    pub fn matches(&self, table: &TableName) -> bool {
        match &self.matcher {
            Some(matcher) => matcher.is_match(table.as_str()),
            None => self.text == table.as_str(),
        }
    }
}

impl PartialEq for TablePattern {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for TablePattern {}

/// One grant of a team.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// What it allows.
    pub access: Access,
    /// The tables it covers.
    pub tables: TablePattern,
    /// Classes it covers explicitly.
    pub classifications: Vec<Spanned<String>>,
    /// Where it is written.
    pub span: Span,
}

impl Grant {
    /// Whether this grant lets its team do `access` on `table`, whose classes needing
    /// an explicit grant are `restricted`.
    pub fn allows(&self, access: Access, table: &TableName, restricted: &[&str]) -> bool {
        (self.access == Access::Write || access == Access::Read)
            && self.tables.matches(table)
            && restricted
                .iter()
                .all(|class| self.classifications.iter().any(|c| c.value == *class))
    }
}

/// A class of sensitive tables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Classification {
    /// Its name, e.g. `pii`.
    pub name: String,
    /// Whether a grant must name it.
    pub requires_grant: bool,
    /// Where it is declared.
    pub span: Span,
}

/// Metadata of the tables a pattern matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableMetadata {
    /// The tables.
    pub tables: TablePattern,
    /// The owner team, which may always read and write them.
    pub owner: Option<Spanned<String>>,
    /// Their classes.
    pub classifications: Vec<Spanned<String>>,
    /// Where the entry is written (its `match`).
    pub span: Span,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_whole_names_case_insensitively() {
        let pattern = TablePattern::new("DWD.pay_*");
        assert!(pattern.matches(&TableName::new("dwd.pay_order_di")));
        assert!(!pattern.matches(&TableName::new("dwd.usr_pay")));
        assert!(!pattern.matches(&TableName::new("xdwd.pay_order")));
        assert!(TablePattern::new("dwd.*").matches(&TableName::new("dwd.a")));
        assert!(TablePattern::new("*").matches(&TableName::new("any.table")));
        assert!(TablePattern::new("ods.t?").matches(&TableName::new("ods.t1")));
    }
}
