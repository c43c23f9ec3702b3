//! `/login`: the sign-in form.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::session::SignIn;

/// The sign-in form. After signing in, the browser goes to `?next=` (a local path) or to the projects.
#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_else(|| "/".to_string());
    let show_password = RwSignal::new(false);
    let error = move || action.value().get().and_then(Result::err);
    let pending = action.pending();

    view! {
        <Title text="Sign in" />
        <main class="sign-in">
            <section class="card sign-in-card" aria-labelledby="sign-in-title">
                <p class="brand brand-large">"Sieve"</p>
                <h1 id="sign-in-title">"Sign in"</h1>
                <p class="muted">"Radiology report labelling for your IRB-approved projects."</p>
                <ActionForm action>
                    <input type="hidden" name="next" value=next />
                    <div class="field">
                        <label for="name">"User name"</label>
                        <input id="name" name="name" autocomplete="username" required autofocus />
                    </div>
                    <div class="field">
                        <label for="password">"Password"</label>
                        <div class="password-field">
                            <input
                                id="password"
                                name="password"
                                type=move || if show_password.get() { "text" } else { "password" }
                                autocomplete="current-password"
                                required
                            />
                            <button
                                type="button"
                                class="button-quiet"
                                aria-pressed=move || show_password.get().to_string()
                                on:click=move |_| show_password.update(|shown| *shown = !*shown)
                            >
                                {move || if show_password.get() { "Hide password" } else { "Show password" }}
                            </button>
                        </div>
                    </div>
                    {move || error().map(|error| view! { <p class="form-error" role="alert">{error.to_string()}</p> })}
                    <button type="submit" class="button-primary" disabled=move || pending.get()>
                        {move || if pending.get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </ActionForm>
            </section>
        </main>
    }
}
