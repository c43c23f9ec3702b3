//! Emptying a form once what it sent was saved: a form that keeps its values after a success
//! invites sending the same thing twice, and reads as if nothing happened. Search and filter
//! forms keep theirs (they describe what is shown).

use leptos::html::Form;
use leptos::prelude::*;

/// Resets `form` to its initial values each time `succeeded` turns true (in the browser only).
pub fn clear_after_success(form: NodeRef<Form>, succeeded: impl Fn() -> bool + 'static) {
    Effect::new(move || {
        if succeeded() {
            if let Some(form) = form.get_untracked() {
                form.reset();
            }
        }
    });
}
