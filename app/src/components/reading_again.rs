//! The notice shown above soft labels while the project's reports are read again with new cue
//! lists or section headers: what it means and its progress; and once the labels the page shows
//! came from an earlier reading (read again since the page was opened, in this tab or another),
//! a way to see the new ones. It asks every two seconds, and stays in view while the page scrolls
//! (the counts below it are those it speaks of).

use leptos::prelude::*;

use crate::api::questions::reading_again;

/// How often the notice asks how the reports are read.
const REFRESH_MS: u64 = 2000;

/// `shown`: the fingerprint of the reading the page's labels were computed from (`None`: the page
/// shows no labels).
#[component]
pub fn ReadingAgain(project: i64, #[prop(into)] shown: Signal<Option<String>>) -> impl IntoView {
    let tick = RwSignal::new(0u64);
    let state = Resource::new(move || tick.get(), move |_| reading_again(project));
    Effect::new(move |_| {
        let handle = set_interval_with_handle(
            move || tick.update(|t| *t += 1),
            std::time::Duration::from_millis(REFRESH_MS),
        );
        on_cleanup(move || {
            if let Ok(handle) = handle {
                handle.clear();
            }
        });
    });
    view! {
        <Transition fallback=|| ()>
            {move || state.get().and_then(Result::ok).map(|now| match now.under_way {
                Some(message) => view! {
                    <p class="notice reading-again" aria-live="polite" data-testid="reading-again">{message}</p>
                }.into_any(),
                None if shown.with(Option::is_some) && now.statuses != shown.get() => view! {
                    <p class="notice reading-again" aria-live="polite" data-testid="reading-again">
                        "The reports were read again with new cue lists or section headers since these soft labels were shown. "
                        <a href="" on:click=|ev: leptos::ev::MouseEvent| {
                            ev.prevent_default();
                            let _ = window().location().reload();
                        }>"Show the new soft labels"</a>
                    </p>
                }.into_any(),
                None => ().into_any(),
            })}
        </Transition>
    }
}
