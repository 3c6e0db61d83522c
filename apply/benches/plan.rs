//! Cost of planning a large host: 5,000 configured VNET jails
//! (`fixtures/large/vnet.rs`) against a 5,000-jail `jls` JSON generated to
//! match, with a few differences (10 restarts for a changed path, 10
//! modifies, 10 jails not running, 10 running jails not configured).
//!
//! * `parse-jls`: [`parse_jls`] of the JSON (≈ 5 MB);
//! * `desired`: [`Desired::from_input`] over the loaded configuration
//!   (including the digest of its 2.76 MB text);
//! * `plan`: [`plan`] (comparison, ordering, stale check, fingerprint of
//!   the observed state);
//! * `parse+desired+plan`: the three together, the figure the 50 ms budget
//!   is about (loading the configuration, `Config::load`, excluded).
//!
//! Each routine returns what it built, so that freeing it (which the CLI
//! never does: it exits) is not measured. The bench runs with mimalloc as
//! its global allocator, like the shipped `jailconf` binary.
//!
//! ```sh
//! cargo bench -p jailconf-apply
//! ```

use std::fmt::Write;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use jailconf_apply::desired::Desired;
use jailconf_apply::input::load_roots;
use jailconf_apply::observe::{parse_ifconfig, parse_jls};
use jailconf_apply::plan::ActionKind;
use jailconf_apply::planner::{plan, PlanOptions};
use jailconf_apply::record::Record;
use jailconf_apply::state::Observed;
use jailconf_parser::{MainFile, NoFiles, Target};

#[path = "../../fixtures/large/vnet.rs"]
mod vnet;

/// The allocator of the shipped binaries (see `src/main.rs`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const JAILS: usize = 5_000;

/// One running VNET jail in `jls -d --libxo=json -n` form.
fn jls_entry(out: &mut String, jid: usize, name: &str, path: &str, raw_sockets: bool) {
    let _ = write!(
        out,
        r#"{{"jid":"{jid}","name":"{name}","path":"{path}","parent":"0","dying":false,"persist":false,"securelevel":"-1","enforce_statfs":"2","devfs_ruleset":"4","children.max":"0","children.cur":"0","cpuset.id":"{cpuset}","osrelease":"15.0-RELEASE","osreldate":"1500068","host":"new","host.hostname":"{name}.vnet.example.org","host.domainname":"","host.hostuuid":"00000000-0000-0000-0000-000000000000","host.hostid":"0","vnet":"new","ip4":"inherit","ip4.addr":[],"ip4.saddrsel":true,"ip6":"inherit","ip6.addr":[],"ip6.saddrsel":true,"allow.set_hostname":true,"allow.sysvipc":false,"allow.raw_sockets":{raw_sockets},"allow.chflags":false,"allow.mount":false,"allow.quotas":false,"allow.socket_af":false,"allow.mlock":false,"allow.reserved_ports":true,"allow.read_msgbuf":false,"allow.unprivileged_proc_debug":true,"allow.suser":true,"sysvmsg":"disable","sysvsem":"disable","sysvshm":"disable","meta":"","env":""}}"#,
        cpuset = jid + 1,
    );
}

/// The jls JSON of a host running the generated configuration, with
/// differences every 500 jails.
fn jls_json(jails: usize) -> String {
    let mut out = String::with_capacity(jails * 1_100);
    out.push_str(r#"{"__version": "2", "jail-information": {"jail": ["#);
    let mut first = true;
    let mut separator = |out: &mut String| {
        if !std::mem::take(&mut first) {
            out.push(',');
        }
    };
    for id in 1..=jails {
        let name = format!("vnet{id}");
        match id % 500 {
            // Not running: created.
            1 => continue,
            // Another path: restarted.
            2 => {
                separator(&mut out);
                jls_entry(&mut out, id, &name, &format!("/old/{name}"), true);
            }
            // Raw sockets off: modified.
            3 => {
                separator(&mut out);
                jls_entry(&mut out, id, &name, &format!("/jail/{name}"), false);
            }
            _ => {
                separator(&mut out);
                jls_entry(&mut out, id, &name, &format!("/jail/{name}"), true);
            }
        }
        if id % 500 == 4 {
            // A jail that is not configured: unmanaged.
            separator(&mut out);
            jls_entry(
                &mut out,
                jails + id,
                &format!("extra{id}"),
                "/jail/extra",
                true,
            );
        }
    }
    out.push_str("]}}\n");
    out
}

fn large_host(c: &mut Criterion) {
    let config = vnet::vnet_config(JAILS).into_bytes();
    let input = load_roots(
        vec![MainFile::from_path("/etc/jail.conf", config)],
        &NoFiles,
        Target::V15,
    );
    assert_eq!(input.roots[0].config.jails.len(), JAILS);
    let jls = jls_json(JAILS);
    let interfaces = parse_ifconfig("bridge0: flags=8843<UP,BROADCAST,RUNNING> mtu 1500\n");
    let record = Record::default();
    let options = PlanOptions::default();

    // The differences are found, and nothing else.
    let observed = Observed {
        jails: parse_jls(&jls).expect("valid jls JSON"),
        interfaces: interfaces.clone(),
        datasets: Vec::new(),
    };
    let desired = Desired::from_input(&input).expect("no duplicates");
    let planned = plan(&desired, &observed, &record, &options).expect("no cycle");
    for (kind, count) in [
        (ActionKind::Create, 10),
        (ActionKind::Restart, 10),
        (ActionKind::Modify, 10),
        (ActionKind::Unmanaged, 10),
        (ActionKind::Unchanged, JAILS - 30),
    ] {
        assert_eq!(planned.count(kind), count, "{kind:?}");
    }

    let mut group = c.benchmark_group("plan-5000");
    group.sample_size(20);
    group.bench_function("parse-jls", |b| {
        b.iter_with_large_drop(|| parse_jls(black_box(&jls)))
    });
    group.bench_function("desired", |b| {
        b.iter_with_large_drop(|| Desired::from_input(black_box(&input)))
    });
    group.bench_function("plan", |b| {
        b.iter_with_large_drop(|| plan(black_box(&desired), &observed, &record, &options))
    });
    group.bench_function("parse+desired+plan", |b| {
        b.iter_with_large_drop(|| {
            let observed = Observed {
                jails: parse_jls(black_box(&jls)).expect("valid jls JSON"),
                interfaces: interfaces.clone(),
                datasets: Vec::new(),
            };
            let desired = Desired::from_input(&input).expect("no duplicates");
            let plan = plan(&desired, &observed, &record, &options);
            (observed, desired, plan)
        })
    });
    group.finish();
}

criterion_group!(benches, large_host);
criterion_main!(benches);
