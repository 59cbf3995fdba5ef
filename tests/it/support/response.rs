//! A response read in full, with the look-ups tests make on pages.

use reqwest::{StatusCode, header::HeaderMap};
use scraper::{ElementRef, Html, Selector};

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

fn selector(css: &str) -> Selector {
    Selector::parse(css).unwrap_or_else(|e| panic!("bad selector {css:?}: {e}"))
}

/// An element's text with whitespace collapsed, as a reader sees it.
fn text_of(element: ElementRef<'_>) -> String {
    element
        .text()
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

impl TestResponse {
    pub(super) async fn try_read(response: reqwest::Response) -> reqwest::Result<TestResponse> {
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.text().await?;
        Ok(TestResponse {
            status,
            headers,
            body,
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn location(&self) -> Option<&str> {
        self.header("location")
    }

    /// The `Set-Cookie` header that sets the named cookie.
    pub fn set_cookie(&self, name: &str) -> Option<&str> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
    }

    pub fn html(&self) -> Html {
        Html::parse_document(&self.body)
    }

    /// The text of each element matching `css`.
    pub fn texts(&self, css: &str) -> Vec<String> {
        self.html().select(&selector(css)).map(text_of).collect()
    }

    /// The text of the first element matching `css`.
    pub fn text(&self, css: &str) -> Option<String> {
        self.texts(css).into_iter().next()
    }

    /// `attr` of each element matching `css`.
    pub fn attrs(&self, css: &str, attr: &str) -> Vec<String> {
        self.html()
            .select(&selector(css))
            .filter_map(|e| e.value().attr(attr).map(str::to_owned))
            .collect()
    }

    pub fn exists(&self, css: &str) -> bool {
        self.html().select(&selector(css)).next().is_some()
    }

    pub fn csrf_token(&self) -> Option<String> {
        self.attrs("input[name=csrf_token]", "value")
            .into_iter()
            .next()
    }

    /// The value shown in the named input or textarea (the first, if several).
    pub fn field_value(&self, name: &str) -> Option<String> {
        let html = self.html();
        let element = html
            .select(&selector(&format!(
                "input[name=\"{name}\"], textarea[name=\"{name}\"]"
            )))
            .next()?;
        match element.value().name() {
            "textarea" => Some(element.text().collect()),
            _ => Some(element.value().attr("value").unwrap_or_default().to_owned()),
        }
    }

    /// What a browser would submit for the form matching `css`, before the user changes it:
    /// inputs (ticked boxes and radios only), textareas, and each select's chosen option.
    pub fn form_values(&self, css: &str) -> Vec<(String, String)> {
        let html = self.html();
        let form = html
            .select(&selector(css))
            .next()
            .unwrap_or_else(|| panic!("no form matches {css:?}"));
        let mut values = Vec::new();
        for field in form.select(&selector("input[name], textarea[name], select[name]")) {
            let element = field.value();
            let name = element.attr("name").unwrap_or_default().to_owned();
            let value = match element.name() {
                "textarea" => Some(field.text().collect()),
                "select" => {
                    let options: Vec<_> = field.select(&selector("option")).collect();
                    options
                        .iter()
                        .find(|o| o.value().attr("selected").is_some())
                        .or(options.first())
                        .map(|o| o.value().attr("value").unwrap_or_default().to_owned())
                }
                _ => match element.attr("type").unwrap_or("text") {
                    "checkbox" | "radio" if element.attr("checked").is_none() => None,
                    "checkbox" | "radio" => Some(element.attr("value").unwrap_or("on").to_owned()),
                    "submit" | "button" => None,
                    _ => Some(element.attr("value").unwrap_or_default().to_owned()),
                },
            };
            if let Some(value) = value {
                values.push((name, value));
            }
        }
        values
    }
}

/// Sets a form field, replacing the value it had (a radio group or a checkbox is one field).
pub fn set_field(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
    fields.retain(|(k, _)| k != name);
    fields.push((name.to_owned(), value.to_owned()));
}
