//! Formatting throughput on the generated 5,000-jail VNET configuration
//! (`fixtures/large/vnet.rs`, about 2.7 MB): formatting it as generated,
//! and `--check`-style work (format and compare) on the formatted file.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use jailconf_fmt::{format, is_formatted, FormatOptions};
use jailconf_parser::Target;

#[path = "../../fixtures/large/vnet.rs"]
mod vnet;

fn benches(c: &mut Criterion) {
    let options = FormatOptions::default();
    let generated = vnet::vnet_config(5000).into_bytes();
    let formatted = format(&generated, &options, Target::V15).expect("generated config parses");
    assert_ne!(
        generated, formatted,
        "the generated file is not formatted yet"
    );

    let mut group = c.benchmark_group("fmt");
    group.throughput(Throughput::Bytes(generated.len() as u64));
    group.bench_function("format vnet 5000", |b| {
        b.iter(|| format(&generated, &options, Target::V15).expect("parses"))
    });
    group.throughput(Throughput::Bytes(formatted.len() as u64));
    group.bench_function("check formatted vnet 5000", |b| {
        b.iter(|| assert!(is_formatted(&formatted, &options, Target::V15).expect("parses")))
    });
    group.finish();
}

criterion_group!(format_benches, benches);
criterion_main!(format_benches);
