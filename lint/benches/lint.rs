//! Cost of the linter on a large generated VNET host
//! (`fixtures/large/vnet.rs`), 5,000 jails (≈ 2.76 MB), in MB/s of input:
//!
//! * `load`: [`Config::load`] from memory (parse, model, expansion), the
//!   baseline lint is measured against;
//! * `load+lint`: `load`, then [`jailconf_lint::lint`] with the default
//!   rule set;
//! * `load+lint-all`: the same with `select = ["ALL"]` (the opt-in rules
//!   too);
//! * `lint-after-load`: the lint alone, timed on a configuration loaded
//!   just before it (outside the timing) in each iteration: the cost on top
//!   of `load`, measured directly rather than as the difference of two
//!   benchmarks run minutes apart.
//!
//! Like `load`, the `load+lint` routines return what they built, so
//! that dropping the configuration is measured in neither.
//!
//! `vnet-50000` measures `load` and `load+lint` on 50,000 jails
//! (≈ 28 MB), to check that both grow linearly with the input (the issue's
//! target: at most 12 times the 5,000-jail time), and `load+lint-10x5000`:
//! the same jails as ten separate 5,000-jail files.
//!
//! ```sh
//! cargo bench -p jailconf-lint
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use jailconf_lint::{lint, HostFacts, LintOptions};
use jailconf_parser::{Config, MainFile, NoFiles, Target};

#[path = "../../fixtures/large/vnet.rs"]
mod vnet;

/// The allocator of the shipped `jailconf` binary (see `src/main.rs`), so
/// that the bench measures what users run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Parses and evaluates `text` as `big.conf`.
fn load(text: Vec<u8>) -> Config {
    Config::load(MainFile::from_path("big.conf", text), &NoFiles, Target::V15)
}

/// The `load`, `load+lint` (default rules) and, when `all` is set,
/// `load+lint-all` benchmarks on a generated host of `jails` jails; with
/// `split`, also `load+lint` of the same number of jails as that many
/// separate files.
fn vnet_host_of(c: &mut Criterion, jails: usize, samples: usize, all: bool, split: Option<usize>) {
    let text = vnet::vnet_config(jails).into_bytes();
    let config = load(text.clone());
    assert!(config.diagnostics.is_empty() && config.jails.len() == jails);
    drop(config);

    let facts = HostFacts::default();
    let mut selections = vec![("load+lint", LintOptions::default())];
    if all {
        let every_rule = LintOptions {
            select: Some(vec!["ALL".to_string()]),
            ..LintOptions::default()
        };
        selections.push(("load+lint-all", every_rule));
    }

    let mut group = c.benchmark_group(format!("vnet-{jails}"));
    group.throughput(Throughput::BytesDecimal(text.len() as u64));
    group.sample_size(samples);
    group.bench_function("load", |b| {
        b.iter_batched(|| text.clone(), load, BatchSize::LargeInput)
    });
    let options = LintOptions::default();
    group.bench_function("lint-after-load", |b| {
        b.iter_custom(|iterations| {
            let mut linting = Duration::ZERO;
            for _ in 0..iterations {
                let config = load(text.clone());
                let start = Instant::now();
                let findings = lint(black_box(&config), &facts, &options);
                linting += start.elapsed();
                drop((findings, config));
            }
            linting
        })
    });
    for (name, options) in &selections {
        group.bench_function(*name, |b| {
            b.iter_batched(
                || text.clone(),
                |text| {
                    let config = load(text);
                    let findings = lint(black_box(&config), &facts, options);
                    (config, findings)
                },
                BatchSize::LargeInput,
            )
        });
    }
    if let Some(parts) = split {
        // The same jails as ten separate files, each loaded and linted on
        // its own: the linter's passes over one file then stay within a
        // tenth of the memory.
        let part = vnet::vnet_config(jails / parts).into_bytes();
        let options = LintOptions::default();
        group.bench_function(format!("load+lint-{parts}x{}", jails / parts), |b| {
            b.iter_batched(
                || vec![part.clone(); parts],
                |texts| {
                    (texts.into_iter())
                        .map(|text| {
                            let config = load(text);
                            let findings = lint(black_box(&config), &facts, &options);
                            (config, findings)
                        })
                        .collect::<Vec<_>>()
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

fn vnet_host(c: &mut Criterion) {
    vnet_host_of(c, 5_000, 20, true, None);
}

fn vnet_host_50k(c: &mut Criterion) {
    vnet_host_of(c, 50_000, 10, false, Some(10));
}

criterion_group!(benches, vnet_host, vnet_host_50k);
criterion_main!(benches);
