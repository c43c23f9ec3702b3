//! Sieve's domain: everything that is true of users, projects, reports and the audit log,
//! whatever the front end. Nothing here knows about HTTP or HTML.

pub mod access;
pub mod agreement;
pub mod audit;
pub mod auth;
pub mod cohorts;
pub mod corpus;
pub mod db;
pub mod demo;
pub mod error;
pub mod evaluation;
pub mod feed;
pub mod import;
pub mod label_sets;
pub mod labeling;
pub mod models;
pub mod projects;
pub mod pseudonym;
pub mod questions;
pub mod queue;
pub mod reports;
pub mod search;
pub mod soft_labels;
pub mod split;
pub mod throttle;
pub mod tokens;
pub mod training;

pub use error::{Error, ErrorKind, Result};

/// Returns the current time as unix seconds, the unit every table stores.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
