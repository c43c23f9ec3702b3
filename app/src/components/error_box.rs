//! How a page shows an error from the server.

use leptos::prelude::*;

use crate::error::AppError;

/// Shows an error as an alert, with a way out where there is one.
#[component]
pub fn ErrorBox(error: AppError) -> impl IntoView {
    let way_out = match &error {
        AppError::NotSignedIn => Some(view! { <a href="/login">"Sign in"</a> }.into_any()),
        AppError::Forbidden(_) | AppError::NotFound(_) => {
            Some(view! { <a href="/">"Back to your projects"</a> }.into_any())
        }
        _ => None,
    };
    view! {
        <div class="alert" role="alert">
            <p>{error.to_string()}</p>
            {way_out}
        </div>
    }
}
