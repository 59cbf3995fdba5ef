//! The prospect list as its address describes it: the filters and sort a person chose
//! (`?q=…&owner=…&interest=…&tag=…&sort=…&after=…`). The list page, its CSV export and
//! bulk enrollment read the same query, so they always mean the same prospects.

use serde::Deserialize;

use super::{
    InterestState,
    db::{Cursor, ListFilter, Sort},
};

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub interest: String,
    #[serde(default)]
    pub tag: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub after: String,
}

impl ListQuery {
    /// The filters and sort as a query string, without the page cursor.
    pub fn query_string(&self) -> String {
        self.with_after(None)
    }

    pub fn filter(&self) -> ListFilter {
        let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        ListFilter {
            search: text(&self.q),
            owner_id: self.owner.parse().ok(),
            interest: InterestState::parse(&self.interest),
            tag: text(&self.tag).map(|t| t.to_lowercase()),
            account_id: None,
            sort: Sort::parse(&self.sort).unwrap_or_default(),
        }
    }

    /// This list's query string with `after` replaced, for the pagination links.
    pub fn with_after(&self, after: Option<&Cursor>) -> String {
        let mut pairs: Vec<(&str, String)> = [
            ("q", &self.q),
            ("owner", &self.owner),
            ("interest", &self.interest),
            ("tag", &self.tag),
            ("sort", &self.sort),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k, v.clone()))
        .collect();
        if let Some(cursor) = after {
            pairs.push(("after", cursor.encode()));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}
