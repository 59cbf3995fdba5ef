//! Email. Messages are written to the outbox (`outbox::enqueue`) in the same transaction as
//! what caused them; the sender, part of each scheduler pass, delivers them through a
//! `transport::Mailer`: SMTP when `SMTP_URL` is set, else `.eml` files in a directory.

pub mod outbox;
pub mod sender;
pub mod transport;

pub use sender::{DeliveryReport, Sender};
pub use transport::{Mailer, SenderIdentity};
