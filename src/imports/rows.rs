//! One CSV row made into a prospect and its account, validated by the same rules as the
//! prospect and account forms (`ProspectForm::validate`, `AccountForm::validate`), with a
//! few allowances for how exports write things ("Yes" for a checkbox, a LinkedIn address
//! without `https://`, "Lovelace, Ada" in a name column).

use csv::StringRecord;

use super::fields::ImportField;
use crate::{
    accounts::{db::AccountFields, form::AccountForm},
    prospects::{
        QualifyingInput,
        form::{ProspectForm, ValidProspect},
    },
    web::FormErrors,
};

/// A row ready to write.
#[derive(Debug, Clone)]
pub struct ImportRow {
    pub prospect: ValidProspect,
    /// The account's details, when the row names one.
    pub account: Option<AccountFields>,
    pub notes: String,
}

impl ImportRow {
    pub fn email(&self) -> Option<&str> {
        self.prospect.fields.email.as_deref()
    }
}

/// The row's value for each field: the first non-empty column mapped to it (tags: all).
#[derive(Debug, Default)]
struct Values {
    fields: Vec<(ImportField, String)>,
}

impl Values {
    fn of(record: &StringRecord, mapping: &[Option<ImportField>]) -> Values {
        let mut fields: Vec<(ImportField, String)> = Vec::new();
        for (value, field) in record.iter().zip(mapping) {
            // A value our own export defused against formulas comes back as it was.
            let value = crate::exports::stream::uncell(value);
            let (Some(field), false) = (field, value.is_empty()) else {
                continue;
            };
            match fields.iter_mut().find(|(f, _)| f == field) {
                Some((ImportField::Tags, tags)) => {
                    tags.push(',');
                    tags.push_str(value);
                }
                Some(_) => {}
                None => fields.push((*field, value.to_string())),
            }
        }
        Values { fields }
    }

    fn get(&self, field: ImportField) -> &str {
        self.fields
            .iter()
            .find(|(f, _)| *f == field)
            .map_or("", |(_, v)| v.as_str())
    }
}

/// The normalised email of a row, as duplicates are found: lower case, trimmed.
pub fn email_key(record: &StringRecord, mapping: &[Option<ImportField>]) -> Option<String> {
    let email = Values::of(record, mapping)
        .get(ImportField::Email)
        .trim()
        .to_lowercase();
    (!email.is_empty()).then_some(email)
}

fn split_full_name(full: &str) -> (String, String) {
    let full = full.trim();
    if let Some((last, first)) = full.split_once(',') {
        return (first.trim().to_string(), last.trim().to_string());
    }
    match full.rsplit_once(char::is_whitespace) {
        Some((first, last)) => (first.trim().to_string(), last.trim().to_string()),
        None => (full.to_string(), String::new()),
    }
}

fn flag(raw: &str) -> Result<bool, ()> {
    match raw.trim().to_lowercase().as_str() {
        "" | "no" | "n" | "false" | "0" | "non" | "nein" => Ok(false),
        "yes" | "y" | "true" | "1" | "x" | "oui" | "ja" | "opted out" | "unsubscribed" => Ok(true),
        _ => Err(()),
    }
}

fn linkedin(raw: &str) -> String {
    let raw = raw.trim();
    if raw.is_empty() {
        String::new()
    } else if let Some(rest) = raw.strip_prefix("http://") {
        format!("https://{rest}")
    } else if raw.contains("://") {
        raw.to_string()
    } else {
        format!("https://{raw}")
    }
}

/// The column a form field comes from, for messages.
fn label(field: &str) -> &str {
    match field {
        "first_name" => "First name",
        "last_name" => "Last name",
        "title" => "Job title",
        "email" => "Email",
        "phone" => "Phone",
        "linkedin_url" => "LinkedIn URL",
        "source" => "Source",
        "tags" => "Tags",
        "account_name" | "name" => "Company name",
        "domain" => "Company website",
        "industry" => "Industry",
        "employee_count" => "Company size",
        "territory" => "Territory",
        "qualifying_notes" => "Notes",
        other => other,
    }
}

fn describe(errors: &FormErrors) -> String {
    errors
        .messages()
        .map(|(field, message)| format!("{}: {message}", label(field)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Validates one row mapped by `mapping`. The error is a sentence per problem field.
pub fn validate(
    record: &StringRecord,
    headers: usize,
    mapping: &[Option<ImportField>],
) -> Result<ImportRow, String> {
    use ImportField::*;
    if record.len() != headers {
        return Err(format!(
            "This row has {} fields where the first row names {headers} columns; a quote may be left open.",
            record.len()
        ));
    }
    let values = Values::of(record, mapping);
    let (mut first_name, mut last_name) = (
        values.get(FirstName).to_string(),
        values.get(LastName).to_string(),
    );
    if first_name.is_empty() && !values.get(FullName).is_empty() {
        let (first, last) = split_full_name(values.get(FullName));
        first_name = first;
        if last_name.is_empty() {
            last_name = last;
        }
    }
    let mut errors = FormErrors::default();
    let do_not_contact = flag(values.get(DoNotContact)).unwrap_or_else(|()| {
        errors.add("do_not_contact", "Do not contact: write yes or no.");
        false
    });
    let mut account_name = values.get(AccountName).to_string();
    if account_name.is_empty() {
        // A row with only a website still names a company.
        account_name = values.get(AccountDomain).to_string();
    }
    let form = ProspectForm {
        first_name,
        last_name,
        title: values.get(Title).to_string(),
        email: values.get(Email).to_string(),
        phone: values.get(Phone).to_string(),
        linkedin_url: linkedin(values.get(LinkedinUrl)),
        account_name: account_name.clone(),
        source: values.get(Source).to_string(),
        tags: values.get(Tags).to_string(),
        do_not_contact: do_not_contact.then(|| "on".to_string()),
        qualifying: QualifyingInput {
            notes: values.get(Notes).to_string(),
            ..Default::default()
        },
    };
    let prospect = form.validate();
    let account = (!account_name.is_empty()).then(|| {
        AccountForm {
            name: account_name,
            domain: values.get(AccountDomain).to_string(),
            industry: values.get(Industry).to_string(),
            employee_count: values.get(EmployeeCount).to_string(),
            territory: values.get(Territory).to_string(),
        }
        .validate()
    });
    if let Err(form_errors) = &prospect {
        for (field, message) in form_errors.messages() {
            errors.add(field, message);
        }
    }
    if let Some(Err(account_errors)) = &account {
        for (field, message) in account_errors.messages() {
            // The prospect form already reported a bad company name.
            if field != "name" || !errors.has("account_name") {
                errors.add(field, message);
            }
        }
    }
    match (prospect, account) {
        (Ok(prospect), None) if errors.is_empty() => Ok(ImportRow {
            prospect,
            account: None,
            notes: form.qualifying.notes.trim().to_string(),
        }),
        (Ok(prospect), Some(Ok(account))) if errors.is_empty() => Ok(ImportRow {
            prospect,
            account: Some(account),
            notes: form.qualifying.notes.trim().to_string(),
        }),
        _ => Err(describe(&errors)),
    }
}

#[cfg(test)]
mod tests {
    use super::{ImportField::*, *};

    const MAPPING: &[Option<ImportField>] = &[
        Some(FullName),
        Some(Email),
        Some(AccountName),
        Some(AccountDomain),
        Some(LinkedinUrl),
        Some(DoNotContact),
        None,
    ];

    fn row(values: &[&str]) -> StringRecord {
        StringRecord::from(values.to_vec())
    }

    #[test]
    fn a_row_becomes_a_prospect_and_its_account() {
        let valid = validate(
            &row(&[
                "Lovelace, Ada",
                "ADA@Example.org",
                "Analytical Engines",
                "https://www.engines.example/",
                "www.linkedin.com/in/ada",
                "Yes",
                "x",
            ]),
            7,
            MAPPING,
        )
        .unwrap();
        assert_eq!(valid.prospect.fields.first_name, "Ada");
        assert_eq!(valid.prospect.fields.last_name, "Lovelace");
        assert_eq!(valid.email(), Some("ada@example.org"));
        assert_eq!(
            valid.prospect.fields.linkedin_url,
            "https://www.linkedin.com/in/ada"
        );
        assert!(valid.prospect.fields.do_not_contact);
        let account = valid.account.unwrap();
        assert_eq!(account.name, "Analytical Engines");
        assert_eq!(account.domain.as_deref(), Some("engines.example"));
    }

    #[test]
    fn problems_are_named_by_column() {
        let err = validate(
            &row(&["", "nope", "", "not a domain", "", "maybe", ""]),
            7,
            MAPPING,
        )
        .unwrap_err();
        for expected in [
            "First name:",
            "Email:",
            "Company website:",
            "Do not contact:",
        ] {
            assert!(err.contains(expected), "{expected} in {err}");
        }
        assert!(
            validate(&row(&["Ada"]), 7, MAPPING)
                .unwrap_err()
                .contains("1 fields")
        );
    }
}
