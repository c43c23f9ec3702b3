//! Sign-in throttling per network address: one address that keeps failing (a password-spraying
//! script trying many names) is slowed down, whatever names it tries. Kept in memory: a restart
//! forgets it, which costs an attacker nothing they did not have, and the per-name lockout in the
//! database still holds.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Failed sign-ins allowed from one address within `WINDOW_SECONDS`.
pub const MAX_FAILURES: usize = 20;
/// The window over which failures count.
pub const WINDOW_SECONDS: i64 = 10 * 60;

/// Recent failures by address.
#[derive(Debug, Default)]
pub struct AddressThrottle {
    failures: Mutex<HashMap<String, VecDeque<i64>>>,
}

impl AddressThrottle {
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns how many seconds `address` must wait before trying again, if it must.
    pub fn retry_after(&self, address: &str, now: i64) -> Option<i64> {
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let recent = failures.get_mut(address)?;
        forget_old(recent, now);
        if recent.len() < MAX_FAILURES {
            return None;
        }
        recent.front().map(|oldest| oldest + WINDOW_SECONDS - now)
    }

    /// Counts one failed sign-in from `address`.
    pub fn record_failure(&self, address: &str, now: i64) {
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Bounded memory: addresses whose failures have all aged out are dropped as we go.
        failures.retain(|_, times| times.back().is_some_and(|last| now - last < WINDOW_SECONDS));
        let recent = failures.entry(address.to_string()).or_default();
        forget_old(recent, now);
        recent.push_back(now);
    }
}

fn forget_old(times: &mut VecDeque<i64>, now: i64) {
    while times
        .front()
        .is_some_and(|time| now - time >= WINDOW_SECONDS)
    {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_slowed_after_many_failures_and_released_later() {
        let throttle = AddressThrottle::new();
        for second in 0..MAX_FAILURES as i64 {
            assert_eq!(throttle.retry_after("10.0.0.1", second), None);
            throttle.record_failure("10.0.0.1", second);
        }
        assert_eq!(
            throttle.retry_after("10.0.0.1", 100),
            Some(WINDOW_SECONDS - 100)
        );
        assert_eq!(
            throttle.retry_after("10.0.0.2", 100),
            None,
            "other addresses are not affected"
        );
        assert_eq!(throttle.retry_after("10.0.0.1", WINDOW_SECONDS + 1), None);
    }
}
