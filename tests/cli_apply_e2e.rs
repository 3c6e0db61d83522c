//! `jailconf apply`, `status`, `run`, `new` and `destroy` end to end:
//! the real binary driving freebsd-sim's stand-ins for FreeBSD's
//! userland, on the seed article's jails — or, with `JAILCONF_E2E_REAL=1`
//! on a FreeBSD host as root, FreeBSD's own (see `ci/freebsd.sh` and
//! `tests/support/userland.rs`).

#[path = "support/userland.rs"]
mod userland;

use userland::{argv, Extra, Host};

/// The seed's three jails; shadow's root is a clone of classic@template.
fn seed_host() -> Host {
    let host = Host::seed(&["classic", "shadow", "vnet"], &[]);
    let template = format!("{}@template", host.dataset("classic"));
    host.tool_ok("zfs", &["clone", &template, &host.dataset("shadow")]);
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
    if host.snapshots("apply_seed", &run.stdout) {
        insta::assert_snapshot!("apply_seed", host.redact(&run.stdout));
    }
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
    let iface = format!("interface = {};\n", host.layout().iface);
    let text = host
        .read_conf("classic")
        .replace(&iface, &format!("{iface}    securelevel = 2;\n"));
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
    let host = Host::seed(&["classic", "vnet"], &[Extra::Dir("classic2")]);
    assert_eq!(host.apply(&["--yes"]).code, 0);
    let dir = &host.layout().jail_dir;
    let text = host.read_conf("classic").replace(
        &format!("path = \"{dir}/${{name}}\";"),
        &format!("path = \"{dir}/${{name}}2\";"),
    );
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
    assert_eq!(host.param("classic", "path"), host.path("classic2"));
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
    // One job at a time, so that the jids in the snapshot are stable.
    assert_eq!(
        host.apply(&["--yes", "--jobs", "1", "--jail", "classic", "--jail", "vnet"])
            .code,
        0
    );
    let run = host.with_conf("status", &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    if host.snapshots("status_seed", &run.stdout) {
        insta::assert_snapshot!("status_seed", host.redact(&run.stdout));
    }
    let vnet_ip = host.ip(host.id());
    assert!(run.stdout.contains(&vnet_ip), "{}", run.stdout);
    assert!(host.log().contains(&argv(&["jexec", "vnet", "ifconfig"])));

    let json = host.with_conf("status", &["--json"]);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("status JSON");
    assert_eq!(value["schema"], "jailconf.status/1");
    let vnet = &value["jails"][2];
    assert_eq!(vnet["name"], "vnet");
    assert_eq!(vnet["state"], "running");
    assert_eq!(vnet["vnet"], true);
    assert_eq!(vnet["addresses"], serde_json::json!([vnet_ip]));
    assert_eq!(value["jails"][1]["state"], "stopped");
}

#[test]
fn status_shows_drift() {
    let host = Host::seed(&["classic"], &[]);
    assert_eq!(host.apply(&["--yes"]).code, 0);
    let iface = format!("interface = {};\n", host.layout().iface);
    let text = host
        .read_conf("classic")
        .replace(&iface, &format!("{iface}    securelevel = 3;\n"));
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
    let template = format!("{}@template", host.dataset("classic"));

    let run = host.with_conf(
        "new",
        &[
            "shadow",
            "--from",
            "classic",
            "--ip",
            &host.ip(51),
            "--clone",
            &template,
        ],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    if host.snapshots("new_shadow", &run.stdout) {
        insta::assert_snapshot!("new_shadow", host.redact(&run.stdout));
    }
    assert_eq!(host.read_conf("shadow"), host.seed_conf("shadow"));
    assert_eq!(
        host.log_of("zfs", from)
            .into_iter()
            .filter(|a| a[1] == "clone")
            .collect::<Vec<_>>(),
        [argv(&["zfs", "clone", &template, &host.dataset("shadow")])]
    );

    let apply = host.apply(&["--yes"]);
    assert_eq!(apply.code, 0, "{}{}", apply.stdout, apply.stderr);
    assert!(
        apply.stdout.contains("+ shadow: created"),
        "{}",
        apply.stdout
    );
    assert_eq!(host.param("shadow", "ip4.addr"), host.ip(51));
    assert!(
        host.fs(&host.path("shadow")).join("etc/rc.conf").exists(),
        "cloned files"
    );
}

#[test]
fn new_refuses_taken_names_addresses_and_epairs() {
    let host = Host::seed(&["classic", "vnet"], &[]);
    assert_eq!(host.apply(&["--yes"]).code, 0);
    let id = host.id();
    let (next, vnet_ip, next_ip) = ((id + 1).to_string(), host.ip(id), host.ip(id + 1));

    let name = host.with_conf("new", &["vnet", "--from", "classic", "--ip", &host.ip(99)]);
    assert_eq!(name.code, 1);
    assert!(
        name.stderr.contains("the name vnet is used by vnet"),
        "{}",
        name.stderr
    );

    let address = host.with_conf("new", &["web", "--from", "classic", "--ip", &host.ip(50)]);
    assert_eq!(address.code, 1);
    assert!(
        address
            .stderr
            .contains(&format!("the address {} is used by classic", host.ip(50))),
        "{}",
        address.stderr
    );
    // The host's own address (em0's; the test bridge's on a real host).
    let host_address = host.with_conf("new", &["web", "--from", "classic", "--ip", &host.ip(20)]);
    assert_eq!(host_address.code, 1);

    let inside = host.with_conf(
        "new",
        &[
            "v2", "--from", "vnet", "--vnet", "--id", &next, "--ip", &vnet_ip,
        ],
    );
    assert_eq!(inside.code, 1);
    assert!(
        inside
            .stderr
            .contains(&format!("{vnet_ip} is used by vnet")),
        "{}",
        inside.stderr
    );

    let epair = host.with_conf("new", &["v2", "--from", "vnet", "--vnet", "--ip", &next_ip]);
    assert_eq!(epair.code, 1);
    assert!(
        epair.stderr.contains(&format!("epair{id} is used by vnet")),
        "{}",
        epair.stderr
    );

    assert!(!host.conf("web").exists() && !host.conf("v2").exists());

    let ok = host.with_conf(
        "new",
        &[
            "v2", "--from", "vnet", "--vnet", "--id", &next, "--ip", &next_ip,
        ],
    );
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let text = host.read_conf("v2");
    assert!(text.starts_with("v2 {\n"), "{text}");
    assert!(text.contains(&format!("$id = \"{next}\";")), "{text}");
    let net = &host.layout().net;
    assert!(
        text.contains(&format!("$ip = \"{net}.${{id}}/24\";"))
            || text.contains(&format!("$ip = \"{next_ip}/24\";"))
    );
}

#[test]
fn destroy_data_clears_flags_and_removes_files() {
    let host = seed_host();
    assert_eq!(host.apply(&["--yes"]).code, 0);
    let vnet_root = host.fs(&host.path("vnet"));
    std::fs::write(vnet_root.join("file"), "x").expect("write");
    // A link out of the jail's root must not be followed.
    let keep = host.dir().join("keep");
    std::fs::create_dir_all(&keep).expect("mkdir");
    std::fs::write(keep.join("precious"), "keep").expect("write");
    std::os::unix::fs::symlink(&keep, vnet_root.join("escape")).expect("symlink");
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
    if host.snapshots("destroy_vnet", &run.stdout) {
        insta::assert_snapshot!("destroy_vnet", host.redact(&run.stdout));
    }
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
        [argv(&["chflags", "-R", "0", &host.path("vnet")])]
    );
    assert!(!vnet_root.exists());
    assert!(!host.conf("vnet").exists());
    assert_eq!(
        std::fs::read_to_string(keep.join("precious")).expect("kept"),
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
        [argv(&["zfs", "destroy", &host.dataset("shadow")])]
    );
    assert!(host.log_of("chflags", from).is_empty());
    assert_eq!(host.running(), ["classic"]);
}

#[test]
fn run_starts_a_single_process_jail_in_the_foreground() {
    let host = Host::seed(&[], &[Extra::Shell("shell")]);
    host.write_conf(
        "shell",
        &format!(
            "shell {{\n    path = {};\n    host.hostname = shell;\n    command = /sh;\n}}\n",
            host.path("shell")
        ),
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

// The support module's pure parts: the generated configurations and the
// real mode's command log.
fn real_layout() -> userland::Layout {
    userland::Layout {
        jail_dir: "/tmp/.tmpX/jails".to_string(),
        datasets: "zroot/jailconf-e2e-1-0".to_string(),
        iface: "vtnet0".to_string(),
        bridge: "bridge3".to_string(),
        net: "192.0.2".to_string(),
        id: 70,
        real: Some(userland::RealConf {
            console_dir: "/tmp/.tmpX/log".to_string(),
        }),
    }
}

#[test]
fn sim_configurations_are_the_seed_files() {
    for jail in ["classic", "shadow", "vnet"] {
        let seed = std::fs::read_to_string(userland::seed_dir().join(format!("{jail}.conf")))
            .expect("seed");
        assert_eq!(
            userland::test_conf(&seed, &userland::Layout::sim()),
            seed,
            "{jail}"
        );
    }
}

#[test]
fn real_configurations_use_the_layout() {
    let layout = real_layout();
    let vnet = std::fs::read_to_string(userland::seed_dir().join("vnet.conf")).expect("seed");
    let text = userland::test_conf(&vnet, &layout);
    for expected in [
        "    persist;\n",
        "path = \"/tmp/.tmpX/jails/${name}\";",
        "exec.consolelog = \"/tmp/.tmpX/log/jail_console_${name}.log\";",
        "$id = \"70\";",
        "$ip = \"192.0.2.${id}/24\";",
        "$gw = \"192.0.2.1\";",
        "$br = \"bridge3\";",
        "exec.start    += \"ifconfig ${if}b ${ip} up\";",
    ] {
        assert!(text.contains(expected), "{expected:?} in\n{text}");
    }
    assert!(!text.contains("exec.clean"), "{text}");
    let classic = std::fs::read_to_string(userland::seed_dir().join("classic.conf")).expect("seed");
    let text = userland::test_conf(&classic, &layout);
    assert!(text.contains("interface = vtnet0;"), "{text}");
    assert!(text.contains("ip4.addr = 192.0.2.50;"), "{text}");
}

#[test]
fn wrapper_log_round_trips_awkward_arguments() {
    let log = "jail\u{1f}-f\u{1f}/x/it's \"a\"\n;b.conf\u{1f}-c\u{1f}a;touch PWNED\u{1f}\u{1e}\
               zfs\u{1f}\u{1f}\u{1e}";
    assert_eq!(
        userland::parse_wrapper_log(log),
        [
            argv(&[
                "jail",
                "-f",
                "/x/it's \"a\"\n;b.conf",
                "-c",
                "a;touch PWNED"
            ]),
            argv(&["zfs", ""]),
        ]
    );
}

#[test]
fn wrapper_script_records_the_call_and_runs_the_tool() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let log = tmp.path().join("commands.log");
    let wrapper = tmp.path().join("jail");
    userland::write_wrapper(&wrapper, "jail", std::path::Path::new("/bin/echo"), &log);
    let awkward = [
        "-f",
        "/x/it's \"a\"\n;b.conf",
        "-c",
        "a;touch PWNED",
        "",
        "$(x) `y`\n",
    ];
    for args in [&awkward[..], &[]] {
        let output = std::process::Command::new(&wrapper)
            .args(args)
            .current_dir(tmp.path())
            .output()
            .expect("run the wrapper");
        assert!(output.status.success());
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            format!("{}\n", args.join(" "))
        );
    }
    let text = std::fs::read_to_string(&log).expect("log");
    let mut first = vec!["jail"];
    first.extend_from_slice(&awkward);
    assert_eq!(
        userland::parse_wrapper_log(&text),
        [argv(&first), argv(&["jail"])]
    );
    assert!(!tmp.path().join("PWNED").exists());
}
