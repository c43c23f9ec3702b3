//! One module per page, named after its route.

pub mod adjudicate;
pub mod admin;
pub mod admin_project;
pub mod audit;
pub mod evaluation;
pub mod import;
pub mod label;
pub mod label_sets;
pub mod models;
pub mod not_found;
pub mod project;
pub mod projects;
pub mod questions;
pub mod report;
pub mod review;
pub mod rules;
pub mod search;
pub mod sign_in;
pub mod tokens;
pub mod training;

/// Returns a reader of a whole-number parameter of the current route (`:id`, `:report`), `None`
/// when it is not a number (such an address names nothing).
pub fn route_number(name: &'static str) -> impl Fn() -> Option<i64> + Copy + Send + Sync + 'static {
    let params = leptos_router::hooks::use_params_map();
    move || {
        use leptos::prelude::Read;
        params
            .read()
            .get(name)
            .and_then(|value| value.parse::<i64>().ok())
    }
}
