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

/// Entry point of the browser side: attaches the interactive app to the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
