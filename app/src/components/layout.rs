//! The frame of every signed-in page: the top bar with navigation and the account menu.

use leptos::prelude::*;
use leptos_router::components::{Outlet, A};

use crate::api::session::{me, SignOut};
use crate::components::keyboard::KeyboardShortcuts;

/// Top bar, page content and keyboard shortcuts.
#[component]
pub fn Layout() -> impl IntoView {
    let user = OnceResource::new(me());
    let sign_out = ServerAction::<SignOut>::new();
    let account = move || {
        Suspend::new(async move {
            user.await.ok().map(|user| {
                let admin_link = user
                    .is_admin
                    .then(|| view! { <A href="/admin">"Administration"</A> });
                view! {
                    <nav class="main-nav" aria-label="Main">
                        <A href="/" exact=true>"Projects"</A>
                        <A href="/tokens">"API tokens"</A>
                        {admin_link}
                    </nav>
                    <div class="account">
                        <span class="user-name" title="Signed in">{user.name}</span>
                        <ActionForm action=sign_out>
                            <button type="submit" class="button-quiet">"Sign out"</button>
                        </ActionForm>
                    </div>
                }
            })
        })
    };
    view! {
        <header class="topbar">
            <a class="brand" href="/">"Sieve"</a>
            <Suspense fallback=|| ()>{account}</Suspense>
        </header>
        <main class="page">
            <Outlet />
        </main>
        <footer class="footer">
            "Patient data stays on this site. Press " <kbd>"?"</kbd> " for keyboard shortcuts."
        </footer>
        <KeyboardShortcuts />
    }
}
