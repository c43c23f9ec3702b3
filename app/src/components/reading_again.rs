//! The notice shown above soft labels while the project's reports are read again with new cue
//! lists or section headers: what it means, its progress (asked again every two seconds), and
//! once it is done, a way to see the new labels.

use leptos::prelude::*;

use crate::api::questions::reading_again;

/// How often the notice asks how far the reading has come.
const REFRESH_MS: u64 = 2000;

/// `after_save`: the page was just shown again after the fellow saved the text settings, so a
/// reading already finished is reported as done.
#[component]
pub fn ReadingAgain(project: i64, #[prop(optional)] after_save: bool) -> impl IntoView {
    let tick = RwSignal::new(0u64);
    // Whether this page has seen a reading under way (so it can say when it is done).
    let seen = RwSignal::new(after_save);
    let state = Resource::new(move || tick.get(), move |_| reading_again(project));
    Effect::new(move |_| {
        let handle = set_interval_with_handle(
            move || {
                let busy = state
                    .get_untracked()
                    .and_then(Result::ok)
                    .flatten()
                    .is_some();
                if busy || tick.get_untracked() == 0 {
                    tick.update(|t| *t += 1);
                }
            },
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
            {move || state.get().and_then(Result::ok).map(|now| match now {
                Some(message) => {
                    seen.set(true);
                    view! { <p class="notice" aria-live="polite" data-testid="reading-again">{message}</p> }.into_any()
                }
                None if seen.get_untracked() => view! {
                    <p class="notice" aria-live="polite" data-testid="reading-again">
                        "Every report was read again with the new cue lists and section headers. "
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
