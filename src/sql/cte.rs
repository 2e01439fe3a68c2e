//! The CTE names in scope while a visitor walks a statement, so a name a `WITH`
//! defines is not taken for a table. A CTE is visible in the queries after its
//! definition (from the start when the `WITH` is `RECURSIVE`) and in the body.

use sqlparser::ast::Query;

/// The CTE names one query defines.
struct CteScope {
    /// Lower-case names, in definition order.
    names: Vec<String>,
    /// The CTE queries, to notice when one has been visited.
    queries: Vec<*const Query>,
    /// How many of the names are visible: those defined before the CTE being visited
    /// (all of them once the `WITH` is done, or from the start when it is `RECURSIVE`).
    visible: usize,
}

/// The stack of CTE scopes of the queries being visited.
#[derive(Default)]
pub(super) struct CteScopes {
    scopes: Vec<CteScope>,
}

impl CteScopes {
    /// Entering `query` (a visitor's `pre_visit_query`).
    pub(super) fn enter(&mut self, query: &Query) {
        let scope = match &query.with {
            Some(with) => CteScope {
                names: with
                    .cte_tables
                    .iter()
                    .map(|cte| cte.alias.name.value.to_lowercase())
                    .collect(),
                queries: with.cte_tables.iter().map(|cte| &raw const *cte.query).collect(),
                visible: if with.recursive { with.cte_tables.len() } else { 0 },
            },
            None => CteScope {
                names: Vec::new(),
                queries: Vec::new(),
                visible: 0,
            },
        };
        self.scopes.push(scope);
    }

    /// Leaving `query` (a visitor's `post_visit_query`): when it was a CTE's query,
    /// that CTE is visible from now on.
    pub(super) fn leave(&mut self, query: &Query) {
        self.scopes.pop();
        if let Some(parent) = self.scopes.last_mut()
            && let Some(position) = parent.queries.iter().position(|&cte| std::ptr::eq(cte, query))
        {
            parent.visible = parent.visible.max(position + 1);
        }
    }

    /// Whether the unqualified, lower-case `name` is a CTE visible here.
    pub(super) fn contains(&self, name: &str) -> bool {
        self.scopes
            .iter()
            .any(|scope| scope.names[..scope.visible].iter().any(|cte| cte == name))
    }
}
