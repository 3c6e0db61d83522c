//! `jailconf apply` when things go wrong: a jail that fails to start, a
//! stale saved plan, a second apply holding the lock, hostile names and
//! values, and no confirmation. Driven through the real binary with
//! freebsd-sim's stand-ins — or, with `JAILCONF_E2E_REAL=1` on a FreeBSD
//! host as root, FreeBSD's own (see `tests/support/userland.rs`).

#[path = "support/userland.rs"]
mod userland;

use std::fs::File;
use std::io::Write;
use std::time::Duration;

use userland::{argv, Extra, Host};

#[test]
fn failed_create_stops_new_work_and_a_rerun_converges() {
    // No clone for shadow: /jail/shadow does not exist.
    let host = Host::seed(&["classic", "shadow", "vnet"], &[]);
    let run = host.apply(&["--yes", "--jobs", "1"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    if host.snapshots("apply_failed", &run.stdout) {
        insta::assert_snapshot!("apply_failed", host.redact(&run.stdout));
    }
    assert!(
        run.stdout.contains(&format!(
            "jail: shadow: path {}: No such file or directory",
            host.path("shadow")
        )),
        "{}",
        run.stdout
    );
    assert_eq!(host.running(), ["classic"], "vnet was never started");

    // Fix the cause, apply again: only what is missing is done.
    let template = format!("{}@template", host.dataset("classic"));
    host.tool_ok("zfs", &["clone", &template, &host.dataset("shadow")]);
    let from = host.log().len();
    let rerun = host.apply(&["--yes", "--jobs", "1"]);
    assert_eq!(rerun.code, 0, "{}{}", rerun.stdout, rerun.stderr);
    let creates: Vec<String> = host
        .log_of("jail", from)
        .into_iter()
        .map(|a| a.join(" "))
        .collect();
    assert_eq!(creates.len(), 2, "{creates:?}");
    assert!(creates[0].ends_with("-c shadow") && creates[1].ends_with("-c vnet"));
    assert_eq!(host.running(), ["classic", "shadow", "vnet"]);
    let plan = host.with_conf("plan", &[]);
    assert_eq!(plan.code, 0);
    assert!(plan.stdout.contains("No changes"));
}

#[test]
fn parallel_failure_leaves_other_jails_alone() {
    let host = Host::seed(&["classic", "shadow", "vnet"], &[]);
    let run = host.apply(&["--yes", "--jobs", "4"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("x shadow: failed to create"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!(
            "jail: shadow: path {}: No such file or directory",
            host.path("shadow")
        )),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("Apply failed: "), "{}", run.stdout);
    assert!(!host.running().contains(&"shadow".to_string()));
}

#[test]
fn a_stale_saved_plan_is_refused() {
    let host = Host::seed(&["classic", "vnet"], &[]);
    let plan_file = host.dir().join("plan.json");
    let plan_arg = plan_file.display().to_string();
    let plan = host.with_conf("plan", &["--out", &plan_arg]);
    assert_eq!(plan.code, 2, "the plan has changes: {}", plan.stderr);

    // Someone starts classic by hand: the host changed.
    let conf = host.conf("classic").display().to_string();
    host.tool_ok("jail", &["-f", &conf, "-c", "classic"]);
    let from = host.log().len();
    let stale = host.apply(&[&plan_arg, "--yes"]);
    assert_eq!(stale.code, 1, "{}", stale.stdout);
    assert!(
        stale.stderr.contains(
            "the host or configuration changed since the plan was made; run jailconf plan again"
        ),
        "{}",
        stale.stderr
    );
    assert!(host.log_of("jail", from).is_empty(), "nothing was run");

    // A configuration change makes it stale too.
    assert_eq!(host.with_conf("plan", &["--out", &plan_arg]).code, 2);
    let id = host.id();
    let text = host.read_conf("vnet").replace(
        &format!("$id = \"{id}\";"),
        &format!("$id = \"{}\";", id + 1),
    );
    host.write_conf("vnet", &text);
    assert_eq!(host.apply(&[&plan_arg, "--yes"]).code, 1);

    // A fresh plan is applied as saved.
    assert_eq!(host.with_conf("plan", &["--out", &plan_arg]).code, 2);
    let fresh = host.apply(&[&plan_arg, "--yes"]);
    assert_eq!(fresh.code, 0, "{}{}", fresh.stdout, fresh.stderr);
    assert_eq!(host.running(), ["classic", "vnet"]);
}

#[test]
fn a_second_apply_fails_on_the_lock_or_waits_for_it() {
    let host = Host::seed(&["classic"], &[]);
    let mut held = File::create(host.lock_file()).expect("create lock");
    held.lock().expect("lock");
    writeln!(held, "4242").expect("write pid");

    let run = host.apply(&["--yes"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("is locked by process 4242"),
        "{}",
        run.stderr
    );
    assert!(host.log_of("jail", 0).is_empty());

    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(400));
        drop(held);
    });
    let waited = host.apply(&["--yes", "--lock-timeout", "10"]);
    release.join().expect("release");
    assert_eq!(waited.code, 0, "{}{}", waited.stdout, waited.stderr);
    assert_eq!(host.running(), ["classic"]);
}

#[test]
fn hostile_names_and_paths_never_reach_a_shell() {
    let root = "$(touch PWNED2) x;y";
    let host = Host::seed(&[], &[Extra::Dir(root)]);
    let path = host.path(root);
    // A configuration directory and file whose names are shell code too.
    let dir = host.dir().join("conf $(touch PWNED3);`touch PWNED4`");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let file = dir.join("it's \"a\"\n;touch PWNED5.conf");
    std::fs::write(
        &file,
        format!(
            "\"a;touch PWNED\" {{\n    path = '{path}';\n    host.hostname = \"it's \\\"h\\\" $(x)\";\n    persist;\n}}\n"
        ),
    )
    .expect("write conf");
    let conf = dir.display().to_string();
    let lock = host.lock_file().display().to_string();

    let dry = host.jailconf(&["apply", "-f", &conf, "--dry-run"]);
    assert_eq!(dry.code, 0, "{}{}", dry.stdout, dry.stderr);
    assert!(
        dry.stdout.contains("-c 'a;touch PWNED'"),
        "shown quoted: {}",
        dry.stdout
    );

    let run = host.jailconf(&["apply", "-f", &conf, "--lock-file", &lock, "--yes"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        host.log_of("jail", 0),
        [argv(&[
            "jail",
            "-f",
            &file.display().to_string(),
            "-c",
            "a;touch PWNED"
        ])]
    );
    assert_eq!(host.running(), ["a;touch PWNED"]);
    assert_eq!(host.param("a;touch PWNED", "path"), path);
    let jails = host.fs(&host.layout().jail_dir);
    for dir in [
        host.dir().to_path_buf(),
        host.dir().join("work"),
        host.root(),
        jails,
    ] {
        let found: Vec<_> = std::fs::read_dir(&dir)
            .expect("read dir")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with("PWNED"))
            .collect();
        assert!(found.is_empty(), "{found:?} created in {}", dir.display());
    }

    let status = host.jailconf(&["status", "-f", &conf]);
    assert_eq!(status.code, 0, "{}", status.stderr);
    assert!(
        status.stdout.contains("a;touch PWNED  running"),
        "{}",
        status.stdout
    );
}

#[test]
fn dry_run_prints_the_commands_and_runs_nothing() {
    let host = Host::seed(&["classic", "vnet"], &[]);
    let run = host.apply(&["--dry-run", "--jobs", "1"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    if host.snapshots("apply_dry_run", &run.stdout) {
        insta::assert_snapshot!("apply_dry_run", host.redact(&run.stdout));
    }
    for name in ["classic", "vnet"] {
        let line = format!("jail -f {} -c {name}\n", host.conf(name).display());
        assert!(run.stdout.contains(&line), "{line:?} in {}", run.stdout);
    }
    assert!(host.log_of("jail", 0).is_empty());
    assert!(host.running().is_empty());
}

#[test]
fn without_yes_and_without_a_terminal_apply_refuses() {
    let host = Host::seed(&["classic"], &[]);
    let run = host.apply(&[]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("use --yes"), "{}", run.stderr);
    assert!(host.log_of("jail", 0).is_empty());
}

#[test]
fn cleanup_stale_destroys_a_leftover_epair_first() {
    // A failed start left epair60a on the host: `ifconfig epair60 create`
    // in vnet's exec.prestart fails until it is destroyed.
    let host = Host::seed(&["vnet"], &[Extra::StaleEpair]);
    let stale = format!("epair{}a", host.id());
    let plain = host.apply(&["--yes"]);
    assert_eq!(plain.code, 1, "{}{}", plain.stdout, plain.stderr);
    assert!(
        plain.stdout.contains("x vnet: failed to create"),
        "{}",
        plain.stdout
    );

    let from = host.log().len();
    let run = host.apply(&["--yes", "--cleanup-stale"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("x vnet: cleaned up"), "{}", run.stdout);
    let log: Vec<Vec<String>> = host.log().into_iter().skip(from).collect();
    let destroy = log
        .iter()
        .position(|a| *a == argv(&["ifconfig", &stale, "destroy"]))
        .expect("the stale epair destroyed");
    let create = log
        .iter()
        .position(|a| a.first().map(String::as_str) == Some("jail"))
        .expect("vnet created");
    assert!(destroy < create, "{log:?}");
    assert_eq!(host.running(), ["vnet"]);
}

#[test]
fn json_report_names_the_failed_jail_and_jail8_message() {
    let host = Host::seed(&["classic", "shadow"], &[]);
    let without_yes = host.apply(&["--json"]);
    assert_eq!(without_yes.code, 1, "{}", without_yes.stderr);
    assert!(
        without_yes.stderr.contains("--yes"),
        "{}",
        without_yes.stderr
    );

    let dry = host.apply(&["--json", "--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    let dry: serde_json::Value = serde_json::from_str(&dry.stdout).expect("JSON");
    assert_eq!(dry["schema"], "jailconf.apply/1");
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["commands"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        host.running(),
        Vec::<String>::new(),
        "a dry run runs nothing"
    );

    let run = host.apply(&["--json", "--yes", "--jobs", "1"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(report["success"], false);
    assert_eq!(report["done"][0]["jail"], "classic");
    assert_eq!(report["done"][0]["action"], "create");
    let failed = &report["failed"][0];
    assert_eq!(failed["jail"], "shadow");
    assert_eq!(failed["status"], 1);
    assert_eq!(
        failed["stderr"],
        format!(
            "jail: shadow: path {}: No such file or directory",
            host.path("shadow")
        )
    );
    assert_eq!(failed["command"][3], "-c");
}
