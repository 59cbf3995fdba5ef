//! Random secrets handed to people once and kept only as a hash: one-time links, API
//! tokens, calendar feed URLs.
//!
//! Each secret carries 256 random bits, so a plain SHA-256 is the right hash (a slow
//! password hash buys nothing against a value nobody can guess). Secrets are looked up by
//! their hash through a unique index: the lookup compares hashes, never the secret, so its
//! timing tells an attacker nothing about any stored secret.

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// A new secret: `prefix` (which says what the secret is for, as in `pt_`) followed by 43
/// URL-safe characters.
pub fn generate(prefix: &str) -> String {
    let random =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    format!("{prefix}{random}")
}

/// What is stored in place of the secret.
pub fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_hash_to_32_bytes() {
        let (a, b) = (generate("pt_"), generate("pt_"));
        assert_ne!(a, b);
        assert!(a.starts_with("pt_") && a.len() == 3 + 43, "{a}");
        assert!(
            a[3..]
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_eq!(hash(&a).len(), 32);
        assert_eq!(hash(&a), hash(&a));
    }
}
