//! Who is asking, and what they may see.
//!
//! `CurrentUser` is the signed-in user, loaded (and checked still active) on every request;
//! `Scope` is what that user may see, and every query on prospect data takes one.

pub mod csrf;
pub mod device;
pub mod password;
pub mod recovery;
pub mod role;
pub mod scope;
pub mod secret;
pub mod session;
pub mod throttle;

pub use role::Role;
pub use scope::Scope;
pub use session::CurrentUser;
