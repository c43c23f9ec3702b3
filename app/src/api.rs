//! Server functions, by feature, with the view types they return.

pub mod admin;
pub mod cohorts;
pub mod evaluation;
pub mod feed;
pub mod label_sets;
pub mod memberships;
pub mod models;
pub mod projects;
pub mod questions;
pub mod queue;
pub mod review;
pub mod rules;
pub mod search;
pub mod session;
pub mod tokens;
pub mod training;
pub mod users;
