//! Where mail goes: an SMTP server, `.eml` files in a directory (a newcomer's first run,
//! with nothing to configure), or memory (tests). One enum rather than a trait object:
//! the three are all there will be, and the sender needs nothing else from them.
//!
//! Also how an outbox row becomes a message: multipart text + HTML, a `Message-ID`
//! derived from the idempotency key, and the headers that mark it as automatic.

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::Duration,
};

use anyhow::Context as _;
use lettre::{
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor,
    message::{
        Mailbox, MultiPart,
        header::{HeaderName, HeaderValue},
    },
    transport::smtp::{self, PoolConfig},
};
use sha2::{Digest as _, Sha256};

use super::outbox::ClaimedMail;
use crate::config::{Config, Environment, SmtpUrl};

/// How long the SMTP client waits for the server at each step of a conversation.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Connections kept open to the SMTP server: as many as a sender sends at once.
pub(super) const SMTP_CONNECTIONS: u32 = 10;

/// The mail back-end.
#[derive(Clone)]
pub enum Mailer {
    /// An SMTP server, with a small pool of connections.
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        /// The URL, password hidden, for logs.
        server: String,
    },
    /// One `<uuid>.eml` file per message in `dir`, created when the first message is.
    Files {
        transport: AsyncFileTransport<Tokio1Executor>,
        dir: PathBuf,
    },
    /// Kept in memory, for tests that look at what was sent without a server.
    Memory(Arc<Mutex<Vec<Message>>>),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Smtp { server, .. } => write!(f, "Mailer::Smtp({server})"),
            Mailer::Files { dir, .. } => write!(f, "Mailer::Files({})", dir.display()),
            Mailer::Memory(_) => f.write_str("Mailer::Memory"),
        }
    }
}

/// Why a message was not sent, and whether trying again could help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    /// The server refused the message for good (a 5xx reply), or it cannot be built (a
    /// malformed address): retrying would fail the same way.
    pub permanent: bool,
    pub message: String,
}

impl SendError {
    fn permanent(message: impl Into<String>) -> Self {
        SendError {
            permanent: true,
            message: message.into(),
        }
    }

    fn temporary(message: impl Into<String>) -> Self {
        SendError {
            permanent: false,
            message: message.into(),
        }
    }
}

impl From<smtp::Error> for SendError {
    fn from(err: smtp::Error) -> Self {
        // 4xx replies, refused connections, timeouts and TLS trouble may all pass; only a
        // 5xx reply is the server's final word on this message.
        SendError {
            permanent: err.is_permanent(),
            message: err.to_string(),
        }
    }
}

impl Mailer {
    /// The back-end the configuration asks for: SMTP when `SMTP_URL` is set, else files in
    /// `PROSPECTOR_MAIL_DIR`. Logs which, so that nobody wonders where their mail went.
    pub fn from_config(config: &Config) -> anyhow::Result<Mailer> {
        let mailer = match &config.smtp_url {
            Some(url) => Mailer::smtp(url).context("SMTP_URL")?,
            None => Mailer::files(&config.mail_dir),
        };
        match &mailer {
            Mailer::Files { .. } if config.environment == Environment::Production => {
                tracing::warn!("{}", mailer.describe());
            }
            _ => tracing::info!("{}", mailer.describe()),
        }
        Ok(mailer)
    }

    pub fn smtp(url: &SmtpUrl) -> Result<Mailer, smtp::Error> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.as_str())?
            .timeout(Some(SMTP_TIMEOUT))
            .pool_config(PoolConfig::new().max_size(SMTP_CONNECTIONS))
            .build();
        Ok(Mailer::Smtp {
            transport,
            server: url.to_string(),
        })
    }

    pub fn files(dir: impl AsRef<Path>) -> Mailer {
        let dir = dir.as_ref();
        // Absolute, so that the log says exactly where to look.
        let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned());
        Mailer::Files {
            transport: AsyncFileTransport::new(&dir),
            dir,
        }
    }

    /// A memory back-end and the list it appends every sent message to.
    pub fn memory() -> (Mailer, Arc<Mutex<Vec<Message>>>) {
        let sent = Arc::new(Mutex::new(Vec::new()));
        (Mailer::Memory(sent.clone()), sent)
    }

    /// Where mail goes, in a sentence for the log.
    pub fn describe(&self) -> String {
        match self {
            Mailer::Smtp { server, .. } => format!("mail is sent through {server}"),
            Mailer::Files { dir, .. } => format!(
                "mail is written to {} as .eml files (set SMTP_URL to send it)",
                dir.display()
            ),
            Mailer::Memory(_) => "mail is kept in memory".to_owned(),
        }
    }

    /// Sends one message; on success, what the server answered (or where the file is).
    pub async fn send(&self, message: &Message) -> Result<String, SendError> {
        match self {
            Mailer::Smtp { transport, .. } => {
                let response = transport.send(message.clone()).await?;
                let text: Vec<&str> = response.message().collect();
                Ok(format!("{} {}", response.code(), text.join(" ")))
            }
            Mailer::Files { transport, dir } => {
                // Made here rather than at start-up, so that a run that sends nothing
                // leaves no empty directory behind.
                tokio::fs::create_dir_all(dir).await.map_err(|err| {
                    SendError::temporary(format!("cannot create {}: {err}", dir.display()))
                })?;
                let id = transport
                    .send(message.clone())
                    .await
                    .map_err(|err| SendError::temporary(format!("{}: {err}", dir.display())))?;
                Ok(format!(
                    "written to {}",
                    dir.join(format!("{id}.eml")).display()
                ))
            }
            Mailer::Memory(sent) => {
                let mut sent = sent.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                sent.push(message.clone());
                Ok(format!("kept in memory as message {}", sent.len()))
            }
        }
    }
}

/// What every message shares: who sends it and the domain of its `Message-ID`s.
#[derive(Debug, Clone)]
pub struct SenderIdentity {
    pub from: Mailbox,
    pub message_id_domain: String,
}

impl SenderIdentity {
    pub fn from_config(config: &Config) -> SenderIdentity {
        SenderIdentity {
            from: config.mail_from.clone(),
            message_id_domain: config.base_url.host_str().unwrap_or("localhost").to_owned(),
        }
    }
}

/// The `Message-ID` of the message with this idempotency key at this domain: the same key
/// always gives the same id, so that a message sent twice (see the sender's note on its
/// at-least-once window) is recognisable as one by the receiving side. Hashed, because the
/// key may hold characters a `Message-ID` may not, and names no user data in headers.
pub fn message_id(idempotency_key: &str, domain: &str) -> String {
    let digest = Sha256::digest(idempotency_key.as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("<{hex}@{domain}>")
}

const AUTO_SUBMITTED: HeaderName = HeaderName::new_from_ascii_str("Auto-Submitted");
const KIND: HeaderName = HeaderName::new_from_ascii_str("X-Prospector-Kind");

/// The message for an outbox row. Built anew at each attempt from the row alone, so each
/// attempt sends the same bytes but for the MIME boundary: the `Date` is when it was
/// queued, the `Message-ID` comes from the key.
pub fn build_message(mail: &ClaimedMail, identity: &SenderIdentity) -> Result<Message, SendError> {
    let address = mail.to_address.trim().parse().map_err(|err| {
        SendError::permanent(format!(
            "invalid recipient address {:?}: {err}",
            mail.to_address
        ))
    })?;
    let name = mail.to_name.trim();
    let to = Mailbox::new((!name.is_empty()).then(|| name.to_owned()), address);
    Message::builder()
        .from(identity.from.clone())
        .to(to)
        .subject(mail.subject.clone())
        .message_id(Some(message_id(
            &mail.idempotency_key,
            &identity.message_id_domain,
        )))
        .date(mail.created_at.into())
        // RFC 3834: tells auto-responders (vacation replies) not to answer.
        .raw_header(HeaderValue::new(
            AUTO_SUBMITTED,
            "auto-generated".to_owned(),
        ))
        .raw_header(HeaderValue::new(KIND, mail.kind.clone()))
        .multipart(MultiPart::alternative_plain_html(
            mail.body_text.clone(),
            mail.body_html.clone(),
        ))
        .map_err(|err| SendError::permanent(format!("cannot build the message: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn claimed(to_address: &str) -> ClaimedMail {
        ClaimedMail {
            id: 1,
            idempotency_key: "agenda:42:2026-11-23".into(),
            kind: "agenda".into(),
            to_address: to_address.into(),
            to_name: "Rita Rep".into(),
            subject: "Your day: 3 touches".into(),
            body_text: "Good morning".into(),
            body_html: "<p>Good morning</p>".into(),
            attempts: 1,
            created_at: datetime!(2026-11-23 07:30 UTC),
            leased_until: datetime!(2026-11-23 07:35 UTC),
        }
    }

    fn identity() -> SenderIdentity {
        SenderIdentity {
            from: "Prospector <prospector@localhost>".parse().unwrap(),
            message_id_domain: "prospector.example.com".into(),
        }
    }

    #[test]
    fn the_message_id_is_derived_from_the_key() {
        let a = message_id("agenda:42:2026-11-23", "example.com");
        assert_eq!(a, message_id("agenda:42:2026-11-23", "example.com"));
        assert_ne!(a, message_id("agenda:42:2026-11-24", "example.com"));
        assert!(a.starts_with('<') && a.ends_with("@example.com>"), "{a}");
    }

    #[test]
    fn a_message_has_both_parts_and_the_automatic_headers() {
        let message = build_message(&claimed("rita@example.com"), &identity()).unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(raw.contains("To: \"Rita Rep\" <rita@example.com>"), "{raw}");
        assert!(
            raw.contains("From: Prospector <prospector@localhost>"),
            "{raw}"
        );
        assert!(raw.contains("Auto-Submitted: auto-generated"), "{raw}");
        assert!(raw.contains("X-Prospector-Kind: agenda"), "{raw}");
        assert!(
            raw.contains("Date: Mon, 23 Nov 2026 07:30:00 +0000"),
            "{raw}"
        );
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(raw.contains("text/plain"), "{raw}");
        assert!(raw.contains("text/html"), "{raw}");
        let id = message_id("agenda:42:2026-11-23", "prospector.example.com");
        assert!(raw.contains(&format!("Message-ID: {id}")), "{raw}");
    }

    #[test]
    fn a_malformed_address_fails_for_good() {
        let err = build_message(&claimed("not an address"), &identity()).unwrap_err();
        assert!(err.permanent, "{err:?}");
    }
}
