//! Configuration, read once from the environment at start-up.
//!
//! A missing or malformed setting stops the program with a message that names it,
//! rather than surfacing later as a confusing runtime error.

use std::{net::SocketAddr, path::PathBuf};

use base64::Engine as _;
use lettre::{AsyncSmtpTransport, Tokio1Executor, message::Mailbox};
use url::Url;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Clone)]
pub struct Config {
    pub environment: Environment,
    pub database_url: String,
    pub addr: SocketAddr,
    pub base_url: Url,
    /// 64 bytes that sign the session cookie.
    pub cookie_key: Vec<u8>,
    /// Where mail goes: an SMTP server, or else `.eml` files in `mail_dir`.
    pub smtp_url: Option<SmtpUrl>,
    /// The `From` of every email.
    pub mail_from: Mailbox,
    /// Where mail is written when there is no SMTP server.
    pub mail_dir: PathBuf,
}

/// An SMTP server in the URL syntax of lettre's `AsyncSmtpTransport::from_url`:
/// `smtp://host:port` (plain, for a local catcher), `smtp://user:pass@host:587?tls=required`
/// (STARTTLS) or `smtps://user:pass@host:465` (TLS from the first byte). Checked at start-up;
/// shown with its password hidden.
#[derive(Clone)]
pub struct SmtpUrl(String);

impl SmtpUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let url = Url::parse(raw).map_err(|err| format!("is not a URL ({err})"))?;
        if !matches!(url.scheme(), "smtp" | "smtps") {
            return Err(format!(
                "must start with smtp:// or smtps://, not {}://",
                url.scheme()
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err("names no host".into());
        }
        if !url.username().is_empty() && url.password().is_none() {
            return Err("has a user name but no password (smtp://user:password@host)".into());
        }
        // The very parser the transport will use, so that what passes here also connects.
        AsyncSmtpTransport::<Tokio1Executor>::from_url(raw).map_err(|err| err.to_string())?;
        Ok(SmtpUrl(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&redact_password(&self.0))
    }
}

impl std::fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SmtpUrl({self})")
    }
}

/// The sender when `PROSPECTOR_MAIL_FROM` is not set.
pub const DEFAULT_MAIL_FROM: &str = "Prospector <prospector@localhost>";
/// The directory mail is written to when `SMTP_URL` is not set.
pub const DEFAULT_MAIL_DIR: &str = "mail-out";

#[derive(Debug, thiserror::Error)]
#[error("configuration error: {name} {problem}")]
pub struct ConfigError {
    pub name: &'static str,
    pub problem: String,
}

fn problem(name: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        name,
        problem: problem.into(),
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("environment", &self.environment)
            .field("database_url", &redact_password(&self.database_url))
            .field("addr", &self.addr)
            .field("base_url", &self.base_url.as_str())
            .field("smtp_url", &self.smtp_url)
            .field("mail_from", &self.mail_from.to_string())
            .field("mail_dir", &self.mail_dir)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Reads `.env` in development (never in production), then the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        let environment = match std::env::var("PROSPECTOR_ENV").as_deref() {
            Ok("production") => Environment::Production,
            Ok("development") | Err(std::env::VarError::NotPresent) => Environment::Development,
            Ok(other) => {
                return Err(problem(
                    "PROSPECTOR_ENV",
                    format!("must be `development` or `production`, not `{other}`"),
                ));
            }
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(problem("PROSPECTOR_ENV", "is not valid UTF-8"));
            }
        };
        if environment == Environment::Development {
            // A missing .env file is fine: the variables may come from the shell.
            let _ = dotenvy::dotenv();
        }
        Self::from_lookup(environment, |name| std::env::var(name).ok())
    }

    /// Builds the configuration from any source of variables, so tests need not touch the process environment.
    pub fn from_lookup(
        environment: Environment,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let database_url = lookup("DATABASE_URL")
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| {
                problem(
                    "DATABASE_URL",
                    "is not set: point it at PostgreSQL, e.g. postgres://postgres@127.0.0.1:5432/prospector",
                )
            })?;
        match Url::parse(&database_url) {
            Ok(url) if matches!(url.scheme(), "postgres" | "postgresql") => {}
            _ => {
                return Err(problem(
                    "DATABASE_URL",
                    "must be a postgres:// URL, e.g. postgres://postgres@127.0.0.1:5432/prospector",
                ));
            }
        }

        let addr = match lookup("PROSPECTOR_ADDR") {
            None => SocketAddr::from(([127, 0, 0, 1], 3000)),
            Some(raw) => raw.parse().map_err(|_| {
                problem(
                    "PROSPECTOR_ADDR",
                    format!("must be an address and port such as 127.0.0.1:3000, not `{raw}`"),
                )
            })?,
        };

        let base_url = match lookup("PROSPECTOR_BASE_URL") {
            None => {
                let host = if addr.ip().is_unspecified() {
                    "localhost".to_string()
                } else {
                    addr.ip().to_string()
                };
                Url::parse(&format!("http://{host}:{}/", addr.port())).expect("valid URL")
            }
            Some(raw) => match Url::parse(&raw) {
                Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => url,
                _ => {
                    return Err(problem(
                        "PROSPECTOR_BASE_URL",
                        format!(
                            "must be an http(s) URL such as https://prospector.example.com, not `{raw}`"
                        ),
                    ));
                }
            },
        };

        let cookie_key = match lookup("PROSPECTOR_COOKIE_KEY") {
            Some(raw) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(raw.split_whitespace().collect::<String>())
                    .map_err(|_| problem("PROSPECTOR_COOKIE_KEY", "must be base64"))?;
                if bytes.len() < 64 {
                    return Err(problem(
                        "PROSPECTOR_COOKIE_KEY",
                        "must decode to at least 64 bytes (generate one with `openssl rand -base64 64`)",
                    ));
                }
                bytes
            }
            None if environment == Environment::Development => {
                let key: [u8; 64] = rand::random();
                tracing::warn!(
                    "PROSPECTOR_COOKIE_KEY is not set; using a generated key for this run only \
                     (sessions end on restart). Set PROSPECTOR_COOKIE_KEY={} to keep them.",
                    base64::engine::general_purpose::STANDARD.encode(key)
                );
                key.to_vec()
            }
            None => {
                return Err(problem(
                    "PROSPECTOR_COOKIE_KEY",
                    "is required in production (generate one with `openssl rand -base64 64`)",
                ));
            }
        };

        let smtp_url = match lookup("SMTP_URL").filter(|v| !v.trim().is_empty()) {
            None => None,
            Some(raw) => Some(SmtpUrl::parse(raw.trim()).map_err(|why| {
                problem(
                    "SMTP_URL",
                    format!(
                        "{why}; expected e.g. smtp://127.0.0.1:1025, \
                         smtp://user:password@smtp.example.com:587?tls=required or \
                         smtps://user:password@smtp.example.com:465"
                    ),
                )
            })?),
        };

        let mail_from = match lookup("PROSPECTOR_MAIL_FROM").filter(|v| !v.trim().is_empty()) {
            None => DEFAULT_MAIL_FROM
                .parse()
                .expect("the default sender parses"),
            Some(raw) => raw.trim().parse().map_err(|err| {
                problem(
                    "PROSPECTOR_MAIL_FROM",
                    format!(
                        "must be an address such as \"Prospector <prospector@example.com>\", \
                         not `{raw}` ({err})"
                    ),
                )
            })?,
        };

        let mail_dir = lookup("PROSPECTOR_MAIL_DIR")
            .filter(|v| !v.trim().is_empty())
            .map_or_else(|| PathBuf::from(DEFAULT_MAIL_DIR), PathBuf::from);

        Ok(Config {
            environment,
            database_url,
            addr,
            base_url,
            cookie_key,
            smtp_url,
            mail_from,
            mail_dir,
        })
    }

    /// Cookies are Secure and `__Host-` prefixed exactly when the app is served over https.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.scheme() == "https"
    }
}

/// The database URL with any password replaced, fit for logs and error messages.
pub fn redact_password(database_url: &str) -> String {
    match Url::parse(database_url) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        Ok(url) => url.to_string(),
        Err(_) => "<unparseable URL>".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn missing_database_url_is_named() {
        let err = Config::from_lookup(Environment::Development, lookup(&[])).unwrap_err();
        assert_eq!(err.name, "DATABASE_URL");
    }

    #[test]
    fn malformed_addr_is_named() {
        let err = Config::from_lookup(
            Environment::Development,
            lookup(&[
                ("DATABASE_URL", "postgres://x/y"),
                ("PROSPECTOR_ADDR", "nope"),
            ]),
        )
        .unwrap_err();
        assert_eq!(err.name, "PROSPECTOR_ADDR");
    }

    #[test]
    fn production_requires_a_cookie_key() {
        let err = Config::from_lookup(
            Environment::Production,
            lookup(&[("DATABASE_URL", "postgres://x/y")]),
        )
        .unwrap_err();
        assert_eq!(err.name, "PROSPECTOR_COOKIE_KEY");
    }

    #[test]
    fn short_cookie_key_is_refused() {
        let err = Config::from_lookup(
            Environment::Production,
            lookup(&[
                ("DATABASE_URL", "postgres://x/y"),
                ("PROSPECTOR_COOKIE_KEY", "c2hvcnQ="),
            ]),
        )
        .unwrap_err();
        assert_eq!(err.name, "PROSPECTOR_COOKIE_KEY");
    }

    #[test]
    fn smtp_urls_in_the_transport_syntax_are_accepted() {
        for url in [
            "smtp://127.0.0.1:1025",
            "smtp://user:p%40ss@smtp.example.com:587?tls=required",
            "smtps://user:pass@smtp.example.com",
        ] {
            let config = Config::from_lookup(
                Environment::Development,
                lookup(&[("DATABASE_URL", "postgres://x/y"), ("SMTP_URL", url)]),
            )
            .unwrap_or_else(|err| panic!("{url}: {err}"));
            assert_eq!(config.smtp_url.unwrap().as_str(), url);
        }
    }

    #[test]
    fn malformed_smtp_url_is_named() {
        for url in [
            "mail.example.com:25",
            "http://mail.example.com",
            "smtp://mail.example.com?tls=sometimes",
            "smtp://user@mail.example.com",
        ] {
            let err = Config::from_lookup(
                Environment::Development,
                lookup(&[("DATABASE_URL", "postgres://x/y"), ("SMTP_URL", url)]),
            )
            .unwrap_err();
            assert_eq!(err.name, "SMTP_URL", "{url}");
        }
    }

    #[test]
    fn malformed_mail_from_is_named() {
        let err = Config::from_lookup(
            Environment::Development,
            lookup(&[
                ("DATABASE_URL", "postgres://x/y"),
                ("PROSPECTOR_MAIL_FROM", "Prospector"),
            ]),
        )
        .unwrap_err();
        assert_eq!(err.name, "PROSPECTOR_MAIL_FROM");
    }

    #[test]
    fn the_smtp_password_is_never_shown() {
        let config = Config::from_lookup(
            Environment::Development,
            lookup(&[
                ("DATABASE_URL", "postgres://x/y"),
                (
                    "SMTP_URL",
                    "smtp://user:hunter2@smtp.example.com:587?tls=required",
                ),
            ]),
        )
        .unwrap();
        let url = config.smtp_url.as_ref().unwrap();
        assert!(!url.to_string().contains("hunter2"), "{url}");
        assert!(!format!("{config:?}").contains("hunter2"));
    }

    #[test]
    fn defaults_and_https_detection() {
        let config = Config::from_lookup(
            Environment::Development,
            lookup(&[("DATABASE_URL", "postgres://u:secret@h/db")]),
        )
        .unwrap();
        assert_eq!(config.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(config.base_url.as_str(), "http://127.0.0.1:3000/");
        assert!(!config.secure_cookies());
        assert!(!format!("{config:?}").contains("secret"));
        assert!(config.smtp_url.is_none());
        assert_eq!(config.mail_from.to_string(), DEFAULT_MAIL_FROM);
        assert_eq!(config.mail_dir, PathBuf::from(DEFAULT_MAIL_DIR));
    }
}
