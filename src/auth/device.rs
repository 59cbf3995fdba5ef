//! Device cookies (OWASP's "slow down online guessing attacks with device cookies"): a
//! browser that has signed in to an account carries a signed cookie naming that account
//! and a random nonce. Its failed sign-ins are counted against that browser alone, so that
//! an attacker guessing from elsewhere can hold every other browser out of the account but
//! never the real user's own (`throttle` does the counting).

use axum::http::{HeaderMap, HeaderValue, header};
use tower_sessions::cookie::{Cookie, CookieJar, Key, SameSite, time::Duration};

/// How long a browser stays known to an account after its last sign-in there.
const LIFETIME: Duration = Duration::days(180);

/// A browser's proof that it has signed in to `user_id` before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub user_id: i64,
    /// 128 random bits, hex: what the failures of this browser are counted under.
    pub nonce: String,
}

fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-prospector_device"
    } else {
        "prospector_device"
    }
}

/// The device cookie the request carries, if it has one that our key signed.
pub fn read(headers: &HeaderMap, key: &Key, secure: bool) -> Option<Device> {
    let mut jar = CookieJar::new();
    for value in headers.get_all(header::COOKIE) {
        let Ok(value) = value.to_str() else { continue };
        for cookie in Cookie::split_parse(value.to_owned()).flatten() {
            jar.add_original(cookie);
        }
    }
    let cookie = jar.signed(key).get(cookie_name(secure))?;
    let (user_id, nonce) = cookie.value().split_once(':')?;
    Some(Device {
        user_id: user_id.parse().ok()?,
        nonce: nonce.to_owned(),
    })
}

/// A new device cookie for a browser that has just signed in to `user_id`, as the value
/// of a `Set-Cookie` header.
pub fn issue(user_id: i64, key: &Key, secure: bool) -> HeaderValue {
    let nonce = format!("{:032x}", rand::random::<u128>());
    let mut jar = CookieJar::new();
    let cookie = Cookie::build((cookie_name(secure), format!("{user_id}:{nonce}")))
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .max_age(LIFETIME)
        .build();
    jar.signed_mut(key).add(cookie);
    let signed = jar
        .delta()
        .next()
        .expect("the cookie just added")
        .to_string();
    HeaderValue::from_str(&signed).expect("a cookie is a valid header value")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_cookie_reads_back_only_under_its_key() {
        let key = Key::generate();
        let set = issue(42, &key, false);
        let pair = set.to_str().unwrap().split(';').next().unwrap().to_owned();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("other=1; {pair}")).unwrap(),
        );
        let device = read(&headers, &key, false).expect("our own cookie");
        assert_eq!(device.user_id, 42);
        assert_eq!(device.nonce.len(), 32);
        assert_eq!(read(&headers, &Key::generate(), false), None, "another key");
        assert_eq!(read(&headers, &key, true), None, "another name over https");
        let forged = pair.replace("42:", "43:");
        headers.insert(header::COOKIE, HeaderValue::from_str(&forged).unwrap());
        assert_eq!(read(&headers, &key, false), None, "a changed value");
    }
}
