//! Parallel apply: 100 independent jails whose `jail -c` takes 100 ms each,
//! applied with `--jobs 8`, must take at most 2 s (13 rounds of 100 ms).

use std::io;
use std::thread;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use jailconf_apply::execute::{execute, Options, Quiet};
use jailconf_apply::plan::{Action, ActionKind, Plan, PLAN_SCHEMA};
use jailconf_apply::runner::{Output, Runner};

/// Stands in for jail(8): every command takes `delay`.
struct SlowJail {
    delay: Duration,
}

impl Runner for SlowJail {
    fn run(&self, argv: &[String]) -> io::Result<Output> {
        thread::sleep(self.delay);
        let name = argv.last().cloned().unwrap_or_default();
        Ok(Output {
            status: Some(0),
            stdout: format!("{name}: created\n").into_bytes(),
            stderr: Vec::new(),
        })
    }
}

/// `count` jails without dependencies: one batch of creates.
fn independent_jails(count: usize) -> Plan {
    let actions = (0..count)
        .map(|i| {
            let name = format!("jail{i}");
            Action {
                jail: name.clone(),
                kind: ActionKind::Create,
                reason: "not running".to_string(),
                config_file: Some("/etc/jail.conf".to_string()),
                changes: Vec::new(),
                deferred: Vec::new(),
                commands: vec![vec![
                    "jail".to_string(),
                    "-f".to_string(),
                    "/etc/jail.conf".to_string(),
                    "-c".to_string(),
                    name,
                ]],
            }
        })
        .collect();
    Plan {
        schema: PLAN_SCHEMA.to_string(),
        target: "15".to_string(),
        fingerprint: String::new(),
        actions,
        batches: vec![(0..count).collect()],
        stale: Vec::new(),
    }
}

fn parallel_apply(c: &mut Criterion) {
    let plan = independent_jails(100);
    let runner = SlowJail {
        delay: Duration::from_millis(100),
    };
    let options = Options {
        jobs: 8,
        cleanup_stale: false,
    };
    let mut group = c.benchmark_group("apply");
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(14));
    group.bench_function("100 jails x 100 ms, --jobs 8", |b| {
        b.iter_custom(|iterations| {
            let mut total = Duration::ZERO;
            for _ in 0..iterations {
                let started = Instant::now();
                let report = execute(&plan, &runner, &options, &Quiet);
                let elapsed = started.elapsed();
                assert_eq!(report.done.len(), 100, "every jail is applied");
                total += elapsed;
            }
            total
        });
    });
    group.finish();
}

criterion_group!(benches, parallel_apply);
criterion_main!(benches);
