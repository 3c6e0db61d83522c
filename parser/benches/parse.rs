//! Throughput (MB/s) of the parser crate on a large generated VNET host
//! (`fixtures/large/vnet.rs`), 5,000 jails (≈ 2.76 MB):
//!
//! * `lex`: [`lexer::lex`];
//! * `parse`: the lossless tree ([`parser::parse_owned`]);
//! * `load`: [`Config::load`] from memory: parse, model and expansion;
//! * `jail_e`: `load`, then the `jail -e` output ([`dump::jail_e`]);
//!
//! and `load` on 50,000 jails, to check that it scales linearly, next to
//! `load-10x5000`: ten separate 5,000-jail files loaded one after the
//! other, every result kept. The 5,000-jail `load` above reuses memory
//! that is still in the processor's cache from the previous iteration;
//! ten files, like one file ten times larger, cannot.
//!
//! The bench runs with mimalloc as its global allocator, like the shipped
//! binaries (`jailconf`, `jailfmt`), so that it measures what users run.
//!
//! ```sh
//! cargo bench -p jailconf-parser
//! ```

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, SamplingMode, Throughput};
use jailconf_parser::{dump, lexer, parser, Config, MainFile, NoFiles, Target};

#[path = "../../fixtures/large/vnet.rs"]
mod vnet;

/// The allocator of the shipped binaries (see `src/main.rs`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Parses and evaluates `text` as `big.conf`.
fn load(text: Vec<u8>) -> Config {
    Config::load(MainFile::from_path("big.conf", text), &NoFiles, Target::V15)
}

fn small_host(c: &mut Criterion) {
    let text = vnet::vnet_config(5_000).into_bytes();
    let config = load(text.clone());
    assert!(config.diagnostics.is_empty() && config.jails.len() == 5_000);
    drop(config);

    let mut group = c.benchmark_group("vnet-5000");
    group.throughput(Throughput::BytesDecimal(text.len() as u64));
    group.bench_function("lex", |b| {
        b.iter(|| lexer::lex(black_box(&text), Target::V15))
    });
    group.bench_function("parse", |b| {
        b.iter_batched(
            || text.clone(),
            |text| parser::parse_owned(text, Target::V15),
            BatchSize::LargeInput,
        )
    });
    group.bench_function("load", |b| {
        b.iter_batched(|| text.clone(), load, BatchSize::LargeInput)
    });
    group.bench_function("jail_e", |b| {
        b.iter_batched(
            || text.clone(),
            |text| dump::jail_e(&load(text), b" | "),
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn large_host(c: &mut Criterion) {
    let text = vnet::vnet_config(50_000).into_bytes();
    let config = load(text.clone());
    assert!(config.diagnostics.is_empty() && config.jails.len() == 50_000);
    drop(config);

    let mut group = c.benchmark_group("vnet-50000");
    group.throughput(Throughput::BytesDecimal(text.len() as u64));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("load", |b| {
        b.iter_batched(|| text.clone(), load, BatchSize::LargeInput)
    });
    // The same amount of work as ten separate 5,000-jail files, every
    // result kept: unlike `vnet-5000/load` run in a loop, each load gets
    // fresh memory, as the 50,000-jail load does.
    let small = vnet::vnet_config(5_000).into_bytes();
    group.bench_function("load-10x5000", |b| {
        b.iter_batched(
            || vec![small.clone(); 10],
            |texts| texts.into_iter().map(load).collect::<Vec<_>>(),
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, small_host, large_host);
criterion_main!(benches);
