//! Asking before anything that cannot be taken back (a reset password, a removed member, a
//! cancelled job): one place, so that every destructive control asks the same way.

/// Asks the user to confirm `question` in the browser's own dialog; `true` when they accept.
/// Outside the browser (server rendering) nothing is asked and the answer is `true`.
pub fn confirmed(question: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        leptos::prelude::window()
            .confirm_with_message(question)
            .unwrap_or(false)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = question;
        true
    }
}
