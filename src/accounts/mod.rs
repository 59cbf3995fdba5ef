//! Accounts: the companies prospects work at, with the segment they belong to
//! (industry, size, territory). Visible to whoever may see the account owner's data.
//!
//! This is the accounts' data and the validation of their fields, which saving a
//! prospect, imports and the API build on; the account pages, which list an account's
//! prospects, sit above prospects in `account_pages`.

pub mod db;
pub mod form;
