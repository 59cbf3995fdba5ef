//! Personal API tokens: created on the profile page (or with `prospector token create`),
//! shown once, stored as a hash, revocable; sent as `Authorization: Bearer` to `/api/v1`.

pub mod db;
