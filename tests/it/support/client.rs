//! A browser-like client: its own cookie jar, no automatic redirects, and the CSRF token
//! of the last page it fetched added to the forms it posts. It sends what Chromium sends
//! (compression it accepts, fetch metadata, `Origin` on posts) and decodes what comes back,
//! so a response that only our own client could read fails here as it would in a browser.

use std::sync::{Arc, Mutex};

use reqwest::{
    Method, RequestBuilder, StatusCode, Url,
    cookie::{CookieStore as _, Jar},
    header::{HeaderMap, HeaderName, HeaderValue},
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

/// What Chromium accepts; reqwest decodes each of them.
pub const BROWSER_ACCEPT_ENCODING: &str = "gzip, deflate, br, zstd";

/// The headers Chromium sends on a same-origin navigation or form post, apart from the
/// cookie; with `fetch_metadata`, also `Sec-Fetch-*` and, on everything but GET and HEAD,
/// `Origin`, as browsers do.
fn browser_headers(method: &Method, origin: &str, fetch_metadata: bool) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: &str| {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_str(value).expect("a valid header value"),
        );
    };
    set(
        "accept",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    );
    set("accept-encoding", BROWSER_ACCEPT_ENCODING);
    set("accept-language", "en-GB,en;q=0.9");
    set(
        "user-agent",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36",
    );
    set("upgrade-insecure-requests", "1");
    if fetch_metadata {
        set("sec-fetch-site", "same-origin");
        set("sec-fetch-mode", "navigate");
        set("sec-fetch-dest", "document");
        set("sec-fetch-user", "?1");
        if !matches!(*method, Method::GET | Method::HEAD) {
            set("origin", origin);
        }
    }
    headers
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

    /// A request as the browser would send it, to adjust (body) before `send`.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.request_with_headers(method, path, &[])
    }

    /// A request with `headers` in place of the browser's own of those names. A test
    /// playing another client (an old browser, a cross-site form) that names any fetch
    /// metadata or `Origin` gets none of the browser's: it sends exactly what it names.
    pub fn request_with_headers(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
    ) -> RequestBuilder {
        let origin = self.base_url.origin().ascii_serialization();
        let plays_another_client = headers.iter().any(|(name, _)| {
            let name = name.to_ascii_lowercase();
            name == "origin" || name.starts_with("sec-fetch-")
        });
        let mut sent = browser_headers(&method, &origin, !plays_another_client);
        for (name, value) in headers {
            sent.insert(
                HeaderName::from_bytes(name.as_bytes()).expect("a valid header name"),
                HeaderValue::from_str(value).expect("a valid header value"),
            );
        }
        self.http.request(method, self.url(path)).headers(sent)
    }

    /// Sends the request and reads the whole response, remembering its CSRF token.
    pub async fn send(&self, request: RequestBuilder) -> TestResponse {
        self.try_send(request).await.expect("the server answers")
    }

    /// [`send`](Self::send), with the transport's error for a test to judge.
    pub async fn try_send(&self, request: RequestBuilder) -> reqwest::Result<TestResponse> {
        let response = TestResponse::try_read(request.send().await?).await?;
        *self.csrf_token.lock().unwrap() = response.csrf_token();
        Ok(response)
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
        let request = self.request_with_headers(Method::POST, path, headers);
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

    /// The CSV upload as its form sends it: the file as multipart, the CSRF token in the
    /// query string. A request, for a test that judges the transport itself.
    pub async fn upload_request(&self, name: &str, bytes: Vec<u8>) -> RequestBuilder {
        let token = self.csrf_token().await;
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
        );
        self.request(Method::POST, &format!("/imports/upload?csrf_token={token}"))
            .multipart(form)
    }

    /// Uploads a CSV file as the import page's form does.
    pub async fn upload(&self, name: &str, bytes: Vec<u8>) -> TestResponse {
        let request = self.upload_request(name, bytes).await;
        self.send(request).await
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

    /// Puts a cookie (`name=value`) in the jar, as a forger would.
    pub fn set_cookie(&self, pair: &str) {
        self.jar
            .add_cookie_str(&format!("{pair}; Path=/"), &self.base_url);
    }

    /// Puts a session cookie in the jar, as an attacker replaying a stolen one would.
    pub fn set_session_cookie(&self, value: &str) {
        self.jar
            .add_cookie_str(&format!("{SESSION_COOKIE}={value}; Path=/"), &self.base_url);
    }
}
