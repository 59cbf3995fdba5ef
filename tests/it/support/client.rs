//! A browser-like client: its own cookie jar, no automatic redirects, and the CSRF token
//! of the last page it fetched added to the forms it posts.

use std::sync::{Arc, Mutex};

use reqwest::{
    Method, RequestBuilder, StatusCode, Url,
    cookie::{CookieStore as _, Jar},
    redirect,
};

use super::TestResponse;

/// The session cookie's name when the app is served over plain http.
pub const SESSION_COOKIE: &str = "prospector_session";

/// A signed cookie's value is a 44-character base64 HMAC followed by the session id
/// (the `cookie` crate's format), and the store keys its rows by that id.
pub fn session_id(cookie_value: &str) -> &str {
    cookie_value.get(44..).expect("a signed session cookie")
}

pub struct TestClient {
    http: reqwest::Client,
    jar: Arc<Jar>,
    base_url: Url,
    /// The CSRF token on the last page fetched, if it had one.
    csrf_token: Mutex<Option<String>>,
}

impl TestClient {
    pub(super) fn new(base_url: Url) -> TestClient {
        let jar = Arc::new(Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(redirect::Policy::none())
            .build()
            .expect("build the HTTP client");
        TestClient {
            http,
            jar,
            base_url,
            csrf_token: Mutex::new(None),
        }
    }

    fn url(&self, path: &str) -> Url {
        self.base_url.join(path).expect("a valid path")
    }

    /// A request to adjust (headers, body) before `send`.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, self.url(path))
    }

    /// Sends the request and reads the whole response, remembering its CSRF token.
    pub async fn send(&self, request: RequestBuilder) -> TestResponse {
        let response = TestResponse::read(request.send().await.expect("the server answers")).await;
        *self.csrf_token.lock().unwrap() = response.csrf_token();
        response
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.send(self.request(Method::GET, path)).await
    }

    pub async fn get_html(&self, path: &str) -> (StatusCode, scraper::Html) {
        let response = self.get(path).await;
        (response.status, response.html())
    }

    /// The token for the next form: the last page's, or one from a page that has it
    /// (the sign-in page, or the prospect list when signed in).
    pub async fn csrf_token(&self) -> String {
        if let Some(token) = self.csrf_token.lock().unwrap().clone() {
            return token;
        }
        if let Some(token) = self.get("/login").await.csrf_token() {
            return token;
        }
        self.get("/prospects")
            .await
            .csrf_token()
            .expect("the prospect list carries a CSRF token")
    }

    /// Posts a form as a browser would, with the session's CSRF token unless the fields
    /// already carry one (as fields read from a page's form do).
    pub async fn post_form<K: AsRef<str>, V: AsRef<str>>(
        &self,
        path: &str,
        fields: &[(K, V)],
    ) -> TestResponse {
        self.post_form_with_headers(path, fields, &[]).await
    }

    pub async fn post_form_with_headers<K: AsRef<str>, V: AsRef<str>>(
        &self,
        path: &str,
        fields: &[(K, V)],
        headers: &[(&str, &str)],
    ) -> TestResponse {
        let mut form: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_ref(), v.as_ref()))
            .collect();
        let token;
        if !form.iter().any(|(k, _)| *k == "csrf_token") {
            token = self.csrf_token().await;
            form.push(("csrf_token", &token));
        }
        let request = headers
            .iter()
            .fold(self.request(Method::POST, path), |r, (k, v)| {
                r.header(*k, *v)
            });
        self.send(request.form(&form)).await
    }

    /// Posts the fields exactly as given: no CSRF token is added.
    pub async fn post_form_without_token(
        &self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> TestResponse {
        self.send(self.request(Method::POST, path).form(fields))
            .await
    }

    pub async fn login(&self, email: &str, password: &str) -> TestResponse {
        self.post_form("/login", &[("email", email), ("password", password)])
            .await
    }

    pub async fn logout(&self) -> TestResponse {
        self.post_form::<&str, &str>("/logout", &[]).await
    }

    /// The session cookie's value as the jar holds it.
    pub fn session_cookie(&self) -> Option<String> {
        let header = self.jar.cookies(&self.base_url)?;
        header.to_str().ok()?.split("; ").find_map(|pair| {
            pair.strip_prefix(SESSION_COOKIE)?
                .strip_prefix('=')
                .map(str::to_owned)
        })
    }

    /// Puts a session cookie in the jar, as an attacker replaying a stolen one would.
    pub fn set_session_cookie(&self, value: &str) {
        self.jar
            .add_cookie_str(&format!("{SESSION_COOKIE}={value}; Path=/"), &self.base_url);
    }
}
