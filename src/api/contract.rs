//! What the OpenAPI document promises about requests, and the server keeping the promise.
//!
//! The derive (utoipa) writes each type's shape and its own limits. This module adds what
//! the derive cannot spell, in one place: the input rule's pattern on every text of a
//! request (no control characters), the date rule's pattern on every date, a non-blank
//! pattern on every text that must say something (`minLength: 1`), and the rules that tie
//! one field to another (a decision of future needs a date, ...). Then every request body
//! is checked against the very schema the document shows before its handler runs, so the
//! server refuses exactly what the document forbids, with a field error for each problem.
//!
//! What no JSON Schema can say (a date after today, a cursor this list gave out, an email
//! another prospect already has) is said in the fields' descriptions and answered by the
//! handlers: 422 for the first two, 409 for a conflict with what is stored.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::LazyLock,
};

use serde_json::{Value, json};
use utoipa::OpenApi as _;

use super::{
    ApiDoc,
    problem::{ApiError, FieldProblem},
};

/// The input rule: no control characters other than tab, line feed and carriage return.
pub const TEXT_PATTERN: &str = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$";

/// The input rule, and at least one character that is not white space (what `str::trim`
/// removes), for texts that are required.
pub const NON_BLANK_TEXT_PATTERN: &str = concat!(
    r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*",
    r"[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]",
    r"[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
);

/// The date rule: 1900-01-01 through 2099-12-31, as `YYYY-MM-DD` (with `format: date`,
/// which refuses days a month does not have).
pub const DATE_PATTERN: &str = r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$";

/// The document as served: the derive's output refined by the rules above.
pub fn document(base_url: &url::Url) -> Value {
    let mut doc = ApiDoc::openapi();
    doc.servers = Some(vec![utoipa::openapi::Server::new(
        base_url.as_str().trim_end_matches('/'),
    )]);
    let mut doc = serde_json::to_value(doc).expect("the document serializes");
    refine(&mut doc);
    doc
}

fn refine(doc: &mut Value) {
    bound_integers(doc);
    let request_schemas = request_schemas(doc);
    let schemas = doc["components"]["schemas"]
        .as_object_mut()
        .expect("the document has schemas");
    for name in &request_schemas {
        if let Some(schema) = schemas.get_mut(name) {
            constrain_texts(schema);
        }
    }
    for (name, rules) in field_rules() {
        let schema = schemas
            .get_mut(name)
            .and_then(Value::as_object_mut)
            .unwrap_or_else(|| panic!("no schema {name} to add rules to"));
        schema.insert("allOf".into(), rules);
    }
    let paths = doc["paths"]
        .as_object_mut()
        .expect("the document has paths");
    for item in paths.values_mut() {
        for operation in item
            .as_object_mut()
            .into_iter()
            .flat_map(|o| o.values_mut())
        {
            let parameters = operation
                .get_mut("parameters")
                .and_then(Value::as_array_mut);
            for parameter in parameters.into_iter().flatten() {
                if let Some(schema) = parameter.get_mut("schema") {
                    constrain_texts(schema);
                }
            }
        }
    }
}

/// Gives every `int64` and `int32` schema the bounds of its type (JSON Schema has no such
/// formats): a larger number is refused as the schema says, not by the parser.
fn bound_integers(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let bounds = match map.get("format").and_then(Value::as_str) {
                Some("int64") => Some((i64::MIN, i64::MAX)),
                Some("int32") => Some((i32::MIN.into(), i32::MAX.into())),
                _ => None,
            };
            if let Some((min, max)) = bounds {
                map.entry("minimum").or_insert(min.into());
                map.entry("maximum").or_insert(max.into());
            }
            map.values_mut().for_each(bound_integers);
        }
        Value::Array(items) => items.iter_mut().for_each(bound_integers),
        _ => {}
    }
}

/// Writes each number without a fraction as an integer: JSON Schema counts `250.0` as an
/// integer, and so the server must too, though serde reads only `250` into an `i64`.
pub fn integers_as_integers(value: &mut Value) {
    match value {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            // The bounds are powers of two, exact as `f64`: whatever passes them fits.
            let fits = |f: &f64| f.fract() == 0.0 && *f >= -(2f64.powi(63)) && *f < 2f64.powi(63);
            if let Some(f) = n.as_f64().filter(fits) {
                *value = Value::from(f as i64);
            }
        }
        Value::Object(map) => map.values_mut().for_each(integers_as_integers),
        Value::Array(items) => items.iter_mut().for_each(integers_as_integers),
        _ => {}
    }
}

/// The names of the schemas a request body refers to, directly or through others.
fn request_schemas(doc: &Value) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut todo = Vec::new();
    for item in doc["paths"]
        .as_object()
        .into_iter()
        .flat_map(|p| p.values())
    {
        for operation in item.as_object().into_iter().flat_map(|o| o.values()) {
            refs(&operation["requestBody"], &mut todo);
        }
    }
    while let Some(name) = todo.pop() {
        if names.insert(name.clone()) {
            refs(&doc["components"]["schemas"][&name], &mut todo);
        }
    }
    names
}

fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                out.push(name.to_string());
            }
            map.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// Adds the input rule's (or the date rule's) pattern to every text schema under `schema`
/// that has no pattern or list of values of its own.
fn constrain_texts(schema: &mut Value) {
    let Some(map) = schema.as_object_mut() else {
        return;
    };
    let is_text = match map.get("type") {
        Some(Value::String(t)) => t == "string",
        Some(Value::Array(types)) => types.iter().any(|t| t == "string"),
        _ => false,
    };
    if is_text && !map.contains_key("pattern") && !map.contains_key("enum") {
        let pattern = match map.get("format").and_then(Value::as_str) {
            Some("date") => DATE_PATTERN,
            _ if map.get("minLength").and_then(Value::as_u64).unwrap_or(0) > 0 => {
                NON_BLANK_TEXT_PATTERN
            }
            _ => TEXT_PATTERN,
        };
        map.insert("pattern".into(), pattern.into());
    }
    if map.get("format").and_then(Value::as_str) == Some("email") {
        // An email may be left empty (no email); else the server also wants a dot in it.
        map.remove("format");
        map.remove("pattern");
        map.insert(
            "anyOf".into(),
            json!([
                {"maxLength": 0},
                {"format": "email", "pattern": r"\."}
            ]),
        );
        return;
    }
    for key in ["properties", "items", "oneOf", "anyOf", "allOf"] {
        match map.get_mut(key) {
            Some(Value::Object(properties)) if key == "properties" => {
                properties.values_mut().for_each(constrain_texts)
            }
            Some(Value::Array(schemas)) => schemas.iter_mut().for_each(constrain_texts),
            Some(item @ Value::Object(_)) => constrain_texts(item),
            _ => {}
        }
    }
}

/// The rules between fields, as `allOf` lists of `if`/`then`, per schema.
fn field_rules() -> [(&'static str, Value); 2] {
    let decision = |value: &str| json!({"properties": {"decision": {"const": value}}, "required": ["decision"]});
    [
        (
            "LogInteraction",
            json!([
                {
                    "if": decision("none"),
                    "then": {
                        "required": ["no_interest_reason"],
                        "properties": {"no_interest_reason": {"minLength": 1, "pattern": NON_BLANK_TEXT_PATTERN}}
                    }
                },
                {
                    "if": decision("future"),
                    "then": {
                        "required": ["re_engage_on"],
                        "properties": {"re_engage_on": {"type": "string"}}
                    }
                },
                {
                    "if": {"properties": {"outcome": {"const": "not_interested"}}, "required": ["outcome"]},
                    "then": {"properties": {"decision": {"not": {"const": "current"}}}}
                }
            ]),
        ),
        (
            "MoveStage",
            json!([
                {
                    "if": {"properties": {"stage": {"const": "lost"}}, "required": ["stage"]},
                    "then": {
                        "required": ["lost_reason"],
                        "properties": {"lost_reason": {"minLength": 1, "pattern": NON_BLANK_TEXT_PATTERN}}
                    },
                    "else": {"properties": {"revisit_on": {"type": "null"}}}
                }
            ]),
        ),
    ]
}

/// A validator per request body schema, compiled once from the document.
static VALIDATORS: LazyLock<BTreeMap<String, jsonschema::Validator>> = LazyLock::new(|| {
    let doc = document(&url::Url::parse("http://localhost").expect("a URL"));
    request_schemas(&doc)
        .into_iter()
        .map(|name| {
            let schema = json!({
                "$ref": format!("#/components/schemas/{name}"),
                "components": doc["components"],
            });
            let validator = jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .should_validate_formats(true)
                .build(&schema)
                .unwrap_or_else(|e| panic!("the schema {name} does not compile: {e}"));
            (name, validator)
        })
        .collect()
});

/// Refuses a request body that the document's schema `name` forbids: a 422 with one
/// problem per field.
pub fn check_body(name: &str, body: &Value) -> Result<(), ApiError> {
    let validator = VALIDATORS
        .get(name)
        .unwrap_or_else(|| panic!("{name} is not a request body of the document"));
    let mut problems: Vec<FieldProblem> = Vec::new();
    for error in validator.iter_errors(body) {
        for (field, message) in describe(&error) {
            if !problems.iter().any(|p| p.field == field) {
                problems.push(FieldProblem { field, message });
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::InvalidFields(problems))
    }
}

/// The field (dotted path, `body` for the whole) and message of one schema error.
fn describe(error: &jsonschema::ValidationError<'_>) -> Vec<(String, String)> {
    use jsonschema::error::ValidationErrorKind as Kind;
    let path: Vec<String> = error
        .instance_path()
        .iter()
        .map(|segment| match segment {
            jsonschema::paths::LocationSegment::Property(p) => p.to_string(),
            jsonschema::paths::LocationSegment::Index(i) => format!("[{i}]"),
        })
        .collect();
    // Named as the input rule's errors name them: `qualifying.budget`, `tags[2]`.
    let field = |extra: Option<&str>| {
        let mut name = String::new();
        for part in path.iter().map(String::as_str).chain(extra) {
            if !name.is_empty() && !part.starts_with('[') {
                name.push('.');
            }
            name.push_str(part);
        }
        if name.is_empty() {
            "body".to_string()
        } else {
            name
        }
    };
    let instance = error.instance();
    let message = match error.kind() {
        Kind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            return vec![(field(Some(name)), required_message(name).into())];
        }
        Kind::AdditionalProperties { unexpected } => {
            return unexpected
                .iter()
                .map(|name| {
                    (
                        field(Some(name)),
                        "This field is not part of this request; check its name.".into(),
                    )
                })
                .collect();
        }
        Kind::Type { .. } if path.is_empty() => "Send a JSON object.".into(),
        Kind::Type { .. } => "This value has the wrong type; see the document.".into(),
        Kind::MaxLength { limit } => format!("Use at most {limit} characters."),
        Kind::MinLength { .. } => required_message(path.last().map_or("", String::as_str)).into(),
        Kind::MaxItems { limit } => format!("Use at most {limit} items."),
        Kind::Minimum { limit } | Kind::ExclusiveMinimum { limit } => {
            format!("Use a number of at least {limit}.")
        }
        Kind::Maximum { limit } | Kind::ExclusiveMaximum { limit } => {
            format!("Use a number of at most {limit}.")
        }
        Kind::Enum { options }
        | Kind::Constant {
            expected_value: options,
        } => {
            format!("Choose one of {options}.")
        }
        Kind::Format { format } if format == "date" => DATE_MESSAGE.into(),
        Kind::Format { format } if format == "date-time" => {
            "Give the time in RFC 3339, such as 2026-07-01T09:30:00Z.".into()
        }
        Kind::Pattern { pattern } => match pattern.as_str() {
            DATE_PATTERN => DATE_MESSAGE.into(),
            TEXT_PATTERN | NON_BLANK_TEXT_PATTERN
                if instance.as_str().is_some_and(has_control_characters) =>
            {
                "Remove the control characters from this text.".into()
            }
            NON_BLANK_TEXT_PATTERN => {
                required_message(path.last().map_or("", String::as_str)).into()
            }
            _ => "This value is not in the form this field takes; see its description.".into(),
        },
        Kind::AnyOf { .. } | Kind::OneOfNotValid { .. } | Kind::OneOfMultipleValid { .. } => {
            "This value is not one this field takes; see its description.".into()
        }
        Kind::Not { .. } => "This value does not go with the other fields given.".into(),
        _ => "This value is not one this field takes; see its description.".into(),
    };
    vec![(field(None), message)]
}

/// What a missing or blank field's error says: the form's words where the form has its own.
fn required_message(field: &str) -> &'static str {
    match field {
        "channel" => "Choose how you reached the prospect.",
        "outcome" => "Choose what happened.",
        "stage" => "Choose a stage.",
        "re_engage_on" => "Future interest needs a date to re-engage on.",
        "lost_reason" => "Say why it was lost: it is what the next attempt learns from.",
        "reason" => "Say why the touch is skipped (at most 500 characters).",
        "until" => "Snooze to a date after today.",
        _ => "This field is required.",
    }
}

const DATE_MESSAGE: &str = "Enter a date from 1900-01-01 to 2099-12-31 as YYYY-MM-DD.";

fn has_control_characters(text: &str) -> bool {
    text.chars().any(|c| {
        matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
    })
}

/// Every `$ref` in `doc` that points at nothing in it (for the tests: there must be none).
pub fn dangling_refs(doc: &Value) -> Vec<String> {
    fn walk(value: &Value, doc: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(target) = map.get("$ref").and_then(Value::as_str) {
                    let resolves = target
                        .strip_prefix('#')
                        .and_then(|pointer| doc.pointer(pointer))
                        .is_some();
                    if !resolves {
                        out.push(target.to_string());
                    }
                }
                map.values().for_each(|v| walk(v, doc, out));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, doc, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(doc, doc, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_builds_on_a_small_stack() {
        let doc = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(|| document(&url::Url::parse("http://localhost").unwrap()))
            .unwrap()
            .join()
            .unwrap();
        assert!(dangling_refs(&doc).is_empty(), "{:?}", dangling_refs(&doc));
    }

    /// The patterns say what the server does: the input rule's control characters, and
    /// white space as `str::trim` sees it, for every character of the first planes.
    #[test]
    fn the_text_patterns_agree_with_the_input_rule_and_trim() {
        let matcher = |pattern: &str| {
            jsonschema::validator_for(&json!({"type": "string", "pattern": pattern})).unwrap()
        };
        let (text, non_blank) = (matcher(TEXT_PATTERN), matcher(NON_BLANK_TEXT_PATTERN));
        for c in (0..0x3_0000).filter_map(char::from_u32) {
            let alone = json!(c.to_string());
            let control = has_control_characters(&c.to_string());
            assert_eq!(text.is_valid(&alone), !control, "{c:?}");
            assert_eq!(
                non_blank.is_valid(&alone),
                !control && !c.to_string().trim().is_empty(),
                "{c:?}"
            );
        }
    }
}
