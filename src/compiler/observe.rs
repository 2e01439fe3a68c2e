//! What a caller sees of a run while it goes ([`Observer`]: each stage as it starts,
//! for a progress display) and after ([`Timings`]: how long each stage took, for
//! `--timings`). The stages themselves know nothing of either: the compiler times the
//! calls it makes.

use std::time::{Duration, Instant};

/// Told of each stage of a run as it starts. Runs may be observed from several threads
/// at once (`flowc plan` compiles both revisions side by side).
pub trait Observer: Sync {
    /// The stage `name` starts.
    fn stage(&self, name: &'static str);
}

/// An observer that ignores everything: for runs nobody watches.
#[derive(Clone, Copy, Debug, Default)]
pub struct Unobserved;

impl Observer for Unobserved {
    fn stage(&self, _name: &'static str) {}
}

/// How long each stage of a run took, in the order they ran.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Timings {
    /// Each stage's name and wall time; a stage that ran twice is listed twice.
    pub stages: Vec<(&'static str, Duration)>,
}

impl Timings {
    /// Runs `work` as stage `name`: tells `observer`, then records its wall time.
    pub fn time<T>(&mut self, observer: &dyn Observer, name: &'static str, work: impl FnOnce() -> T) -> T {
        observer.stage(name);
        let started = Instant::now();
        let result = work();
        self.stages.push((name, started.elapsed()));
        result
    }

    /// Records a stage timed elsewhere.
    pub fn push(&mut self, name: &'static str, took: Duration) {
        self.stages.push((name, took));
    }

    /// The sum of every stage's time.
    pub fn total(&self) -> Duration {
        self.stages.iter().map(|(_, took)| *took).sum()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    struct Seen(Mutex<Vec<&'static str>>);

    impl Observer for Seen {
        fn stage(&self, name: &'static str) {
            self.0.lock().expect("not poisoned").push(name);
        }
    }

    #[test]
    fn each_stage_is_announced_then_timed_in_order() {
        let seen = Seen(Mutex::new(Vec::new()));
        let mut timings = Timings::default();
        let value = timings.time(&seen, "load", || 1);
        timings.time(&seen, "sql", || std::thread::sleep(Duration::from_millis(5)));
        timings.push("output", Duration::from_millis(2));
        assert_eq!(value, 1);
        assert_eq!(*seen.0.lock().expect("not poisoned"), ["load", "sql"]);
        let names: Vec<&str> = timings.stages.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, ["load", "sql", "output"]);
        assert!(timings.stages[1].1 >= Duration::from_millis(5));
        assert!(timings.total() >= Duration::from_millis(7));
    }
}
