//! Plan snapshots: fixture configurations (`fixtures/apply/*.conf`) against
//! captured host state (`*.jls.json`, `*.ifconfig`, `*.applied.json`), in
//! process; no program runs.

use std::path::{Path, PathBuf};

use jailconf_apply::desired::Desired;
use jailconf_apply::input::{self, ConfigInput};
use jailconf_apply::observe::{parse_ifconfig, parse_jls};
use jailconf_apply::plan::{ActionKind, Plan};
use jailconf_apply::planner::{plan, PlanError, PlanOptions};
use jailconf_apply::record::{self, Record};
use jailconf_apply::render;
use jailconf_apply::state::Observed;
use jailconf_parser::{DiskLoader, Target};

/// Fixture paths relative to the crate, so that plans (which name the
/// configuration files) are the same on every machine.
fn fixture(name: &str) -> PathBuf {
    Path::new("../fixtures/apply").join(name)
}

fn load(config: &Path) -> ConfigInput {
    let files = input::root_files(Some(config)).unwrap();
    input::load_files(&files, &DiskLoader, Target::V15).unwrap()
}

fn observed(jls: &str, ifconfig: Option<&str>) -> Observed {
    let jls = std::fs::read_to_string(fixture(jls)).unwrap();
    let interfaces = ifconfig
        .map(|name| parse_ifconfig(&std::fs::read_to_string(fixture(name)).unwrap()))
        .unwrap_or_default();
    Observed {
        jails: parse_jls(&jls).unwrap(),
        interfaces,
        datasets: Vec::new(),
    }
}

fn make(
    config: &Path,
    observed: &Observed,
    record: &Record,
    options: &PlanOptions,
) -> Result<Plan, PlanError> {
    let input = load(config);
    let desired = Desired::from_input(&input).unwrap();
    plan(&desired, observed, record, options)
}

/// Human output and JSON (fingerprint redacted) in one snapshot.
fn snapshot(plan: &Plan) -> String {
    let mut plan = plan.clone();
    assert!(plan.fingerprint.starts_with("sha256:"));
    plan.fingerprint = "[fingerprint]".to_string();
    format!("{}\n{}", render::human(&plan, false), render::json(&plan))
}

fn host_record() -> Record {
    record::load(&fixture("host.applied.json")).unwrap()
}

/// `host.conf` planned against the captured host and its record.
fn host_plan(options: &PlanOptions) -> Plan {
    make(
        &fixture("host.conf"),
        &observed("host.jls.json", Some("host.ifconfig")),
        &host_record(),
        options,
    )
    .unwrap()
}

#[test]
fn seed_jails_created_by_jail8_have_no_phantom_differences() {
    let plan = make(
        Path::new("../fixtures/seed/jail.conf.d"),
        &observed("seed.jls.json", Some("seed.ifconfig")),
        &Record::default(),
        &PlanOptions::default(),
    )
    .unwrap();
    assert!(!plan.has_changes());
    assert_eq!(plan.count(ActionKind::Unchanged), 3);
    // The running vnet jail's epair is in use, not stale.
    assert!(plan.stale.is_empty());
    // Each jail is run from its own file, as rc.d does.
    assert_eq!(
        plan.actions[0].config_file.as_deref(),
        Some("../fixtures/seed/jail.conf.d/classic.conf")
    );
    insta::assert_snapshot!(snapshot(&plan));
}

#[test]
fn seed_through_the_including_jail_conf() {
    let plan = make(
        Path::new("../fixtures/seed/jail.conf"),
        &observed("seed.jls.json", Some("seed.ifconfig")),
        &Record::default(),
        &PlanOptions::default(),
    )
    .unwrap();
    assert!(!plan.has_changes());
    assert!(plan
        .actions
        .iter()
        .filter(|a| a.kind == ActionKind::Unchanged)
        .all(|a| a.config_file.as_deref() == Some("../fixtures/seed/jail.conf")));
}

#[test]
fn every_action_kind() {
    let plan = host_plan(&PlanOptions::default());
    insta::assert_snapshot!(snapshot(&plan));
}

#[test]
fn prune_removes_children_and_dependents_first() {
    let options = PlanOptions {
        prune: true,
        ..PlanOptions::default()
    };
    let plan = host_plan(&options);
    let removed: Vec<&str> = plan
        .actions
        .iter()
        .filter(|a| a.kind == ActionKind::Remove)
        .map(|a| a.jail.as_str())
        .collect();
    assert_eq!(removed, ["old.child", "legacy", "old"]);
    assert_eq!(plan.batches[0], [0, 1]);
    assert_eq!(plan.batches[1], [2]);
    insta::assert_snapshot!(snapshot(&plan));
}

#[test]
fn restart_on_config_change() {
    let options = PlanOptions {
        restart_on_config_change: true,
        ..PlanOptions::default()
    };
    let plan = host_plan(&options);
    let forms = plan.actions.iter().find(|a| a.jail == "forms").unwrap();
    assert_eq!(forms.kind, ActionKind::Restart);
    assert!(forms.deferred.is_empty());
    insta::assert_snapshot!(snapshot(&plan));
}

#[test]
fn without_record_nothing_is_deferred() {
    let plan = make(
        &fixture("host.conf"),
        &observed("host.jls.json", None),
        &Record::default(),
        &PlanOptions::default(),
    )
    .unwrap();
    assert!(plan.actions.iter().all(|a| a.deferred.is_empty()));
    let forms = plan.actions.iter().find(|a| a.jail == "forms").unwrap();
    assert_eq!(forms.kind, ActionKind::Unchanged);
    // No interfaces observed: nothing stale.
    assert!(plan.stale.is_empty());
}

#[test]
fn depend_chains_hierarchy_and_parallel_batches() {
    let plan = make(
        &fixture("depend.conf"),
        &observed("empty.jls.json", None),
        &Record::default(),
        &PlanOptions::default(),
    )
    .unwrap();
    let names = |batch: &Vec<usize>| -> Vec<String> {
        batch
            .iter()
            .map(|&i| plan.actions[i].jail.clone())
            .collect()
    };
    let batches: Vec<Vec<String>> = plan.batches.iter().map(names).collect();
    assert_eq!(
        batches,
        [
            vec!["storage", "a", "x"],
            vec!["db", "a.b", "y"],
            vec!["app"]
        ]
    );
    insta::assert_snapshot!(snapshot(&plan));
}

#[test]
fn selecting_jails_brings_their_dependencies() {
    let options = PlanOptions {
        jails: vec!["app".to_string()],
        ..PlanOptions::default()
    };
    let plan = make(
        &fixture("depend.conf"),
        &observed("empty.jls.json", None),
        &Record::default(),
        &options,
    )
    .unwrap();
    let names: Vec<&str> = plan.actions.iter().map(|a| a.jail.as_str()).collect();
    assert_eq!(names, ["storage", "db", "app"]);
    assert_eq!(plan.batches, [vec![0], vec![1], vec![2]]);

    let options = PlanOptions {
        jails: vec!["nosuch".to_string()],
        ..PlanOptions::default()
    };
    let error = make(
        &fixture("depend.conf"),
        &observed("empty.jls.json", None),
        &Record::default(),
        &options,
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "jail `nosuch` is neither configured nor running"
    );
}

#[test]
fn a_dependency_cycle_is_an_error() {
    let error = make(
        &fixture("cycle.conf"),
        &observed("empty.jls.json", None),
        &Record::default(),
        &PlanOptions::default(),
    )
    .unwrap_err();
    assert_eq!(error.to_string(), "dependency cycle: a -> b -> c -> a");
}

#[test]
fn nothing_to_do_says_so() {
    let plan = make(
        &fixture("depend.conf"),
        &Observed::default(),
        &Record::default(),
        &PlanOptions {
            jails: vec!["x".to_string()],
            ..PlanOptions::default()
        },
    )
    .unwrap();
    assert!(plan.has_changes());
    let mut plan = plan;
    plan.actions.clear();
    plan.batches.clear();
    assert_eq!(
        render::human(&plan, false),
        format!("{}\n", render::NO_CHANGES)
    );
}

#[test]
fn fingerprint_follows_the_observed_state() {
    let config = fixture("host.conf");
    let options = PlanOptions::default();
    let record = host_record();
    let mut host = observed("host.jls.json", Some("host.ifconfig"));
    let first = make(&config, &host, &record, &options).unwrap();
    let again = make(&config, &host, &record, &options).unwrap();
    assert_eq!(first.fingerprint, again.fingerprint);
    host.interfaces.pop();
    let changed = make(&config, &host, &record, &options).unwrap();
    assert_ne!(first.fingerprint, changed.fingerprint);
}

#[test]
fn a_jail_in_two_roots_is_an_error() {
    let dir = std::env::temp_dir().join(format!("jailconf-two-roots-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.conf"), "web { persist; }\n").unwrap();
    std::fs::write(dir.join("b.conf"), "web { persist; }\n").unwrap();
    let input = load(&dir);
    let error = Desired::from_input(&input).unwrap_err();
    assert!(error
        .to_string()
        .starts_with("jail `web` is defined in both"));
    let _ = std::fs::remove_dir_all(&dir);
}
