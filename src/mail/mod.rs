//! Email. Messages are written to the outbox (`outbox::enqueue`) in the same transaction as
//! what caused them; a sender delivers them over SMTP, or to `.eml` files without SMTP.

pub mod outbox;
