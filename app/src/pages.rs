//! One module per page, named after its route.

pub mod admin;
pub mod admin_project;
pub mod audit;
pub mod import;
pub mod not_found;
pub mod project;
pub mod projects;
pub mod report;
pub mod search;
pub mod sign_in;
pub mod tokens;
