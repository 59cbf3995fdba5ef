//! The account form: what the user typed, and its validation into fields to store.

use serde::Deserialize;

use super::db::AccountFields;
use crate::web::FormErrors;

#[derive(Clone, Debug, Default, Deserialize)]
pub struct AccountForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub domain: String,
    #[serde(default)]
    pub industry: String,
    #[serde(default)]
    pub employee_count: String,
    #[serde(default)]
    pub territory: String,
}

impl AccountForm {
    /// The form as it shows a stored account for editing.
    pub fn from_account(account: &super::db::Account) -> Self {
        AccountForm {
            name: account.name.clone(),
            domain: account.domain.clone().unwrap_or_default(),
            industry: account.industry.clone(),
            employee_count: account
                .employee_count
                .map(|n| n.to_string())
                .unwrap_or_default(),
            territory: account.territory.clone(),
        }
    }

    pub fn validate(&self) -> Result<AccountFields, FormErrors> {
        let mut errors = FormErrors::default();
        let name = errors.required("name", &self.name, 200);
        let domain = match normalize_domain(&self.domain) {
            Ok(domain) => domain,
            Err(message) => {
                errors.add("domain", message);
                None
            }
        };
        let industry = errors.optional("industry", &self.industry, 100);
        let employee_count = match parse_employee_count(&self.employee_count) {
            Ok(count) => count,
            Err(message) => {
                errors.add("employee_count", message);
                None
            }
        };
        let territory = errors.optional("territory", &self.territory, 100);
        errors.into_result(|| AccountFields {
            name,
            domain,
            industry,
            employee_count,
            territory,
        })
    }
}

const DOMAIN_HELP: &str =
    "Enter the company's web domain, such as acme.com or https://www.acme.com.";

/// A company's web domain from what people paste: a bare domain (`Acme.com`) or a site
/// address (`https://www.acme.com/about`). Stored as the lower-cased host without `www.`,
/// so one company is always written the same way.
pub fn normalize_domain(raw: &str) -> Result<Option<String>, &'static str> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    if raw.len() > 300 || raw.chars().any(char::is_whitespace) {
        return Err(DOMAIN_HELP);
    }
    let with_scheme = if raw.contains("://") {
        raw.to_string()
    } else {
        format!("https://{raw}")
    };
    let url = url::Url::parse(&with_scheme).map_err(|_| DOMAIN_HELP)?;
    if !matches!(url.scheme(), "http" | "https")
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(DOMAIN_HELP);
    }
    // IP addresses and single-label hosts ("localhost") are not a company's domain.
    let Some(url::Host::Domain(host)) = url.host() else {
        return Err(DOMAIN_HELP);
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host).to_string();
    let labels: Vec<&str> = host.split('.').collect();
    let valid_label = |label: &&str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    let top_level_ok = labels
        .last()
        .is_some_and(|tld| !tld.bytes().all(|b| b.is_ascii_digit()));
    if labels.len() < 2 || host.len() > 253 || !labels.iter().all(valid_label) || !top_level_ok {
        return Err(DOMAIN_HELP);
    }
    Ok(Some(host))
}

/// An optional head count such as `250` or `1,200`.
pub fn parse_employee_count(raw: &str) -> Result<Option<i32>, &'static str> {
    let digits: String = raw
        .trim()
        .chars()
        .filter(|c| !matches!(c, ',' | '_' | ' ' | '\u{a0}'))
        .collect();
    if digits.is_empty() {
        return Ok(None);
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("Enter the number of employees as a whole number, such as 250.");
    }
    digits
        .parse::<i32>()
        .map(Some)
        .map_err(|_| "That is more employees than any company has; check the number.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_normalised_to_the_bare_host() {
        for (raw, expected) in [
            ("acme.com", "acme.com"),
            ("  Acme.COM ", "acme.com"),
            ("www.acme.com", "acme.com"),
            ("https://www.acme.com/x", "acme.com"),
            ("http://WWW.Acme.co.uk/about?q=1#top", "acme.co.uk"),
            ("acme.com/pricing", "acme.com"),
            ("https://shop.acme.com:8443", "shop.acme.com"),
            ("acme.com.", "acme.com"),
            ("xn--bcher-kva.example", "xn--bcher-kva.example"),
            ("bücher.example", "xn--bcher-kva.example"),
        ] {
            assert_eq!(
                normalize_domain(raw),
                Ok(Some(expected.to_string())),
                "{raw}"
            );
        }
        assert_eq!(normalize_domain("   "), Ok(None));
    }

    #[test]
    fn things_that_are_not_a_domain_are_refused() {
        for raw in [
            "acme",
            "localhost",
            "http://acme",
            "www.com.",
            "192.168.1.10",
            "https://10.0.0.1/",
            "acme .com",
            "ada@acme.com",
            "ftp://acme.com",
            "mailto:ada@acme.com",
            "acme..com",
            "-acme.com",
            "acme_corp.com",
            "https://",
        ] {
            assert!(normalize_domain(raw).is_err(), "{raw} should be refused");
        }
    }

    #[test]
    fn employee_counts_are_whole_non_negative_numbers() {
        assert_eq!(parse_employee_count(""), Ok(None));
        assert_eq!(parse_employee_count(" 0 "), Ok(Some(0)));
        assert_eq!(parse_employee_count("1,200"), Ok(Some(1200)));
        for raw in ["-5", "12.5", "many", "99999999999"] {
            assert!(parse_employee_count(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn a_valid_form_is_accepted() {
        let form = AccountForm {
            name: "  Acme Corp ".into(),
            domain: "https://www.Acme.com/".into(),
            industry: "Manufacturing".into(),
            employee_count: "250".into(),
            territory: "EMEA".into(),
        };
        assert_eq!(
            form.validate().ok(),
            Some(AccountFields {
                name: "Acme Corp".into(),
                domain: Some("acme.com".into()),
                industry: "Manufacturing".into(),
                employee_count: Some(250),
                territory: "EMEA".into(),
            })
        );
    }

    #[test]
    fn each_problem_is_reported_on_its_field() {
        let form = AccountForm {
            name: " ".into(),
            domain: "not a domain".into(),
            industry: "x".repeat(101),
            employee_count: "-3".into(),
            territory: "y".repeat(101),
        };
        let errors = form.validate().err().unwrap();
        for field in ["name", "domain", "industry", "employee_count", "territory"] {
            assert!(errors.has(field), "{field}");
        }
        let long_name = AccountForm {
            name: "n".repeat(201),
            ..Default::default()
        };
        assert!(long_name.validate().err().unwrap().has("name"));
    }
}
