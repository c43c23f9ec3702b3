//! Keyboard shortcuts available on every signed-in page, and the panel that lists them.

use leptos::ev;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

/// The shortcuts, as shown in the help panel.
const SHORTCUTS: &[(&str, &str)] = &[
    ("?", "Show or hide this list"),
    ("g then p", "Go to your projects"),
    ("g then t", "Go to your API tokens"),
    ("g then a", "Go to administration (admins)"),
    ("1–9", "Queue: choose a label"),
    ("Enter", "Queue: confirm the chosen label"),
    ("Backspace or u", "Queue: take back the last answer"),
    ("s", "Queue: skip the study"),
    ("Esc", "Close this list"),
];

/// Listens for the shortcuts (ignoring keys typed into fields) and shows the help panel on `?`.
#[component]
pub fn KeyboardShortcuts() -> impl IntoView {
    let open = RwSignal::new(false);
    let pending_g = StoredValue::new(false);
    let navigate = use_navigate();
    let handle = window_event_listener(ev::keydown, move |event| {
        if typing_in_a_field(&event) || event.ctrl_key() || event.meta_key() || event.alt_key() {
            return;
        }
        let key = event.key();
        let after_g = pending_g.get_value();
        pending_g.set_value(key == "g");
        match key.as_str() {
            "?" => open.update(|open| *open = !*open),
            "Escape" => open.set(false),
            "p" if after_g => navigate("/", Default::default()),
            "t" if after_g => navigate("/tokens", Default::default()),
            "a" if after_g => navigate("/admin", Default::default()),
            _ => {}
        }
    });
    on_cleanup(move || handle.remove());

    view! {
        <Show when=move || open.get()>
            <div class="dialog-backdrop" on:click=move |_| open.set(false)>
                <section class="dialog" role="dialog" aria-modal="true" aria-labelledby="shortcuts-title">
                    <h2 id="shortcuts-title">"Keyboard shortcuts"</h2>
                    <dl class="shortcuts">
                        {SHORTCUTS
                            .iter()
                            .map(|(keys, what)| view! { <dt><kbd>{*keys}</kbd></dt><dd>{*what}</dd> })
                            .collect_view()}
                    </dl>
                </section>
            </div>
        </Show>
    }
}

pub fn typing_in_a_field(event: &ev::KeyboardEvent) -> bool {
    let Some(target) = event.target() else {
        return false;
    };
    let element = leptos::wasm_bindgen::JsCast::unchecked_into::<leptos::web_sys::Element>(target);
    matches!(element.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
}
