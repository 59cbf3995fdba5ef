//! The OpenAPI document against the server: every response of a tour of the API (success
//! and errors) is checked against what the document says for its operation and status,
//! with a JSON Schema validator, and every documented operation must be visited. Then a
//! client that knows only the document and a token finds a rep's due touches and
//! completes one.

use std::collections::BTreeSet;

use prospector::interactions::Channel;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::support::{
    TestApp,
    api::{ApiClient, ApiResponse},
    org::{self, RITA, SAM},
};

/// The document, and which operations and statuses a test has seen.
struct Contract {
    doc: Value,
    seen: BTreeSet<(String, String, String)>,
}

/// `~` and `/` escaped for a JSON pointer.
fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

impl Contract {
    async fn fetch(app: &TestApp) -> Contract {
        let response = app.api(None).get("/api/openapi.json").await;
        assert_eq!(response.status, StatusCode::OK);
        let doc = response.body;
        assert_eq!(doc["openapi"], "3.1.0");
        Contract {
            doc,
            seen: BTreeSet::new(),
        }
    }

    /// The documented path template that `path` (without its query) matches.
    fn template(&self, path: &str) -> String {
        let path = path.split('?').next().unwrap();
        let segments: Vec<&str> = path.split('/').collect();
        self.doc["paths"]
            .as_object()
            .unwrap()
            .keys()
            .find(|template| {
                let parts: Vec<&str> = template.split('/').collect();
                parts.len() == segments.len()
                    && parts
                        .iter()
                        .zip(&segments)
                        .all(|(t, s)| (t.starts_with('{') && !s.is_empty()) || t == s)
            })
            .unwrap_or_else(|| panic!("{path} is not in the document"))
            .clone()
    }

    fn validate(&self, pointer: &str, instance: &Value, what: &str) {
        let errors = self.errors(pointer, instance);
        assert!(
            errors.is_empty(),
            "{what} does not match {pointer}:\n{}\n{}",
            errors.join("\n"),
            serde_json::to_string_pretty(instance).unwrap()
        );
    }

    /// What the schema at `pointer` finds wrong with `instance`.
    fn errors(&self, pointer: &str, instance: &Value) -> Vec<String> {
        let mut schema = self.doc.clone();
        schema
            .as_object_mut()
            .unwrap()
            // A URI fragment: the braces of path templates are percent-encoded.
            .insert(
                "$ref".into(),
                Value::String(pointer.replace('{', "%7B").replace('}', "%7D")),
            );
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&schema)
            .unwrap_or_else(|e| panic!("the schema at {pointer} does not compile: {e}"));
        validator
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    }

    /// The pointer to an operation's JSON request body schema.
    fn request_pointer(&self, method: &Method, path: &str) -> String {
        let template = self.template(path);
        let method = method.as_str().to_lowercase();
        let pointer = format!(
            "#/paths/{}/{method}/requestBody/content/application~1json/schema",
            escape(&template)
        );
        assert!(
            self.doc.pointer(&pointer[1..]).is_some(),
            "{method} {template} documents no JSON request body"
        );
        pointer
    }

    /// Checks a request body against the operation's documented request body.
    fn check_request(&self, method: &Method, path: &str, body: &Value) {
        let pointer = self.request_pointer(method, path);
        self.validate(
            &pointer,
            body,
            &format!("the request body of {method} {path}"),
        );
    }

    /// Checks a response against its operation and status in the document.
    fn check(&mut self, response: &ApiResponse) {
        let template = self.template(&response.path);
        let method = response.method.as_str().to_lowercase();
        let operation = &self.doc["paths"][&template][&method];
        assert!(
            operation.is_object(),
            "{method} {template} is not documented"
        );
        let status = response.status.as_u16().to_string();
        let documented = &operation["responses"][&status];
        assert!(
            documented.is_object(),
            "{method} {template} answered {status}, which the document does not list: {:?}",
            response.body
        );
        let content_type = response
            .content_type()
            .split(';')
            .next()
            .unwrap()
            .trim()
            .to_string();
        match documented["content"].as_object() {
            None => assert!(
                response.body.is_null(),
                "{method} {template} {status} documents no body but sent {:?}",
                response.body
            ),
            Some(content) => {
                assert!(
                    content.contains_key(&content_type),
                    "{method} {template} {status} sent {content_type}; documented: {:?}",
                    content.keys().collect::<Vec<_>>()
                );
                let pointer = format!(
                    "#/paths/{}/{method}/responses/{status}/content/{}/schema",
                    escape(&template),
                    escape(&content_type)
                );
                self.validate(
                    &pointer,
                    &response.body,
                    &format!("{method} {} {status}", response.path),
                );
            }
        }
        self.seen.insert((template, method, status));
    }

    async fn get(&mut self, api: &ApiClient, path: &str) -> ApiResponse {
        let response = api.get(path).await;
        self.check(&response);
        response
    }

    async fn call(
        &mut self,
        api: &ApiClient,
        method: Method,
        path: &str,
        body: Value,
    ) -> ApiResponse {
        self.check_request(&method, path, &body);
        let response = api.call(method, path, &body).await;
        self.check(&response);
        response
    }

    /// Sends a body the document forbids (checking that it does), and checks the answer.
    async fn call_forbidden(
        &mut self,
        api: &ApiClient,
        method: Method,
        path: &str,
        body: Value,
    ) -> ApiResponse {
        let pointer = self.request_pointer(&method, path);
        assert!(
            !self.errors(&pointer, &body).is_empty(),
            "the document allows {method} {path} {body}"
        );
        let response = api.call(method, path, &body).await;
        self.check(&response);
        response
    }

    /// Every documented operation was answered with a success at least once.
    fn assert_every_operation_visited(&self) {
        let mut missing = Vec::new();
        for (path, item) in self.doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                let succeeded = self
                    .seen
                    .iter()
                    .any(|(p, m, s)| p == path && m == method && s.starts_with('2'));
                if !succeeded {
                    missing.push(format!("{method} {path}"));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "operations never exercised: {missing:?}"
        );
    }
}

#[sqlx::test]
async fn every_response_matches_the_openapi_document(pool: PgPool) {
    let org = org::org(pool).await;
    let app = &org.app;
    let cadence = org
        .outbound_cadence(&[(Channel::Call, 0), (Channel::Email, 2)])
        .await;
    let rita = app.api_as(RITA).await;
    let sam = app.api_as(SAM).await;
    let mut c = Contract::fetch(app).await;

    c.get(&rita, "/api/v1/me").await;
    let created = c
        .call(
            &rita,
            Method::POST,
            "/api/v1/prospects",
            json!({
                "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.org",
                "account_name": "Engines", "tags": ["vip"], "qualifying": {"need": "Numbers"}
            }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let prospect = created.body["id"].as_i64().unwrap();
    c.call_forbidden(
        &rita,
        Method::POST,
        "/api/v1/prospects",
        json!({"first_name": "", "email": "x"}),
    )
    .await;
    c.get(&rita, "/api/v1/prospects?limit=1&sort=touched").await;
    c.get(&rita, "/api/v1/prospects?q=ada&interest=new").await;
    c.get(&rita, &format!("/api/v1/prospects/{prospect}")).await;
    c.get(&sam, &format!("/api/v1/prospects/{prospect}")).await;
    c.call(
        &rita,
        Method::PATCH,
        &format!("/api/v1/prospects/{prospect}"),
        json!({"phone": "+44 20 7946 0000"}),
    )
    .await;
    c.call_forbidden(
        &rita,
        Method::PATCH,
        &format!("/api/v1/prospects/{prospect}"),
        json!({"phone": "call me"}),
    )
    .await;

    let account = c
        .call(
            &rita,
            Method::POST,
            "/api/v1/accounts",
            json!({"name": "Acme", "employee_count": 250}),
        )
        .await;
    let account = account.body["id"].as_i64().unwrap();
    c.get(&rita, "/api/v1/accounts?q=ac").await;
    c.get(&rita, &format!("/api/v1/accounts/{account}")).await;
    c.call(
        &rita,
        Method::PUT,
        &format!("/api/v1/accounts/{account}"),
        json!({"name": "Acme Corp", "domain": "acme.com"}),
    )
    .await;
    c.call_forbidden(
        &rita,
        Method::PUT,
        &format!("/api/v1/accounts/{account}"),
        json!({"name": ""}),
    )
    .await;

    c.get(&rita, "/api/v1/cadences").await;
    c.get(&rita, &format!("/api/v1/cadences/{cadence}")).await;
    c.get(&rita, "/api/v1/cadences/999999").await;
    let enrolled = c
        .call(
            &rita,
            Method::POST,
            &format!("/api/v1/prospects/{prospect}/enrollment"),
            json!({"cadence_id": cadence}),
        )
        .await;
    assert_eq!(enrolled.status, StatusCode::CREATED);
    c.call(
        &rita,
        Method::POST,
        &format!("/api/v1/prospects/{prospect}/enrollment"),
        json!({}),
    )
    .await;

    let due = c
        .get(&rita, "/api/v1/touches?until=2100-01-01T00:00:00Z&limit=10")
        .await;
    let touch = due.body["data"][0]["id"].as_i64().unwrap();
    c.call(
        &rita,
        Method::POST,
        &format!("/api/v1/touches/{touch}/snooze"),
        json!({"until": "2000-01-01"}),
    )
    .await;
    c.call(
        &rita,
        Method::POST,
        &format!("/api/v1/touches/{touch}/complete"),
        json!({
            "channel": "call", "outcome": "connected", "decision": "current", "stage": "meeting",
            "value": 5000, "notes": "Keen"
        }),
    )
    .await;
    c.call(
        &rita,
        Method::POST,
        &format!("/api/v1/touches/{touch}/complete"),
        json!({"channel": "call", "outcome": "connected"}),
    )
    .await;
    c.call(
        &rita,
        Method::POST,
        &format!("/api/v1/touches/{touch}/skip"),
        json!({"reason": "Done already"}),
    )
    .await;
    let next = c
        .get(&rita, "/api/v1/touches?until=2100-01-01T00:00:00Z")
        .await;
    let second = next.body["data"][0]["id"].as_i64().unwrap();
    c.call(
        &rita,
        Method::POST,
        &format!("/api/v1/touches/{second}/snooze"),
        json!({"until": "2099-01-01"}),
    )
    .await;
    sqlx::query("update touches set status = 'pending', snoozed_until = null where id = $1")
        .bind(second)
        .execute(&app.db)
        .await
        .unwrap();
    c.call(
        &rita,
        Method::POST,
        &format!("/api/v1/touches/{second}/skip"),
        json!({"reason": "Out of office"}),
    )
    .await;
    c.call(
        &sam,
        Method::POST,
        &format!("/api/v1/touches/{second}/skip"),
        json!({"reason": "Not mine"}),
    )
    .await;

    c.get(
        &rita,
        &format!("/api/v1/prospects/{prospect}/interactions?limit=1"),
    )
    .await;
    c.call(&rita, Method::POST, &format!("/api/v1/prospects/{prospect}/interactions"), json!({
        "channel": "email", "outcome": "replied", "decision": "none", "no_interest_reason": "Chose a rival",
        "do_not_contact": true
    }))
    .await;
    c.call(
        &rita,
        Method::POST,
        &format!("/api/v1/prospects/{prospect}/enrollment"),
        json!({}),
    )
    .await;
    // A body the schema itself refuses (no such channel) is refused with field errors.
    let fax = rita
        .post(
            &format!("/api/v1/prospects/{prospect}/interactions"),
            &json!({"channel": "fax"}),
        )
        .await;
    assert_eq!(fax.status, StatusCode::UNPROCESSABLE_ENTITY);
    c.check(&fax);

    let opportunities = c.get(&rita, "/api/v1/opportunities?stage=meeting").await;
    let opportunity = opportunities.body["data"][0]["id"].as_i64().unwrap();
    c.get(&rita, &format!("/api/v1/opportunities/{opportunity}"))
        .await;
    c.call_forbidden(
        &rita,
        Method::POST,
        &format!("/api/v1/opportunities/{opportunity}/stage"),
        json!({"stage": "lost"}),
    )
    .await;
    c.call(
        &rita,
        Method::POST,
        &format!("/api/v1/opportunities/{opportunity}/stage"),
        json!({
            "stage": "lost", "lost_reason": "Budget cut", "revisit_on": "2099-06-01"
        }),
    )
    .await;
    c.get(&rita, "/api/v1/opportunities?limit=1").await;

    // Errors any operation can answer, in the documented shape.
    c.get(&app.api(None), "/api/v1/prospects").await;
    c.get(&rita, "/api/v1/prospects?limit=0").await;
    c.get(&rita, "/api/v1/prospects?interest=warm").await;
    let big = rita
        .call(
            Method::POST,
            "/api/v1/accounts",
            &json!({"name": "x".repeat(70 * 1024)}),
        )
        .await;
    c.check(&big);
    let text = rita
        .send(
            Method::POST,
            "/api/v1/accounts",
            rita.request(Method::POST, "/api/v1/accounts")
                .body("name=x"),
        )
        .await;
    c.check(&text);

    c.assert_every_operation_visited();
}

/// A client that knows nothing but the document: it finds the operations by id, the server
/// in `servers`, the enum values in the schemas, and authenticates with a token.
#[sqlx::test]
async fn a_client_using_only_the_document_completes_a_due_touch(pool: PgPool) {
    let org = org::org(pool).await;
    let app = &org.app;
    let cadence = org
        .outbound_cadence(&[(Channel::Call, 0), (Channel::Email, 1)])
        .await;
    let prospect = app.create_prospect(org.rita, "Ada", "Lovelace", None).await;
    let rita_api = app.api_as(RITA).await;
    rita_api
        .post(
            &format!("/api/v1/prospects/{prospect}/enrollment"),
            &json!({"cadence_id": cadence}),
        )
        .await;
    let token = app.token_for(RITA).await;
    // Backdate the touch so that it is due whatever the hour.
    sqlx::query("update touches set due_at = now() - interval '1 hour'")
        .execute(&app.db)
        .await
        .unwrap();

    let http = reqwest::Client::new();
    let doc: Value = http
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let server = doc["servers"][0]["url"].as_str().unwrap().to_string();
    let operation = |id: &str| -> (String, String) {
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                if op["operationId"] == id {
                    return (method.to_uppercase(), path.clone());
                }
            }
        }
        panic!("no operation {id}");
    };
    let first_enum = |schema: &str| {
        doc["components"]["schemas"][schema]["enum"][0]
            .as_str()
            .unwrap()
            .to_string()
    };

    let (method, path) = operation("listDueTouches");
    let due: Value = http
        .request(method.parse().unwrap(), format!("{server}{path}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let touch = due["data"][0]["id"].as_i64().expect("a due touch");

    let (method, path) = operation("completeTouch");
    let body = json!({"channel": first_enum("Channel"), "outcome": first_enum("Outcome")});
    let response = http
        .request(
            method.parse().unwrap(),
            format!("{server}{}", path.replace("{id}", &touch.to_string())),
        )
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let status: String = sqlx::query_scalar("select status::text from touches where id = $1")
        .bind(touch)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(status, "done");
}

/// Defect: the document referred to `ProspectSort` and defined nothing by that name, and
/// left out the limits the server enforces. Every reference now resolves, every list
/// states its page sizes, and every request body says that unknown fields are refused.
#[sqlx::test]
async fn the_document_defines_everything_it_references_and_states_the_limits(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let c = Contract::fetch(&app).await;
    assert_eq!(
        prospector::api::contract::dangling_refs(&c.doc),
        Vec::<String>::new()
    );
    assert_eq!(
        c.doc["components"]["schemas"]["ProspectSort"]["enum"],
        json!(["newest", "name", "touched"])
    );

    let mut lists = 0;
    for (path, item) in c.doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let parameters = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for parameter in parameters.iter().filter(|p| p["name"] == "limit") {
                assert_eq!(parameter["schema"]["minimum"], 1, "{method} {path}");
                assert_eq!(parameter["schema"]["maximum"], 200, "{method} {path}");
                lists += 1;
            }
            if let Some(schema) =
                operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str()
            {
                let name = schema.rsplit('/').next().unwrap();
                assert_eq!(
                    c.doc["components"]["schemas"][name]["additionalProperties"], false,
                    "{method} {path}: {name} must say that unknown fields are refused"
                );
            }
        }
    }
    assert_eq!(lists, 5, "every list has a limit");
    assert!(
        c.doc["paths"]["/api/v1/touches"]["get"]["responses"]["404"].is_object(),
        "an owner_id out of sight is a 404, which the document must list"
    );
}

/// Defect: bodies the document forbids were accepted (`[null, null]` as a prospect's
/// changes or as `qualifying`). Each body here is first shown to be forbidden by the
/// document, then must be refused with 422 and a problem naming the field, writing
/// nothing.
#[sqlx::test]
async fn the_server_refuses_every_body_the_document_forbids(pool: PgPool) {
    let org = org::org(pool).await;
    let app = &org.app;
    let rita = app.api_as(RITA).await;
    let mut c = Contract::fetch(app).await;
    let prospect = app.create_prospect(org.rita, "Ada", "Lovelace", None).await;
    let current = rita
        .post(
            &format!("/api/v1/prospects/{prospect}/interactions"),
            &json!({"channel": "call", "outcome": "connected", "decision": "current"}),
        )
        .await;
    assert_eq!(current.status, StatusCode::CREATED, "{:?}", current.body);
    let opportunity = current.body["opportunity_id"].as_i64().unwrap();
    let interactions = app.count("interactions").await;
    let prospects = app.count("prospects").await;
    let accounts = app.count("accounts").await;

    let many_tags: Vec<String> = (0..21).map(|i| format!("tag{i}")).collect();
    let forbidden: Vec<(Method, String, Value, &str)> = vec![
        (
            Method::PATCH,
            format!("/api/v1/prospects/{prospect}"),
            json!([null, null]),
            "body",
        ),
        (
            Method::POST,
            "/api/v1/prospects".into(),
            json!({"first_name": "Ada", "qualifying": [null, null]}),
            "qualifying",
        ),
        (
            Method::POST,
            format!("/api/v1/prospects/{prospect}/interactions"),
            json!({"channel": "call", "outcome": "replied", "qualifying": [null, null]}),
            "qualifying",
        ),
        (
            Method::POST,
            "/api/v1/prospects".into(),
            json!({"first_name": " \t "}),
            "first_name",
        ),
        (
            Method::POST,
            "/api/v1/prospects".into(),
            json!({"first_name": "Ada", "nickname": "Countess"}),
            "nickname",
        ),
        (
            Method::POST,
            "/api/v1/prospects".into(),
            json!({"first_name": "A\u{0}da"}),
            "first_name",
        ),
        (
            Method::POST,
            "/api/v1/prospects".into(),
            json!({"first_name": "Ada", "tags": many_tags}),
            "tags",
        ),
        (
            Method::POST,
            "/api/v1/prospects".into(),
            json!({"first_name": "Ada", "tags": ["one,two"]}),
            "tags[0]",
        ),
        (
            Method::POST,
            "/api/v1/accounts".into(),
            json!({"name": "Acme", "employee_count": -1}),
            "employee_count",
        ),
        (
            Method::POST,
            format!("/api/v1/prospects/{prospect}/interactions"),
            json!({"channel": "call", "outcome": "replied", "decision": "none"}),
            "no_interest_reason",
        ),
        (
            Method::POST,
            format!("/api/v1/prospects/{prospect}/interactions"),
            json!({"channel": "call", "outcome": "not_interested", "decision": "current"}),
            "decision",
        ),
        (
            Method::POST,
            format!("/api/v1/prospects/{prospect}/interactions"),
            json!({"channel": "call", "outcome": "connected", "decision": "future",
                   "re_engage_on": "2100-01-01"}),
            "re_engage_on",
        ),
        (
            Method::POST,
            format!("/api/v1/prospects/{prospect}/enrollment"),
            json!({"cadence_id": 9_223_372_036_854_775_808u64}),
            "cadence_id",
        ),
        (
            Method::POST,
            format!("/api/v1/opportunities/{opportunity}/stage"),
            json!({"stage": "won", "revisit_on": "2099-01-01"}),
            "revisit_on",
        ),
        (
            Method::POST,
            "/api/v1/touches/1/skip".into(),
            json!({"reason": "  "}),
            "reason",
        ),
        (
            Method::POST,
            "/api/v1/touches/1/snooze".into(),
            json!({}),
            "until",
        ),
    ];
    for (method, path, body, field) in forbidden {
        let pointer = c.request_pointer(&method, &path);
        assert!(
            !c.errors(&pointer, &body).is_empty(),
            "the document allows {method} {path} {body}"
        );
        let response = rita.call(method.clone(), &path, &body).await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{method} {path} {body}: {:?}",
            response.body
        );
        assert!(
            response.error_fields().iter().any(|f| f == field),
            "{method} {path} {body}: {field} not named in {:?}",
            response.body
        );
        c.check(&response);
    }
    assert_eq!(app.count("interactions").await, interactions);
    assert_eq!(app.count("prospects").await, prospects);
    assert_eq!(app.count("accounts").await, accounts);
}

/// Defect: requests the document allows were refused (`limit` past what it said, values
/// the forms' parsers did not take). Requests at the document's bounds are accepted.
#[sqlx::test]
async fn requests_the_document_allows_at_its_bounds_are_accepted(pool: PgPool) {
    let org = org::org(pool).await;
    let app = &org.app;
    let rita = app.api_as(RITA).await;
    let mut c = Contract::fetch(app).await;
    let prospect = app.create_prospect(org.rita, "Ada", "Lovelace", None).await;

    for list in [
        "/api/v1/prospects".to_string(),
        "/api/v1/accounts".into(),
        "/api/v1/opportunities".into(),
        "/api/v1/touches".into(),
        format!("/api/v1/prospects/{prospect}/interactions"),
    ] {
        for limit in [1, 200] {
            let page = c.get(&rita, &format!("{list}?limit={limit}")).await;
            assert_eq!(page.status, StatusCode::OK, "{list}?limit={limit}");
        }
    }

    // The longest texts, the most tags (one that lower-casing lengthens), no email.
    let tags: Vec<String> = (0..19)
        .map(|i| format!("{i:0>40}"))
        .chain(["İ".repeat(40)])
        .collect();
    let created = c
        .call(
            &rita,
            Method::POST,
            "/api/v1/prospects",
            json!({
                "first_name": "A".repeat(100), "title": "T".repeat(150), "email": "",
                "tags": tags, "qualifying": {"need": "n".repeat(2000)},
                "linkedin_url": "https://www.linkedin.com/in/ada", "phone": "+44 (20) 7946-0000 x1"
            }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["tags"].as_array().unwrap().len(), 20);

    // A whole number written with a fraction is an integer to JSON Schema, so here too.
    let account = c
        .call(
            &rita,
            Method::POST,
            "/api/v1/accounts",
            json!({"name": "Acme", "employee_count": 250.0, "domain": "https://www.acme.co.uk/about"}),
        )
        .await;
    assert_eq!(account.status, StatusCode::CREATED, "{:?}", account.body);
    assert_eq!(account.body["employee_count"], 250);
    assert_eq!(account.body["domain"], "acme.co.uk");
    let largest = c
        .call(
            &rita,
            Method::POST,
            "/api/v1/accounts",
            json!({"name": "Big", "employee_count": 2_147_483_647}),
        )
        .await;
    assert_eq!(largest.status, StatusCode::CREATED, "{:?}", largest.body);

    // Any value from 0 up to the maximum, rounded to the cent.
    let logged = c
        .call(
            &rita,
            Method::POST,
            &format!("/api/v1/prospects/{prospect}/interactions"),
            json!({"channel": "call", "outcome": "connected", "decision": "current", "value": 12.3456}),
        )
        .await;
    assert_eq!(logged.status, StatusCode::CREATED, "{:?}", logged.body);
    let opportunity = logged.body["opportunity_id"].as_i64().unwrap();
    let read = c
        .get(&rita, &format!("/api/v1/opportunities/{opportunity}"))
        .await;
    assert_eq!(read.body["value_cents"], 1235);

    // A due list of someone out of sight is the documented 404.
    let hidden = c
        .get(&rita, &format!("/api/v1/touches?owner_id={}", org.sam))
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
}
