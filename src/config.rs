//! Configuration, read once from the environment at start-up.
//!
//! A missing or malformed setting stops the program with a message that names it,
//! rather than surfacing later as a confusing runtime error.

use std::net::SocketAddr;

use base64::Engine as _;
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
}

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

        Ok(Config {
            environment,
            database_url,
            addr,
            base_url,
            cookie_key,
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
    }
}
