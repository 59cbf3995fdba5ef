//! Password hashing with argon2id at OWASP's recommended parameters
//! (19 MiB of memory, 2 iterations, 1 lane), computed on the blocking pool.

use std::sync::LazyLock;

use anyhow::Context as _;
use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version,
    password_hash::{SaltString, rand_core::OsRng},
};

use crate::state::App;

pub const MIN_PASSWORD_LENGTH: usize = 10;

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A real hash of a random password, verified against when the email is unknown so that
/// an unknown account takes as long to refuse as a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(b"no account has this password", &salt)
        .expect("hashing a constant succeeds")
        .to_string()
});

/// Checks a new password against our policy; the message is shown next to the field.
pub fn check_policy(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_LENGTH {
        return Err(format!("Use at least {MIN_PASSWORD_LENGTH} characters."));
    }
    if password.len() > 1024 {
        return Err("Use at most 1024 characters.".into());
    }
    if let Some(problem) = crate::input::text_problem(password) {
        return Err(problem.into());
    }
    Ok(())
}

pub async fn hash_password(app: &App, password: String) -> anyhow::Result<String> {
    let _permit = app.password_hashing.acquire().await?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
    })
    .await
    .context("hashing task panicked")?
}

/// Verifies `password` against `stored`; with no stored hash the work is still done.
pub async fn verify_password(
    app: &App,
    password: String,
    stored: Option<String>,
) -> anyhow::Result<bool> {
    let _permit = app.password_hashing.acquire().await?;
    tokio::task::spawn_blocking(move || {
        let has_account = stored.is_some();
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.clone());
        let parsed = PasswordHash::new(&stored)
            .map_err(|e| anyhow::anyhow!("stored hash is malformed: {e}"))?;
        let matches = hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(has_account && matches)
    })
    .await
    .context("verification task panicked")?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_owasp_parameters() {
        let salt = SaltString::generate(&mut OsRng);
        let hash = hasher()
            .hash_password(b"a password", &salt)
            .unwrap()
            .to_string();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_policy("short").is_err());
        assert!(check_policy("long enough pass").is_ok());
    }
}
