#![recursion_limit = "256"]
//! Sieve's user interface: pages and components rendered on the server and hydrated in the browser,
//! and the server functions they call. Server functions stay thin: they authorise the session,
//! call `sieve-core` and map its errors; no rule of the domain lives here.

pub mod api;
pub mod app;
pub mod components;
pub mod error;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;

pub use app::{shell, App};

/// Fails with `NotFound` for the named kind of thing (a malformed id names nothing).
pub fn not_found<T>(what: &str) -> Result<T, error::AppError> {
    Err(error::AppError::NotFound(what.to_string()))
}

/// Entry point of the browser side: attaches the interactive app to the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
    // Lets browser tests (and curious people) tell a hydrated page from server-rendered HTML.
    let _ = leptos::prelude::document()
        .document_element()
        .map(|root| root.set_attribute("data-hydrated", ""));
}
