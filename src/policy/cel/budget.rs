//! The step budget of one rule on one document: a per-thread counter that document lists,
//! `in` searches and vetlint's functions draw on, so a hostile document cannot make a rule
//! run for hours. When it runs out, iteration stops early and the caller discards the result.

use std::cell::Cell;

thread_local! {
    /// Steps left; `None` when no budget is running (tests, rule examples at load time).
    static LEFT: Cell<Option<u64>> = const { Cell::new(None) };
    /// Whether the running budget has been exceeded.
    static EXCEEDED: Cell<bool> = const { Cell::new(false) };
}

/// Starts a budget of `steps` on this thread; the guard ends it when dropped.
pub fn start(steps: u64) -> Guard {
    LEFT.set(Some(steps));
    EXCEEDED.set(false);
    Guard(())
}

/// Ends the running budget when dropped.
#[must_use]
pub struct Guard(());

impl Guard {
    /// Whether the budget ran out since it started.
    pub fn exceeded(&self) -> bool {
        EXCEEDED.get()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        LEFT.set(None);
        EXCEEDED.set(false);
    }
}

/// The budget's state, to be put back with [`restore`].
#[derive(Debug, Clone, Copy)]
pub struct Snapshot(Option<u64>, bool);

/// The budget's state now.
pub fn snapshot() -> Snapshot {
    Snapshot(LEFT.get(), EXCEEDED.get())
}

/// Puts back a state taken by [`snapshot`] (an expression the fast evaluator gave up on is
/// evaluated again from the same budget).
pub fn restore(snapshot: Snapshot) {
    LEFT.set(snapshot.0);
    EXCEEDED.set(snapshot.1);
}

/// Steps left of the running budget (`None` when none is running).
pub fn left() -> Option<u64> {
    LEFT.get()
}

/// Whether the running budget is exhausted.
pub fn exhausted() -> bool {
    EXCEEDED.get()
}

/// Spends `n` steps; `false` once the budget is exhausted (and from then on).
pub fn spend(n: u64) -> bool {
    match LEFT.get() {
        None => true,
        Some(left) if left >= n && !EXCEEDED.get() => {
            LEFT.set(Some(left - n));
            true
        }
        Some(_) => {
            EXCEEDED.set(true);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spending_stops_at_the_limit_and_the_guard_resets() {
        assert!(spend(u64::MAX), "no budget running: unlimited");
        {
            let guard = start(10);
            assert!(spend(6));
            assert!(spend(4));
            assert!(!guard.exceeded());
            assert!(!spend(1));
            assert!(guard.exceeded());
            assert!(!spend(0), "stays exhausted");
        }
        assert!(spend(1_000));
    }
}
