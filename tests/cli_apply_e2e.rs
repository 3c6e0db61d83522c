//! `jailconf apply`, `status`, `run`, `new` and `destroy` end to end:
//! the real binary driving freebsd-sim's stand-ins for FreeBSD's
//! userland, on the seed article's jails.

#[path = "support/userland.rs"]
mod userland;

use userland::{argv, Host};

/// The seed's three jails; shadow's root is a clone of classic@template.
fn seed_host() -> Host {
    let host = Host::seed(&["classic", "shadow", "vnet"], &[]);
    host.sim_ok(
        "zfs",
        &["clone", "zroot/jail/classic@template", "zroot/jail/shadow"],
    );
    host
}

fn conf_arg(host: &Host, jail: &str) -> String {
    host.conf(jail).display().to_string()
}

#[test]
fn seed_jails_go_from_nothing_to_running_and_stay() {
    let host = seed_host();
    let run = host.apply(&["--yes", "--jobs", "1"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    insta::assert_snapshot!("apply_seed", host.redact(&run.stdout));
    assert_eq!(host.running(), ["classic", "shadow", "vnet"]);
    let creates = host.log_of("jail", 0);
    for name in ["classic", "shadow", "vnet"] {
        let expected = argv(&["jail", "-f", &conf_arg(&host, name), "-c", name]);
        assert!(creates.contains(&expected), "{creates:?}");
    }

    let again = host.with_conf("plan", &[]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    assert!(again.stdout.contains("No changes"), "{}", again.stdout);
    let nothing = host.apply(&["--yes"]);
    assert_eq!(nothing.code, 0);
    assert!(nothing.stdout.contains("No changes"), "{}", nothing.stdout);
}

#[test]
fn parallel_apply_starts_every_jail() {
    let host = seed_host();
    let run = host.apply(&["--yes", "--jobs", "3"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run
        .stdout
        .contains("Apply complete: 3 done, 0 failed, 0 skipped."));
    let mut running = host.running();
    running.sort();
    assert_eq!(running, ["classic", "shadow", "vnet"]);
}

#[test]
fn securelevel_change_modifies_in_place() {
    let host = seed_host();
    assert_eq!(host.apply(&["--yes"]).code, 0);
    let jid = host.param("classic", "jid");
    let text = host.read_conf("classic").replace(
        "interface = em0;\n",
        "interface = em0;\n    securelevel = 2;\n",
    );
    host.write_conf("classic", &text);
    let from = host.log().len();

    let run = host.apply(&["--yes"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("~ classic: modified"), "{}", run.stdout);
    assert_eq!(
        host.log_of("jail", from),
        [argv(&[
            "jail",
            "-f",
            &conf_arg(&host, "classic"),
            "-m",
            "classic"
        ])]
    );
    assert_eq!(host.param("classic", "securelevel"), "2");
    assert_eq!(host.param("classic", "jid"), jid, "modified, not restarted");
}

#[test]
fn path_change_restarts_with_r_then_c() {
    let host = Host::seed(&["classic", "vnet"], &["--dir", "/jail/classic2"]);
    assert_eq!(host.apply(&["--yes"]).code, 0);
    let text = host
        .read_conf("classic")
        .replace("path = \"/jail/${name}\";", "path = \"/jail/${name}2\";");
    host.write_conf("classic", &text);
    let from = host.log().len();

    let run = host.apply(&["--yes"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("-/+ classic: restarted"),
        "{}",
        run.stdout
    );
    let conf = conf_arg(&host, "classic");
    assert_eq!(
        host.log_of("jail", from),
        [
            argv(&["jail", "-f", &conf, "-r", "classic"]),
            argv(&["jail", "-f", &conf, "-c", "classic"]),
        ]
    );
    assert!(!host.log().iter().any(|a| a.contains(&"-rc".to_string())));
    assert_eq!(host.param("classic", "path"), "/jail/classic2");
}

#[test]
fn prune_removes_a_jail_gone_from_the_configuration() {
    let host = seed_host();
    assert_eq!(host.apply(&["--yes"]).code, 0);
    std::fs::remove_file(host.conf("vnet")).expect("remove vnet.conf");

    let kept = host.apply(&["--yes"]);
    assert_eq!(kept.code, 0);
    assert!(
        host.running().contains(&"vnet".to_string()),
        "kept without --prune"
    );

    let from = host.log().len();
    let run = host.apply(&["--yes", "--prune"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("- vnet: removed"), "{}", run.stdout);
    assert_eq!(host.log_of("jail", from), [argv(&["jail", "-R", "vnet"])]);
    let mut running = host.running();
    running.sort();
    assert_eq!(running, ["classic", "shadow"]);
}

#[test]
fn status_shows_every_address_including_vnet() {
    let host = Host::seed(&["classic", "shadow", "vnet"], &[]);
    assert_eq!(
        host.apply(&["--yes", "--jail", "classic", "--jail", "vnet"])
            .code,
        0
    );
    let run = host.with_conf("status", &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    insta::assert_snapshot!("status_seed", host.redact(&run.stdout));
    assert!(run.stdout.contains("20.0.0.60"));
    assert!(host.log().contains(&argv(&["jexec", "vnet", "ifconfig"])));

    let json = host.with_conf("status", &["--json"]);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("status JSON");
    assert_eq!(value["schema"], "jailconf.status/1");
    let vnet = &value["jails"][2];
    assert_eq!(vnet["name"], "vnet");
    assert_eq!(vnet["state"], "running");
    assert_eq!(vnet["vnet"], true);
    assert_eq!(vnet["addresses"], serde_json::json!(["20.0.0.60"]));
    assert_eq!(value["jails"][1]["state"], "stopped");
}

#[test]
fn status_shows_drift() {
    let host = Host::seed(&["classic"], &[]);
    assert_eq!(host.apply(&["--yes"]).code, 0);
    let text = host.read_conf("classic").replace(
        "interface = em0;\n",
        "interface = em0;\n    securelevel = 3;\n",
    );
    host.write_conf("classic", &text);
    let run = host.with_conf("status", &[]);
    assert!(run.stdout.contains("classic  drifted"), "{}", run.stdout);
    assert!(
        run.stdout.contains("securelevel: -1 -> 3"),
        "{}",
        run.stdout
    );
}

#[test]
fn new_thin_jail_from_classic_with_a_clone() {
    let host = Host::seed(&["classic", "vnet"], &[]);
    assert_eq!(host.apply(&["--yes"]).code, 0);
    let from = host.log().len();

    let run = host.with_conf(
        "new",
        &[
            "shadow",
            "--from",
            "classic",
            "--ip",
            "20.0.0.51",
            "--clone",
            "zroot/jail/classic@template",
        ],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    insta::assert_snapshot!("new_shadow", host.redact(&run.stdout));
    assert_eq!(
        host.read_conf("shadow"),
        std::fs::read_to_string(userland::seed_dir().join("shadow.conf")).expect("seed shadow")
    );
    assert_eq!(
        host.log_of("zfs", from)
            .into_iter()
            .filter(|a| a[1] == "clone")
            .collect::<Vec<_>>(),
        [argv(&[
            "zfs",
            "clone",
            "zroot/jail/classic@template",
            "zroot/jail/shadow"
        ])]
    );

    let apply = host.apply(&["--yes"]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    assert!(
        apply.stdout.contains("+ shadow: created"),
        "{}",
        apply.stdout
    );
    assert_eq!(host.param("shadow", "ip4.addr"), "20.0.0.51");
    assert!(
        host.root().join("jail/shadow/etc/rc.conf").exists(),
        "cloned files"
    );
}

#[test]
fn new_refuses_taken_names_addresses_and_epairs() {
    let host = Host::seed(&["classic", "vnet"], &[]);
    assert_eq!(host.apply(&["--yes"]).code, 0);

    let name = host.with_conf("new", &["vnet", "--from", "classic", "--ip", "20.0.0.99"]);
    assert_eq!(name.code, 1);
    assert!(
        name.stderr.contains("the name vnet is used by vnet"),
        "{}",
        name.stderr
    );

    let address = host.with_conf("new", &["web", "--from", "classic", "--ip", "20.0.0.50"]);
    assert_eq!(address.code, 1);
    assert!(
        address
            .stderr
            .contains("the address 20.0.0.50 is used by classic"),
        "{}",
        address.stderr
    );
    let host_address = host.with_conf("new", &["web", "--from", "classic", "--ip", "20.0.0.20"]);
    assert_eq!(host_address.code, 1);

    let inside = host.with_conf(
        "new",
        &[
            "v2",
            "--from",
            "vnet",
            "--vnet",
            "--id",
            "61",
            "--ip",
            "20.0.0.60",
        ],
    );
    assert_eq!(inside.code, 1);
    assert!(
        inside.stderr.contains("20.0.0.60 is used by vnet"),
        "{}",
        inside.stderr
    );

    let epair = host.with_conf(
        "new",
        &["v2", "--from", "vnet", "--vnet", "--ip", "20.0.0.61"],
    );
    assert_eq!(epair.code, 1);
    assert!(
        epair.stderr.contains("epair60 is used by vnet"),
        "{}",
        epair.stderr
    );

    assert!(!host.conf("web").exists() && !host.conf("v2").exists());

    let ok = host.with_conf(
        "new",
        &[
            "v2",
            "--from",
            "vnet",
            "--vnet",
            "--id",
            "61",
            "--ip",
            "20.0.0.61",
        ],
    );
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let text = host.read_conf("v2");
    assert!(text.starts_with("v2 {\n"), "{text}");
    assert!(text.contains("$id = \"61\";"), "{text}");
    assert!(
        text.contains("$ip = \"20.0.0.${id}/24\";") || text.contains("$ip = \"20.0.0.61/24\";")
    );
}

#[test]
fn destroy_data_clears_flags_and_removes_files() {
    let host = seed_host();
    assert_eq!(host.apply(&["--yes"]).code, 0);
    std::fs::write(host.root().join("jail/vnet/file"), "x").expect("write");
    // A link out of the jail's root must not be followed.
    std::fs::create_dir_all(host.root().join("keep")).expect("mkdir");
    std::fs::write(host.root().join("keep/precious"), "keep").expect("write");
    std::os::unix::fs::symlink(
        host.root().join("keep"),
        host.root().join("jail/vnet/escape"),
    )
    .expect("symlink");
    let root = host.root().display().to_string();
    let lock = host.lock_file().display().to_string();

    let refused = host.with_conf(
        "destroy",
        &["vnet", "--data", "--root", &root, "--lock-file", &lock],
    );
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("--yes"), "{}", refused.stderr);
    assert!(host.running().contains(&"vnet".to_string()), "nothing done");

    let from = host.log().len();
    let run = host.with_conf(
        "destroy",
        &[
            "vnet",
            "--data",
            "--yes",
            "--remove-config",
            "--root",
            &root,
            "--lock-file",
            &lock,
        ],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    insta::assert_snapshot!("destroy_vnet", host.redact(&run.stdout));
    assert_eq!(
        host.log_of("jail", from),
        [argv(&[
            "jail",
            "-f",
            &conf_arg(&host, "vnet"),
            "-r",
            "vnet"
        ])]
    );
    assert_eq!(
        host.log_of("chflags", from),
        [argv(&["chflags", "-R", "0", "/jail/vnet"])]
    );
    assert!(!host.root().join("jail/vnet").exists());
    assert!(!host.conf("vnet").exists());
    assert_eq!(
        std::fs::read_to_string(host.root().join("keep/precious")).expect("kept"),
        "keep"
    );

    // A clone is destroyed with zfs.
    let from = host.log().len();
    let run = host.with_conf(
        "destroy",
        &[
            "shadow",
            "--data",
            "--yes",
            "--root",
            &root,
            "--lock-file",
            &lock,
        ],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        host.log_of("zfs", from)
            .into_iter()
            .filter(|a| a[1] == "destroy")
            .collect::<Vec<_>>(),
        [argv(&["zfs", "destroy", "zroot/jail/shadow"])]
    );
    assert!(host.log_of("chflags", from).is_empty());
    assert_eq!(host.running(), ["classic"]);
}

#[test]
fn run_starts_a_single_process_jail_in_the_foreground() {
    let host = Host::seed(&[], &["--dir", "/jail/shell"]);
    host.write_conf(
        "shell",
        "shell {\n    path = /jail/shell;\n    host.hostname = shell;\n    command = /sh;\n}\n",
    );
    let plan = host.apply(&["--yes"]);
    assert_eq!(plan.code, 0);
    assert!(plan.stdout.contains("ephemeral"), "{}", plan.stdout);
    assert!(host.log_of("jail", 0).is_empty(), "apply never starts it");

    let run = host.with_conf("run", &["shell"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        host.log_of("jail", 0),
        [argv(&[
            "jail",
            "-f",
            &conf_arg(&host, "shell"),
            "-c",
            "shell"
        ])]
    );
    let missing = host.with_conf("run", &["nope"]);
    assert_eq!(missing.code, 1);
}
