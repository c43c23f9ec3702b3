//! The page for any path that names nothing.

use leptos::prelude::*;
use leptos_meta::Title;

/// Says so, with a way back, and answers 404.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found" />
        <main class="page">
            <h1>"Page not found"</h1>
            <p>"Nothing lives at this address. " <a href="/">"Back to your projects"</a></p>
        </main>
    }
}
