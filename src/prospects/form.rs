//! The prospect form: what the user typed, and its validation into fields to store.

use serde::Deserialize;

use super::{QualifyingInput, db::ProspectFields};
use crate::web::FormErrors;

pub const MAX_TAGS: usize = 20;

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ProspectForm {
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub linkedin_url: String,
    #[serde(default)]
    pub account_name: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub tags: String,
    /// A checkbox: present ("on") when ticked.
    #[serde(default)]
    pub do_not_contact: Option<String>,
    #[serde(flatten)]
    pub qualifying: QualifyingInput,
}

/// A validated form: the prospect's own fields, and the account named (if any).
#[derive(Debug, Clone)]
pub struct ValidProspect {
    pub fields: ProspectFields,
    pub account_name: Option<String>,
}

impl ProspectForm {
    pub fn do_not_contact(&self) -> bool {
        self.do_not_contact.is_some()
    }

    pub fn validate(&self) -> Result<ValidProspect, FormErrors> {
        let mut errors = FormErrors::default();
        let first_name = errors.required("first_name", &self.first_name, 100);
        let last_name = errors.optional("last_name", &self.last_name, 100);
        let title = errors.optional("title", &self.title, 150);
        let email = errors.optional_email("email", &self.email);
        let phone = errors.optional("phone", &self.phone, 40);
        if !phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().x/".contains(c))
        {
            errors.add("phone", "Use digits, spaces and + - ( ) only.");
        }
        let linkedin_url = errors.optional("linkedin_url", &self.linkedin_url, 300);
        if !linkedin_url.is_empty() {
            let valid = url::Url::parse(&linkedin_url).is_ok_and(|u| {
                u.scheme() == "https"
                    && u.host_str()
                        .is_some_and(|h| h == "linkedin.com" || h.ends_with(".linkedin.com"))
            });
            if !valid {
                errors.add(
                    "linkedin_url",
                    "Enter a LinkedIn profile address such as https://www.linkedin.com/in/name.",
                );
            }
        }
        let account_name = errors.optional("account_name", &self.account_name, 200);
        let source = errors.optional("source", &self.source, 100);
        let tags = parse_tags(&self.tags, &mut errors);
        self.qualifying.validate(&mut errors);

        errors.into_result(|| ValidProspect {
            fields: ProspectFields {
                account_id: None,
                first_name,
                last_name,
                title,
                email,
                phone,
                linkedin_url,
                source,
                tags,
                do_not_contact: self.do_not_contact(),
            },
            account_name: (!account_name.is_empty()).then_some(account_name),
        })
    }
}

/// Comma-separated tags: trimmed, lower-cased, without duplicates.
pub fn parse_tags(raw: &str, errors: &mut FormErrors) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for typed in raw.split(',').map(str::trim) {
        let tag = typed.to_lowercase();
        if tag.is_empty() || tags.contains(&tag) {
            continue;
        }
        // Counted as typed: lower-casing may lengthen a tag ("İ" becomes two characters).
        if let Some(problem) = crate::input::text_problem(&tag) {
            errors.add("tags", problem);
        } else if typed.chars().count() > 40 {
            errors.add("tags", "Each tag can have at most 40 characters.");
        }
        tags.push(tag);
    }
    if tags.len() > MAX_TAGS {
        errors.add("tags", format!("Use at most {MAX_TAGS} tags."));
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_form_is_accepted() {
        let form = ProspectForm {
            first_name: " Ada ".into(),
            last_name: "Lovelace".into(),
            email: "Ada@Example.com".into(),
            tags: "Fintech, fintech, EMEA".into(),
            linkedin_url: "https://www.linkedin.com/in/ada".into(),
            ..Default::default()
        };
        let valid = form.validate().ok().unwrap();
        assert_eq!(valid.fields.first_name, "Ada");
        assert_eq!(valid.fields.email.as_deref(), Some("ada@example.com"));
        assert_eq!(valid.fields.tags, vec!["fintech", "emea"]);
    }

    #[test]
    fn each_problem_is_reported_on_its_field() {
        let form = ProspectForm {
            email: "nope".into(),
            phone: "call me".into(),
            linkedin_url: "http://evil.example/in/x".into(),
            ..Default::default()
        };
        let errors = form.validate().err().unwrap();
        for field in ["first_name", "email", "phone", "linkedin_url"] {
            assert!(errors.has(field), "{field}");
        }
    }
}
