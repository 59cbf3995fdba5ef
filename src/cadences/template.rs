//! Message templates with merge fields: `Hi {{first_name}}, …`. An unknown field is an
//! error the editor shows, never a blank in a message a prospect reads.

use std::fmt::Write as _;

/// The merge fields a template may use, with a description for the editor.
pub const FIELDS: [(&str, &str); 8] = [
    ("first_name", "The prospect's first name"),
    ("last_name", "The prospect's last name"),
    ("full_name", "The prospect's full name"),
    ("title", "The prospect's job title"),
    ("account", "The prospect's company"),
    ("owner_name", "The rep's full name"),
    ("owner_first_name", "The rep's first name"),
    ("email", "The prospect's email address"),
];

/// Values for the merge fields of one prospect and rep.
#[derive(Debug, Clone, Default)]
pub struct MergeValues {
    pub first_name: String,
    pub last_name: String,
    pub title: String,
    pub account: String,
    pub owner_name: String,
    pub email: String,
}

impl MergeValues {
    fn get(&self, field: &str) -> Option<String> {
        Some(match field {
            "first_name" => self.first_name.clone(),
            "last_name" => self.last_name.clone(),
            "full_name" => format!("{} {}", self.first_name, self.last_name)
                .trim()
                .to_string(),
            "title" => self.title.clone(),
            "account" => self.account.clone(),
            "owner_name" => self.owner_name.clone(),
            "owner_first_name" => self
                .owner_name
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string(),
            "email" => self.email.clone(),
            _ => return None,
        })
    }

    /// Example values for the editor's preview.
    pub fn sample() -> Self {
        MergeValues {
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            title: "Head of Engineering".into(),
            account: "Analytical Engines Ltd".into(),
            owner_name: "Riley Parker".into(),
            email: "ada@analytical.example".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("Unknown merge field{}: {}. Use one of: {}.", if .0.len() == 1 { "" } else { "s" }, .0.join(", "), known_fields())]
    UnknownFields(Vec<String>),
    #[error("A merge field opened with {{{{ is not closed with }}}}.")]
    Unclosed,
}

fn known_fields() -> String {
    FIELDS
        .iter()
        .map(|(f, _)| format!("{{{{{f}}}}}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Renders the template, or reports every unknown field at once.
pub fn render(template: &str, values: &MergeValues) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len());
    let mut unknown = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            return Err(TemplateError::Unclosed);
        };
        let field = after[..end].trim();
        match values.get(field) {
            Some(value) => {
                let _ = write!(out, "{value}");
            }
            None => {
                if !unknown.iter().any(|u| u == field) {
                    unknown.push(field.to_string());
                }
            }
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    if unknown.is_empty() {
        Ok(out)
    } else {
        Err(TemplateError::UnknownFields(unknown))
    }
}

/// Checks a template's fields without rendering it for anyone.
pub fn check(template: &str) -> Result<(), TemplateError> {
    render(template, &MergeValues::default()).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_merged() {
        let text = render(
            "Hi {{first_name}}, {{ owner_first_name }} from us — how is {{account}}?",
            &MergeValues::sample(),
        )
        .unwrap();
        assert_eq!(
            text,
            "Hi Ada, Riley from us — how is Analytical Engines Ltd?"
        );
    }

    #[test]
    fn unknown_fields_are_all_reported() {
        let err = render(
            "{{firstname}} {{company}} {{firstname}}",
            &MergeValues::sample(),
        )
        .unwrap_err();
        assert_eq!(
            err,
            TemplateError::UnknownFields(vec!["firstname".into(), "company".into()])
        );
        assert!(err.to_string().contains("{{first_name}}"));
    }

    #[test]
    fn an_unclosed_field_is_an_error() {
        assert_eq!(check("Hi {{first_name"), Err(TemplateError::Unclosed));
        assert_eq!(check("No fields at all"), Ok(()));
    }
}
