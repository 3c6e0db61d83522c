//! Running a few jobs side by side on scoped threads, for the stages that
//! split a large configuration (the lexer, jail assembly) and for the
//! crates above (lint's workers, apply's jobs).

use std::sync::{Mutex, PoisonError};

/// Runs `jobs` side by side: the first on the calling thread, each other
/// on a thread of its own. A job the system refuses a thread for (a
/// process or pids limit) runs on the calling thread afterwards, so the
/// results are always all there, in job order. A job's panic is resumed
/// on the calling thread.
pub fn side_by_side<T: Send, F: FnOnce() -> T + Send>(jobs: Vec<F>) -> Vec<T> {
    // Each job in a slot its thread takes it from: a refused thread's job
    // is still there to take.
    let slots: Vec<Mutex<Option<F>>> = jobs.into_iter().map(|job| Mutex::new(Some(job))).collect();
    let run = |slot: &Mutex<Option<F>>| {
        let job = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
        job.map(|job| job())
    };
    std::thread::scope(|scope| {
        let helpers: Vec<_> = (slots.iter().skip(1))
            .map(|slot| std::thread::Builder::new().spawn_scoped(scope, || run(slot)))
            .collect();
        let mut results = Vec::with_capacity(slots.len());
        results.extend(slots.first().and_then(run));
        for (slot, helper) in slots.iter().skip(1).zip(helpers) {
            let result = match helper.map(|spawned| spawned.join()) {
                Ok(Ok(result)) => result,
                Ok(Err(panic)) => std::panic::resume_unwind(panic),
                Err(_) => run(slot),
            };
            results.extend(result);
        }
        results
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_job_order() {
        let jobs: Vec<_> = (0..5).map(|i| move || i * 10).collect();
        assert_eq!(side_by_side(jobs), [0, 10, 20, 30, 40]);
        assert!(side_by_side(Vec::<fn() -> u8>::new()).is_empty());
    }

    #[test]
    fn a_panic_reaches_the_caller() {
        let jobs: Vec<_> = (0..3)
            .map(|i| move || assert!(i != 2, "job {i} fails"))
            .collect();
        let caught = std::panic::catch_unwind(|| side_by_side(jobs));
        assert!(caught.is_err());
    }
}
