//! Running a [`Plan`]: stale interfaces first (when asked), then the
//! batches in order, up to `jobs` actions of a batch at a time.
//!
//! The first failure stops new work: actions already running finish,
//! nothing new starts, and everything not started is reported as skipped.
//! Every program runs through a [`Runner`] as an argv list, never through
//! a shell.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::desired::Desired;
use crate::observe::{parse_jls, JLS_ARGV};
use crate::plan::{Action, ActionKind, Plan, StaleInterface};
use crate::record::{self, AppliedJail};
use crate::runner::Runner;

/// How to run a plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Most actions running at once (0 counts as 1).
    pub jobs: usize,
    /// Destroy the plan's stale interfaces before anything else.
    pub cleanup_stale: bool,
}

/// What one unit of work does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Work {
    /// Destroying an interface a failed start left behind.
    Cleanup {
        /// The interface (`epair60a`).
        interface: String,
    },
    /// One of the plan's actions.
    Action(ActionKind),
}

impl Work {
    /// The past participle for progress lines (`created`, `restarted`).
    pub fn done_verb(&self) -> &'static str {
        match self {
            Work::Cleanup { .. } => "cleaned up",
            Work::Action(ActionKind::Create) => "created",
            Work::Action(ActionKind::Modify) => "modified",
            Work::Action(ActionKind::Restart) => "restarted",
            Work::Action(ActionKind::Remove) => "removed",
            Work::Action(_) => "unchanged",
        }
    }

    /// The infinitive for failure lines (`create`, `restart`).
    pub fn verb(&self) -> &'static str {
        match self {
            Work::Cleanup { .. } => "clean up",
            Work::Action(ActionKind::Create) => "create",
            Work::Action(ActionKind::Modify) => "modify",
            Work::Action(ActionKind::Restart) => "restart",
            Work::Action(ActionKind::Remove) => "remove",
            Work::Action(_) => "leave",
        }
    }
}

/// A unit of work that succeeded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Done {
    /// The jail.
    pub jail: String,
    /// What was done.
    pub work: Work,
    /// How long it took.
    pub elapsed: Duration,
    /// jail(8)'s standard output, line by line (`web: created`).
    pub stdout: Vec<String>,
}

/// A unit of work that failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failed {
    /// The jail.
    pub jail: String,
    /// What was attempted.
    pub work: Work,
    /// How long it ran.
    pub elapsed: Duration,
    /// The argv that failed.
    pub command: Vec<String>,
    /// How many of the unit's commands had succeeded before it (for a
    /// restart, 1 means the jail was removed but not created again).
    pub completed_commands: usize,
    /// Exit status; `None` when killed by a signal or never started.
    pub status: Option<i32>,
    /// The program's standard output lines.
    pub stdout: Vec<String>,
    /// The program's standard error (or why it could not be started).
    pub stderr: String,
}

/// A unit of work that never started because an earlier one failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// The jail.
    pub jail: String,
    /// What would have been done.
    pub work: Work,
}

/// Everything an execution did, in plan order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// What succeeded.
    pub done: Vec<Done>,
    /// What failed (more than one when parallel actions failed together).
    pub failed: Vec<Failed>,
    /// What never started.
    pub skipped: Vec<Skipped>,
    /// Problems that did not fail the run (a record that could not be
    /// written).
    pub warnings: Vec<String>,
}

impl Report {
    /// Whether everything succeeded.
    pub fn success(&self) -> bool {
        self.failed.is_empty()
    }
}

/// How one unit of work ended, as the observer sees it.
#[derive(Clone, Copy, Debug)]
pub enum Outcome<'r> {
    /// It succeeded.
    Done(&'r Done),
    /// It failed.
    Failed(&'r Failed),
}

/// Watches an execution: progress display and bookkeeping. Called from the
/// worker threads, so implementations synchronise themselves.
pub trait Observer: Sync {
    /// How many units of work will run if nothing fails.
    fn planned(&self, _total: usize) {}

    /// A unit of work starts.
    fn started(&self, _jail: &str, _work: &Work) {}

    /// An action of the plan succeeded; called before [`Observer::finished`].
    /// An error becomes a warning of the report and does not stop the run.
    fn succeeded(&self, _action: &Action) -> Result<(), String> {
        Ok(())
    }

    /// A unit of work ended.
    fn finished(&self, _outcome: Outcome<'_>) {}
}

/// An observer that watches nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct Quiet;

impl Observer for Quiet {}

/// Keeps the record of applied pseudo-parameters ([`crate::record`]) up
/// to date: called after each successful action, one update at a time.
pub struct Recorder<'a> {
    path: PathBuf,
    desired: &'a Desired,
    runner: &'a dyn Runner,
    serial: Mutex<()>,
}

impl<'a> Recorder<'a> {
    /// A recorder writing `path`, recording `desired`'s pseudo-parameters
    /// and reading new jids through `runner`.
    pub fn new(path: PathBuf, desired: &'a Desired, runner: &'a dyn Runner) -> Self {
        Recorder {
            path,
            desired,
            runner,
            serial: Mutex::new(()),
        }
    }

    /// Records a successful action: a created or restarted jail gets the
    /// configured pseudo-parameters and its new jid; a modified one only
    /// when nothing is deferred to its next restart (`jail -m` applies no
    /// pseudo-parameters); a removed one is forgotten.
    pub fn record(&self, action: &Action) -> Result<(), String> {
        let applied = match action.kind {
            ActionKind::Remove => None,
            ActionKind::Create | ActionKind::Restart => Some(self.applied(&action.jail)?),
            ActionKind::Modify if action.deferred.is_empty() => Some(self.applied(&action.jail)?),
            _ => return Ok(()),
        };
        let _serial = lock(&self.serial);
        record::update(&self.path, &action.jail, applied).map_err(|e| e.to_string())
    }

    /// What is applied to `jail` now: its configuration and running jid.
    fn applied(&self, jail: &str) -> Result<AppliedJail, String> {
        let desired = self
            .desired
            .get(jail)
            .ok_or_else(|| format!("{jail} is not configured"))?;
        let argv: Vec<String> = JLS_ARGV.iter().map(|a| a.to_string()).collect();
        let output = self
            .runner
            .run(&argv)
            .map_err(|e| format!("cannot run jls: {e}"))?;
        if !output.success() {
            return Err(format!("jls failed: {}", output.stderr_text()));
        }
        let running = parse_jls(&String::from_utf8_lossy(&output.stdout))?;
        let jid = running
            .iter()
            .find(|j| j.name == jail && !j.dying)
            .map(|j| j.jid)
            .ok_or_else(|| format!("{jail} is not running after apply"))?;
        Ok(AppliedJail::from_desired(desired, jid))
    }
}

/// The actions of a plan that run commands, batch by batch.
fn runnable_batches(plan: &Plan) -> Vec<Vec<&Action>> {
    plan.batches
        .iter()
        .map(|batch| {
            batch
                .iter()
                .filter_map(|&index| plan.actions.get(index))
                .filter(|action| !action.commands.is_empty())
                .collect::<Vec<_>>()
        })
        .filter(|batch| !batch.is_empty())
        .collect()
}

/// Every argv `execute` would run if nothing failed, in order (what
/// `apply --dry-run` prints).
pub fn commands(plan: &Plan, options: &Options) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    if options.cleanup_stale {
        out.extend(plan.stale.iter().map(|stale| stale.command.clone()));
    }
    for batch in runnable_batches(plan) {
        for action in batch {
            out.extend(action.commands.iter().cloned());
        }
    }
    out
}

/// Runs the plan. Never panics on a failing program: failures end up in
/// the report.
pub fn execute(
    plan: &Plan,
    runner: &dyn Runner,
    options: &Options,
    observer: &dyn Observer,
) -> Report {
    let batches = runnable_batches(plan);
    let stale: &[StaleInterface] = if options.cleanup_stale {
        &plan.stale
    } else {
        &[]
    };
    observer.planned(stale.len() + batches.iter().map(Vec::len).sum::<usize>());
    let mut report = Report::default();

    for interface in stale {
        if !report.success() {
            report.skipped.push(Skipped {
                jail: interface.jail.clone(),
                work: cleanup_work(interface),
            });
            continue;
        }
        let work = cleanup_work(interface);
        observer.started(&interface.jail, &work);
        let result = run_commands(
            runner,
            &interface.jail,
            work,
            std::slice::from_ref(&interface.command),
        );
        observer.finished(result.outcome());
        result.into_report(&mut report);
    }

    for batch in &batches {
        if !report.success() {
            report.skipped.extend(batch.iter().map(|a| skipped(a)));
            continue;
        }
        run_batch(batch, runner, options.jobs.max(1), observer, &mut report);
    }
    report
}

fn cleanup_work(stale: &StaleInterface) -> Work {
    Work::Cleanup {
        interface: stale.interface.clone(),
    }
}

fn skipped(action: &Action) -> Skipped {
    Skipped {
        jail: action.jail.clone(),
        work: Work::Action(action.kind),
    }
}

/// Which actions of a batch have been claimed by a worker, and whether new
/// work may still start.
struct Queue {
    next: usize,
    stopped: bool,
}

/// Runs one batch with up to `jobs` workers; the report keeps plan order.
fn run_batch(
    batch: &[&Action],
    runner: &dyn Runner,
    jobs: usize,
    observer: &dyn Observer,
    report: &mut Report,
) {
    let queue = Mutex::new(Queue {
        next: 0,
        stopped: false,
    });
    let results: Mutex<Vec<Slot>> = Mutex::new(Vec::new());
    let workers = jobs.min(batch.len());
    let work = || loop {
        let index = {
            let mut queue = lock(&queue);
            if queue.stopped || queue.next >= batch.len() {
                break;
            }
            queue.next += 1;
            queue.next - 1
        };
        let Some(action) = batch.get(index) else {
            break;
        };
        let work = Work::Action(action.kind);
        observer.started(&action.jail, &work);
        let result = run_commands(runner, &action.jail, work, &action.commands);
        let warning = match &result {
            Ended::Done(_) => observer
                .succeeded(action)
                .err()
                .map(|e| format!("{}: {e}", action.jail)),
            Ended::Failed(_) => {
                lock(&queue).stopped = true;
                None
            }
        };
        observer.finished(result.outcome());
        lock(&results).push((index, result, warning));
    };
    // The calling thread is one of the workers; a worker the system
    // refuses to start finds the queue empty when its turn comes.
    jailconf_parser::threads::side_by_side(vec![work; workers]);
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|(index, ..)| *index);
    let mut started = vec![false; batch.len()];
    for (index, result, warning) in results {
        if let Some(flag) = started.get_mut(index) {
            *flag = true;
        }
        result.into_report(report);
        report.warnings.extend(warning);
    }
    for (action, started) in batch.iter().zip(started) {
        if !started {
            report.skipped.push(skipped(action));
        }
    }
}

/// How one unit of work ended.
enum Ended {
    Done(Done),
    Failed(Failed),
}

impl Ended {
    fn outcome(&self) -> Outcome<'_> {
        match self {
            Ended::Done(done) => Outcome::Done(done),
            Ended::Failed(failed) => Outcome::Failed(failed),
        }
    }

    fn into_report(self, report: &mut Report) {
        match self {
            Ended::Done(done) => report.done.push(done),
            Ended::Failed(failed) => report.failed.push(failed),
        }
    }
}

/// A batch member's result: its index, how it ended, and a warning from
/// the observer.
type Slot = (usize, Ended, Option<String>);

/// Runs a unit's argv lists in order, stopping at the first failure.
fn run_commands(runner: &dyn Runner, jail: &str, work: Work, commands: &[Vec<String>]) -> Ended {
    let started = Instant::now();
    let mut stdout = Vec::new();
    for (completed, argv) in commands.iter().enumerate() {
        let failure = match runner.run(argv) {
            Ok(output) => {
                stdout.extend(lines(&output.stdout));
                if output.success() {
                    continue;
                }
                (output.status, output.stderr_text())
            }
            Err(e) => (None, format!("cannot run {}: {e}", argv.join(" "))),
        };
        return Ended::Failed(Failed {
            jail: jail.to_string(),
            work,
            elapsed: started.elapsed(),
            command: argv.clone(),
            completed_commands: completed,
            status: failure.0,
            stdout,
            stderr: failure.1,
        });
    }
    Ended::Done(Done {
        jail: jail.to_string(),
        work,
        elapsed: started.elapsed(),
        stdout,
    })
}

/// A program's output as lines, lossily decoded, empty lines dropped.
fn lines(bytes: &[u8]) -> impl Iterator<Item = String> + '_ {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(str::to_string)
        .collect::<Vec<_>>()
        .into_iter()
}

/// Locks a mutex, ignoring poisoning (a panicking observer must not turn
/// into a second panic here).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::io;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::runner::Output;

    /// A runner that records argv, sleeps, and fails argvs on demand.
    #[derive(Default)]
    struct FakeRunner {
        log: Mutex<Vec<Vec<String>>>,
        delay: Duration,
        /// Jail names whose commands fail.
        fail: BTreeSet<String>,
        /// Jail names whose commands cannot even start.
        missing: BTreeSet<String>,
        running: AtomicUsize,
        peak: AtomicUsize,
        /// When each jail's command started and ended, in log order.
        spans: Mutex<BTreeMap<String, (Instant, Instant)>>,
    }

    impl Runner for FakeRunner {
        fn run(&self, argv: &[String]) -> io::Result<Output> {
            let jail = argv.last().cloned().unwrap_or_default();
            if self.missing.contains(&jail) {
                return Err(io::Error::new(io::ErrorKind::NotFound, "no such file"));
            }
            let start = Instant::now();
            let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
            self.peak.fetch_max(now, Ordering::SeqCst);
            lock(&self.log).push(argv.to_vec());
            std::thread::sleep(self.delay);
            self.running.fetch_sub(1, Ordering::SeqCst);
            lock(&self.spans).insert(jail.clone(), (start, Instant::now()));
            if self.fail.contains(&jail) {
                return Ok(Output {
                    status: Some(1),
                    stdout: Vec::new(),
                    stderr: format!("jail: {jail}: failed\n").into_bytes(),
                });
            }
            Ok(Output {
                status: Some(0),
                stdout: format!("{jail}: created\n").into_bytes(),
                stderr: Vec::new(),
            })
        }
    }

    fn action(jail: &str, kind: ActionKind) -> Action {
        let flag = match kind {
            ActionKind::Modify => "-m",
            ActionKind::Remove => "-R",
            _ => "-c",
        };
        let mut commands = vec![argv(&["jail", "-f", "/j.conf", flag, jail])];
        if kind == ActionKind::Restart {
            commands.insert(0, argv(&["jail", "-f", "/j.conf", "-r", jail]));
        }
        if matches!(kind, ActionKind::Unchanged | ActionKind::Unmanaged) {
            commands.clear();
        }
        Action {
            jail: jail.to_string(),
            kind,
            reason: String::new(),
            config_file: Some("/j.conf".to_string()),
            changes: Vec::new(),
            deferred: Vec::new(),
            commands,
        }
    }

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    fn plan(actions: Vec<Action>, batches: Vec<Vec<usize>>) -> Plan {
        Plan {
            schema: crate::plan::PLAN_SCHEMA.to_string(),
            target: "15".to_string(),
            fingerprint: String::new(),
            actions,
            batches,
            stale: Vec::new(),
        }
    }

    fn independent(count: usize) -> Plan {
        plan(
            (0..count)
                .map(|i| action(&format!("j{i}"), ActionKind::Create))
                .collect(),
            vec![(0..count).collect()],
        )
    }

    fn options(jobs: usize) -> Options {
        Options {
            jobs,
            cleanup_stale: false,
        }
    }

    /// Counts observer calls.
    #[derive(Default)]
    struct Counting {
        planned: AtomicUsize,
        started: AtomicUsize,
        succeeded: AtomicUsize,
        finished: AtomicUsize,
    }

    impl Observer for Counting {
        fn planned(&self, total: usize) {
            self.planned.store(total, Ordering::SeqCst);
        }
        fn started(&self, _: &str, _: &Work) {
            self.started.fetch_add(1, Ordering::SeqCst);
        }
        fn succeeded(&self, action: &Action) -> Result<(), String> {
            self.succeeded.fetch_add(1, Ordering::SeqCst);
            if action.jail == "j1" {
                return Err("record not written".to_string());
            }
            Ok(())
        }
        fn finished(&self, _: Outcome<'_>) {
            self.finished.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn runs_every_action_and_collects_stdout() {
        let runner = FakeRunner::default();
        let observer = Counting::default();
        let report = execute(&independent(3), &runner, &options(2), &observer);
        assert!(report.success());
        assert_eq!(report.done.len(), 3);
        assert_eq!(report.done[0].jail, "j0");
        assert_eq!(report.done[2].stdout, vec!["j2: created".to_string()]);
        assert!(report.skipped.is_empty());
        assert_eq!(observer.planned.load(Ordering::SeqCst), 3);
        assert_eq!(observer.started.load(Ordering::SeqCst), 3);
        assert_eq!(observer.succeeded.load(Ordering::SeqCst), 3);
        assert_eq!(observer.finished.load(Ordering::SeqCst), 3);
        assert_eq!(report.warnings, vec!["j1: record not written".to_string()]);
    }

    #[test]
    fn parallelism_bound_is_respected() {
        let runner = FakeRunner {
            delay: Duration::from_millis(20),
            ..FakeRunner::default()
        };
        let report = execute(&independent(20), &runner, &options(4), &Quiet);
        assert_eq!(report.done.len(), 20);
        assert_eq!(runner.peak.load(Ordering::SeqCst), 4);

        let runner = FakeRunner {
            delay: Duration::from_millis(5),
            ..FakeRunner::default()
        };
        execute(&independent(5), &runner, &options(1), &Quiet);
        assert_eq!(runner.peak.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn parallel_jobs_are_faster() {
        let runner = FakeRunner {
            delay: Duration::from_millis(50),
            ..FakeRunner::default()
        };
        let started = Instant::now();
        execute(&independent(16), &runner, &options(8), &Quiet);
        // Two rounds of 50 ms, far from the 800 ms of a serial run.
        assert!(started.elapsed() < Duration::from_millis(500));
    }

    #[test]
    fn first_failure_stops_new_work() {
        let runner = FakeRunner {
            delay: Duration::from_millis(30),
            fail: ["j1".to_string()].into(),
            ..FakeRunner::default()
        };
        let report = execute(&independent(10), &runner, &options(2), &Quiet);
        assert_eq!(report.failed.len(), 1);
        let failed = &report.failed[0];
        assert_eq!(failed.jail, "j1");
        assert_eq!(failed.stderr, "jail: j1: failed");
        assert_eq!(failed.status, Some(1));
        assert_eq!(failed.command, argv(&["jail", "-f", "/j.conf", "-c", "j1"]));
        // j0 ran beside j1 and finished; nothing started after j1 failed
        // (j2 may have been claimed by j0's worker before that).
        let started = lock(&runner.log).len();
        assert!(started <= 3, "{started} commands started");
        assert_eq!(report.done.len() + report.failed.len(), started);
        assert_eq!(report.skipped.len(), 10 - started);
        assert_eq!(report.skipped.last().map(|s| s.jail.as_str()), Some("j9"));
    }

    #[test]
    fn failure_skips_later_batches() {
        let runner = FakeRunner {
            fail: ["db".to_string()].into(),
            ..FakeRunner::default()
        };
        let p = plan(
            vec![
                action("db", ActionKind::Create),
                action("web", ActionKind::Create),
                action("old", ActionKind::Remove),
            ],
            vec![vec![0], vec![1], vec![2]],
        );
        let report = execute(&p, &runner, &options(4), &Quiet);
        assert_eq!(report.failed.len(), 1);
        assert_eq!(
            report.skipped,
            vec![
                Skipped {
                    jail: "web".to_string(),
                    work: Work::Action(ActionKind::Create)
                },
                Skipped {
                    jail: "old".to_string(),
                    work: Work::Action(ActionKind::Remove)
                },
            ]
        );
        assert_eq!(lock(&runner.log).len(), 1);
    }

    #[test]
    fn dependencies_finish_before_dependents_start() {
        let runner = FakeRunner {
            delay: Duration::from_millis(20),
            ..FakeRunner::default()
        };
        // db and cache first; web after both.
        let p = plan(
            vec![
                action("web", ActionKind::Create),
                action("db", ActionKind::Create),
                action("cache", ActionKind::Create),
            ],
            vec![vec![1, 2], vec![0]],
        );
        let report = execute(&p, &runner, &options(8), &Quiet);
        assert!(report.success());
        let spans = lock(&runner.spans);
        let web_start = spans["web"].0;
        assert!(spans["db"].1 <= web_start);
        assert!(spans["cache"].1 <= web_start);
        assert_eq!(
            lock(&runner.log).last().and_then(|a| a.last()).unwrap(),
            "web"
        );
    }

    #[test]
    fn restart_runs_remove_then_create_and_reports_half_done() {
        let runner = FakeRunner::default();
        let p = plan(vec![action("web", ActionKind::Restart)], vec![vec![0]]);
        let report = execute(&p, &runner, &options(4), &Quiet);
        assert!(report.success());
        assert_eq!(
            *lock(&runner.log),
            vec![
                argv(&["jail", "-f", "/j.conf", "-r", "web"]),
                argv(&["jail", "-f", "/j.conf", "-c", "web"]),
            ]
        );
        assert_eq!(report.done[0].work.done_verb(), "restarted");
    }

    #[test]
    fn a_program_that_cannot_start_is_a_failure() {
        let runner = FakeRunner {
            missing: ["web".to_string()].into(),
            ..FakeRunner::default()
        };
        let p = plan(vec![action("web", ActionKind::Create)], vec![vec![0]]);
        let report = execute(&p, &runner, &options(4), &Quiet);
        assert_eq!(report.failed[0].status, None);
        assert!(report.failed[0].stderr.starts_with("cannot run jail -f"));
    }

    #[test]
    fn actions_without_commands_are_not_work() {
        let runner = FakeRunner::default();
        let p = plan(
            vec![
                action("same", ActionKind::Unchanged),
                action("web", ActionKind::Create),
            ],
            vec![vec![0, 1]],
        );
        let observer = Counting::default();
        let report = execute(&p, &runner, &options(4), &observer);
        assert_eq!(report.done.len(), 1);
        assert_eq!(observer.planned.load(Ordering::SeqCst), 1);
    }

    fn with_stale(mut p: Plan) -> Plan {
        p.stale.push(StaleInterface {
            jail: "j0".to_string(),
            interface: "epair60a".to_string(),
            command: argv(&["ifconfig", "epair60a", "destroy"]),
        });
        p
    }

    #[test]
    fn stale_cleanup_runs_first_and_only_when_asked() {
        let p = with_stale(independent(2));
        let runner = FakeRunner::default();
        execute(&p, &runner, &options(4), &Quiet);
        assert_eq!(lock(&runner.log).len(), 2);

        let runner = FakeRunner::default();
        let opts = Options {
            jobs: 4,
            cleanup_stale: true,
        };
        let report = execute(&p, &runner, &opts, &Quiet);
        assert_eq!(
            lock(&runner.log)[0],
            argv(&["ifconfig", "epair60a", "destroy"])
        );
        assert_eq!(
            report.done[0].work,
            Work::Cleanup {
                interface: "epair60a".to_string()
            }
        );
        assert_eq!(report.done.len(), 3);
    }

    #[test]
    fn failed_cleanup_skips_everything() {
        let p = with_stale(independent(2));
        let runner = FakeRunner {
            fail: ["destroy".to_string()].into(),
            ..FakeRunner::default()
        };
        let opts = Options {
            jobs: 4,
            cleanup_stale: true,
        };
        let report = execute(&p, &runner, &opts, &Quiet);
        assert_eq!(report.failed.len(), 1);
        assert_eq!(report.skipped.len(), 2);
    }

    #[test]
    fn dry_run_commands_are_in_execution_order() {
        let p = with_stale(plan(
            vec![
                action("web", ActionKind::Restart),
                action("db", ActionKind::Modify),
                action("same", ActionKind::Unchanged),
            ],
            vec![vec![1, 2], vec![0]],
        ));
        let all = commands(
            &p,
            &Options {
                jobs: 1,
                cleanup_stale: true,
            },
        );
        assert_eq!(
            all,
            vec![
                argv(&["ifconfig", "epair60a", "destroy"]),
                argv(&["jail", "-f", "/j.conf", "-m", "db"]),
                argv(&["jail", "-f", "/j.conf", "-r", "web"]),
                argv(&["jail", "-f", "/j.conf", "-c", "web"]),
            ]
        );
        assert_eq!(commands(&p, &options(1)).len(), 3);
    }

    /// Answers jls with one running jail, `web` as jid 7.
    struct Jls;

    impl Runner for Jls {
        fn run(&self, argv: &[String]) -> io::Result<Output> {
            assert_eq!(argv[0], "jls");
            Ok(Output {
                status: Some(0),
                stdout: br#"{"__version":"2","jail-information":{"jail":[{"jid":"7","name":"web","persist":true}]}}"#.to_vec(),
                stderr: Vec::new(),
            })
        }
    }

    #[test]
    fn recorder_records_creates_and_forgets_removals() {
        use jailconf_parser::{Config, MainFile, NoFiles, Target};

        let config = Config::load(
            MainFile::from_path("/j.conf", b"web { persist; exec.start = x; }\n".to_vec()),
            &NoFiles,
            Target::V15,
        );
        let desired = Desired {
            jails: config
                .jails
                .iter()
                .map(|j| crate::desired::DesiredJail::from_jail(j, "/j.conf"))
                .collect(),
            config_digest: String::new(),
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("applied.json");
        let recorder = Recorder::new(path.clone(), &desired, &Jls);
        recorder.record(&action("web", ActionKind::Create)).unwrap();
        let record = record::load(&path).unwrap();
        assert_eq!(record.jails["web"].jid, 7);
        assert_eq!(
            record.jails["web"].pseudo["exec.start"],
            vec!["x".to_string()]
        );

        let mut modify = action("web", ActionKind::Modify);
        modify.deferred.push(crate::plan::Change {
            param: "exec.start".into(),
            old: None,
            new: None,
        });
        recorder.record(&modify).unwrap();
        recorder.record(&action("web", ActionKind::Remove)).unwrap();
        assert!(record::load(&path).unwrap().jails.is_empty());
        let err = recorder
            .record(&action("db", ActionKind::Create))
            .unwrap_err();
        assert_eq!(err, "db is not configured");
    }
}
