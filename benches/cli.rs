//! What a user waits for: the release `jailconf` binary run once, as a
//! process, on a generated VNET host (`fixtures/large/vnet.rs`) of 5,000
//! jails (≈ 2.76 MB) and of 50,000 jails (≈ 28 MB):
//!
//! * `eval`: `jailconf eval -e ' | ' FILE`, output to `/dev/null`;
//! * `lint`: `jailconf lint FILE` (the default rules; the host is clean).
//!
//! Each run starts from a fresh process, so it includes start-up, reading
//! the file, page faults and freeing, as on a host or in CI. The 50,000-jail
//! figures divided by the 5,000-jail ones are the scaling the issues ask
//! for (at most 11x for `eval`, 12x for `lint`). The in-process benches
//! (`cargo bench -p jailconf-parser`, `-p jailconf-lint`) measure the
//! library in a loop instead, where the smaller host stays in the cache
//! between iterations.
//!
//! ```sh
//! cargo bench --bench cli
//! ```

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};

#[path = "../fixtures/large/vnet.rs"]
mod vnet;

/// Runs `jailconf ARGS` with its output discarded; panics unless it exits
/// with `expected`.
fn run_jailconf(args: &[&str], file: &Path, expected: i32) {
    let status = Command::new(env!("CARGO_BIN_EXE_jailconf"))
        .args(args)
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("the jailconf binary runs");
    assert_eq!(status.code(), Some(expected), "jailconf {args:?} {file:?}");
}

fn host_of(c: &mut Criterion, jails: usize) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join(format!("vnet-{jails}.conf"));
    let text = vnet::vnet_config(jails);
    std::fs::write(&file, &text).expect("the generated host is written");

    let commands: [(&str, &[&str]); 2] = [("eval", &["eval", "-e", " | "]), ("lint", &["lint"])];
    let mut group = c.benchmark_group(format!("cli-vnet-{jails}"));
    group.throughput(Throughput::BytesDecimal(text.len() as u64));
    if jails > 10_000 {
        group.sampling_mode(SamplingMode::Flat);
        group.sample_size(10);
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(8));
    }
    for (name, args) in commands {
        // Once outside the measurement: the host must be valid and clean.
        run_jailconf(args, &file, 0);
        group.bench_function(name, |b| b.iter(|| run_jailconf(args, &file, 0)));
    }
    group.finish();
}

fn hosts(c: &mut Criterion) {
    host_of(c, 5_000);
    host_of(c, 50_000);
}

criterion_group!(benches, hosts);
criterion_main!(benches);
