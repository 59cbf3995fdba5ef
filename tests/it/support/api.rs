//! Calling the JSON API as an integration would: a bearer token, JSON in and out, no
//! cookies.

use reqwest::{Method, StatusCode, header::HeaderMap};
use serde_json::Value;

use super::TestApp;

pub struct ApiResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub method: Method,
    pub path: String,
}

impl ApiResponse {
    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The `errors[].field` of a problem document.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

pub struct ApiClient {
    http: reqwest::Client,
    base: reqwest::Url,
    token: Option<String>,
}

impl TestApp {
    /// A live API token for the user with this email.
    pub async fn token_for(&self, email: &str) -> String {
        let user_id: i64 = sqlx::query_scalar("select id from users where email = $1")
            .bind(email)
            .fetch_one(&self.db)
            .await
            .expect("the user exists");
        let mut conn = self.db.acquire().await.expect("a connection");
        prospector::tokens::db::issue(&mut conn, user_id, "tests")
            .await
            .expect("issue a token")
            .token
    }

    /// An API client sending `token` (or none).
    pub fn api(&self, token: Option<&str>) -> ApiClient {
        ApiClient {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("an HTTP client"),
            base: self.url("/"),
            token: token.map(str::to_owned),
        }
    }

    /// An API client with a fresh token for `email`.
    pub async fn api_as(&self, email: &str) -> ApiClient {
        let token = self.token_for(email).await;
        self.api(Some(&token))
    }
}

impl ApiClient {
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let request = self
            .http
            .request(method, self.base.join(path).expect("a valid path"));
        match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        request: reqwest::RequestBuilder,
    ) -> ApiResponse {
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        ApiResponse {
            status,
            headers,
            body,
            method,
            path: path.to_owned(),
        }
    }

    pub async fn get(&self, path: &str) -> ApiResponse {
        self.send(Method::GET, path, self.request(Method::GET, path))
            .await
    }

    pub async fn call(&self, method: Method, path: &str, body: &Value) -> ApiResponse {
        let request = self.request(method.clone(), path).json(body);
        self.send(method, path, request).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> ApiResponse {
        self.call(Method::POST, path, body).await
    }
}
