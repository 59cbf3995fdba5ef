//! The fields an import fills, and guessing which column fills which from the headers of
//! the exports people bring: HubSpot, Salesforce, Pipedrive, LinkedIn Sales Navigator.

use serde::{Deserialize, Serialize};

use crate::process::labelled_enum;

labelled_enum!(
    /// A field of the prospect or of their account that a column can fill.
    ImportField, "text", {
        FirstName => ("first_name", "First name"),
        LastName => ("last_name", "Last name"),
        FullName => ("full_name", "Full name (split into first and last)"),
        Email => ("email", "Email"),
        Title => ("title", "Job title"),
        Phone => ("phone", "Phone"),
        LinkedinUrl => ("linkedin_url", "LinkedIn URL"),
        Source => ("source", "Source"),
        Tags => ("tags", "Tags (comma-separated)"),
        DoNotContact => ("do_not_contact", "Do not contact (yes/no)"),
        AccountName => ("account_name", "Company name"),
        AccountDomain => ("account_domain", "Company website or domain"),
        Industry => ("industry", "Company industry"),
        EmployeeCount => ("employee_count", "Company size (employees)"),
        Territory => ("territory", "Company territory or region"),
        Notes => ("notes", "Notes (qualifying notes)"),
    }
);

/// A header as compared: lower case, letters and digits only ("E-mail Address" → "emailaddress").
fn normalize(header: &str) -> String {
    header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The field a normalised header names, by the spellings the common CRM and LinkedIn
/// exports use.
fn field_for(key: &str) -> Option<ImportField> {
    use ImportField::*;
    Some(match key {
        "firstname" | "first" | "givenname" | "forename" | "prenom" | "vorname" => FirstName,
        "lastname" | "last" | "surname" | "familyname" | "nom" | "nachname" => LastName,
        "name" | "fullname" | "contactname" | "personname" | "leadname" => FullName,
        "email" | "emailaddress" | "email1" | "workemail" | "primaryemail" | "emailwork"
        | "businessemail" | "emailaddresswork" | "mail" => Email,
        "title" | "jobtitle" | "position" | "currentposition" | "currenttitle" | "jobposition" => {
            Title
        }
        "phone" | "phonenumber" | "phonework" | "workphone" | "businessphone" | "mobile"
        | "mobilephone" | "mobilephonenumber" | "telephone" | "tel" | "phonemobile" => Phone,
        "linkedin" | "linkedinurl" | "linkedinprofile" | "linkedinprofileurl" | "profileurl"
        | "linkedinbio" | "salesnavigatorurl" | "personlinkedinurl" => LinkedinUrl,
        "source" | "leadsource" | "originalsource" | "contactsource" => Source,
        "tags" | "tag" | "labels" | "label" => Tags,
        "donotcontact"
        | "donotcall"
        | "emailoptout"
        | "hasoptedoutofemail"
        | "optedout"
        | "unsubscribed"
        | "unsubscribedfromallemail"
        | "donotemail" => DoNotContact,
        "company" | "companyname" | "account" | "accountname" | "organization" | "organisation"
        | "organizationname" | "organisationname" | "associatedcompany" | "employer"
        | "currentcompany" => AccountName,
        "website"
        | "websiteurl"
        | "companywebsite"
        | "companydomain"
        | "companydomainname"
        | "domain"
        | "companyurl"
        | "organizationwebsite"
        | "web" => AccountDomain,
        "industry" | "companyindustry" | "organizationindustry" => Industry,
        "numberofemployees"
        | "employees"
        | "employeecount"
        | "companysize"
        | "headcount"
        | "companyheadcount"
        | "organizationemployees" => EmployeeCount,
        "territory" | "salesterritory" | "region" | "salesregion" => Territory,
        "notes" | "note" | "description" | "comments" | "comment" | "about" => Notes,
        _ => return None,
    })
}

/// Prefixes that exports put before a field's name ("Person - Email - Work",
/// "Organization - Name", "Contact Email").
const PREFIXES: &[(&str, Option<ImportField>)] = &[
    ("person", None),
    ("contact", None),
    ("lead", None),
    ("organization", Some(ImportField::AccountName)),
    ("organisation", Some(ImportField::AccountName)),
];

fn guess_one(header: &str) -> Option<ImportField> {
    let key = normalize(header);
    if let Some(field) = field_for(&key) {
        return Some(field);
    }
    for (prefix, bare) in PREFIXES {
        if let Some(rest) = key.strip_prefix(prefix) {
            if rest == "name" {
                // "Organization - Name" is the company; "Person - Name" the person.
                return bare.or(Some(ImportField::FullName));
            }
            if let Some(field) = field_for(rest) {
                return Some(field);
            }
        }
    }
    None
}

/// A guess for every column: each field at most once (the first column that names it),
/// and a full name only when there is not a first name column.
pub fn guess(headers: &[String]) -> Vec<Option<ImportField>> {
    let mut taken: Vec<ImportField> = Vec::new();
    let mut mapping: Vec<Option<ImportField>> = headers
        .iter()
        .map(|header| {
            let field = guess_one(header).filter(|f| !taken.contains(f))?;
            taken.push(field);
            Some(field)
        })
        .collect();
    if taken.contains(&ImportField::FirstName) {
        for slot in &mut mapping {
            if *slot == Some(ImportField::FullName) {
                *slot = None;
            }
        }
    }
    mapping
}

#[cfg(test)]
mod tests {
    use super::{ImportField::*, *};

    fn headers(raw: &[&str]) -> Vec<String> {
        raw.iter().map(|h| h.to_string()).collect()
    }

    #[test]
    fn hubspot_contacts_export() {
        let mapping = guess(&headers(&[
            "Record ID",
            "First Name",
            "Last Name",
            "Email",
            "Phone Number",
            "Job Title",
            "Company Name",
            "Website URL",
            "Industry",
            "Number of Employees",
            "Original Source",
            "Contact owner",
            "Create Date",
        ]));
        assert_eq!(
            mapping,
            vec![
                None,
                Some(FirstName),
                Some(LastName),
                Some(Email),
                Some(Phone),
                Some(Title),
                Some(AccountName),
                Some(AccountDomain),
                Some(Industry),
                Some(EmployeeCount),
                Some(Source),
                None,
                None,
            ]
        );
    }

    #[test]
    fn salesforce_pipedrive_and_sales_navigator() {
        assert_eq!(
            guess(&headers(&[
                "First Name",
                "Last Name",
                "Title",
                "Account Name",
                "Lead Source",
                "Email Opt Out"
            ])),
            vec![
                Some(FirstName),
                Some(LastName),
                Some(Title),
                Some(AccountName),
                Some(Source),
                Some(DoNotContact)
            ]
        );
        assert_eq!(
            guess(&headers(&[
                "Person - Name",
                "Person - Email - Work",
                "Person - Phone - Work",
                "Organization - Name",
                "Person - Label"
            ])),
            vec![
                Some(FullName),
                Some(Email),
                Some(Phone),
                Some(AccountName),
                Some(Tags)
            ]
        );
        assert_eq!(
            guess(&headers(&[
                "Name",
                "First name",
                "Last name",
                "Email",
                "Organization"
            ])),
            vec![
                None,
                Some(FirstName),
                Some(LastName),
                Some(Email),
                Some(AccountName)
            ]
        );
        assert_eq!(
            guess(&headers(&[
                "First Name",
                "Last Name",
                "Title",
                "Company",
                "LinkedIn URL",
                "Region"
            ])),
            vec![
                Some(FirstName),
                Some(LastName),
                Some(Title),
                Some(AccountName),
                Some(LinkedinUrl),
                Some(Territory)
            ]
        );
    }

    #[test]
    fn a_field_is_guessed_once_and_unknown_columns_are_left_out() {
        assert_eq!(
            guess(&headers(&["Email", "E-mail", "Favourite colour"])),
            vec![Some(Email), None, None]
        );
    }
}
