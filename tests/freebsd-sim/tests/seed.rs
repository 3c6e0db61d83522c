//! Drives the stand-ins through the seed article's workflows: the three
//! jails of fixtures/seed created with `jail -f F -c NAME`, inspected with
//! jls/jexec/ifconfig/zfs, modified and removed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

const SIM: &str = env!("CARGO_BIN_EXE_freebsd-sim");

struct Sim {
    _tmp: tempfile::TempDir,
    bin: PathBuf,
    state: PathBuf,
    seed: PathBuf,
}

fn seed_conf() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/seed/jail.conf")
}

impl Sim {
    /// A host like the article's: em0 20.0.0.20/24 in bridge0, the classic
    /// jail on ZFS with an @template snapshot, /jail/vnet a directory.
    fn seed() -> Sim {
        let sim = Sim::empty();
        sim.ok(
            "freebsd-sim",
            &[
                "init",
                "--interface",
                "em0=20.0.0.20/24",
                "--bridge",
                "bridge0:em0",
                "--dataset",
                "zroot/jail/classic=/jail/classic",
                "--file",
                "/jail/classic/etc/rc.conf=sshd_enable=YES",
                "--snapshot",
                "zroot/jail/classic@template",
                "--dir",
                "/jail/vnet",
                "--schg",
                "/jail/classic/lib/libc.so.7",
            ],
        );
        sim
    }

    fn empty() -> Sim {
        let tmp = tempfile::tempdir().expect("tempdir");
        let bin = tmp.path().join("bin");
        let state = tmp.path().join("state");
        let status = Command::new(SIM)
            .args(["install", bin.to_str().expect("utf-8")])
            .status()
            .expect("run freebsd-sim install");
        assert!(status.success());
        Sim {
            bin,
            state,
            seed: seed_conf(),
            _tmp: tmp,
        }
    }

    fn command(&self, tool: &str, args: &[&str]) -> Command {
        let program = if tool == "freebsd-sim" {
            PathBuf::from(SIM)
        } else {
            self.bin.join(tool)
        };
        let mut command = Command::new(program);
        let path = format!(
            "{}:{}",
            self.bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        command
            .args(args)
            .env("PATH", path)
            .env("JAILCONF_SIM_STATE", &self.state)
            .env_remove("JAILCONF_SIM_JAIL")
            .env_remove("JAILCONF_SIM_DELAY_MS")
            .env_remove("IFCONFIG_FORMAT");
        command
    }

    fn run(&self, tool: &str, args: &[&str]) -> Output {
        self.command(tool, args).output().expect("run stand-in")
    }

    fn ok(&self, tool: &str, args: &[&str]) -> String {
        let output = self.run(tool, args);
        assert!(
            output.status.success(),
            "{tool} {args:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    fn conf(&self) -> &str {
        self.seed.to_str().expect("utf-8")
    }

    fn create_seed_jails(&self) {
        self.ok(
            "zfs",
            &["clone", "zroot/jail/classic@template", "zroot/jail/shadow"],
        );
        for name in ["classic", "vnet", "shadow"] {
            let out = self.ok("jail", &["-f", self.conf(), "-c", name]);
            assert!(out.ends_with(&format!("{name}: created\n")), "{out}");
        }
    }

    fn jls_json(&self, extra: &[&str]) -> Value {
        let mut args = vec!["-d", "--libxo=json", "-n"];
        args.extend(extra);
        serde_json::from_str(&self.ok("jls", &args)).expect("jls JSON")
    }

    fn log(&self) -> Vec<Vec<String>> {
        std::fs::read_to_string(self.state.join("commands.log"))
            .expect("commands.log")
            .lines()
            .map(|l| serde_json::from_str(l).expect("log line"))
            .collect()
    }

    fn state(&self) -> Value {
        serde_json::from_str(&self.ok("freebsd-sim", &["dump"])).expect("state")
    }
}

fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

#[test]
fn seed_jails_start_and_show_in_jls_json() {
    let sim = Sim::seed();
    sim.create_seed_jails();
    let json = sim.jls_json(&[]);
    assert_eq!(json["__version"], "2");
    let jails = json["jail-information"]["jail"]
        .as_array()
        .expect("jail list");
    assert_eq!(jails.len(), 3);
    let classic = &jails[0];
    assert_eq!(classic["jid"], "1");
    assert_eq!(classic["name"], "classic");
    assert_eq!(classic["path"], "/jail/classic");
    assert_eq!(classic["host.hostname"], "classic");
    assert_eq!(classic["ip4.addr"], serde_json::json!(["20.0.0.50"]));
    assert_eq!(classic["ip4"], "disable");
    assert_eq!(classic["allow.raw_sockets"], true);
    assert_eq!(classic["persist"], false);
    assert_eq!(classic["dying"], false);
    assert_eq!(classic["securelevel"], "-1");
    assert_eq!(classic["vnet"], "inherit");
    let vnet = &jails[1];
    assert_eq!(vnet["vnet"], "new");
    assert_eq!(vnet["ip4"], "inherit");
    assert_eq!(vnet["ip4.addr"], serde_json::json!([]));
    assert_eq!(jails[2]["ip4.addr"], serde_json::json!(["20.0.0.51"]));
    // Exactly one key per kernel parameter of the table, plus nothing else.
    let kernel = jailconf_parser::params::all()
        .iter()
        .filter(|p| p.kind == jailconf_parser::params::ParamKind::Kernel)
        .count();
    assert_eq!(classic.as_object().expect("object").len(), kernel);

    // -j by name and by jid, and the envelope on one line.
    let text = sim.ok("jls", &["-d", "--libxo", "json", "-n", "-j", "vnet"]);
    assert!(text.starts_with("{\"__version\": \"2\", \"jail-information\": {\"jail\": [{"));
    assert!(text.ends_with("}]}}\n"));
    let one = sim.jls_json(&["-j", "3"]);
    assert_eq!(one["jail-information"]["jail"][0]["name"], "shadow");

    // The default table, as in the article.
    assert_eq!(
        sim.ok("jls", &[]),
        "   JID  IP Address      Hostname                      Path\n\
         \x20    1  20.0.0.50       classic                       /jail/classic\n\
         \x20    2                  vnet                          /jail/vnet\n\
         \x20    3  20.0.0.51       shadow                        /jail/shadow\n"
    );
    assert_eq!(sim.ok("jls", &["name"]), "classic\nvnet\nshadow\n");
}

#[test]
fn create_runs_the_sequence_and_logs_it() {
    let sim = Sim::seed();
    sim.create_seed_jails();
    let log = sim.log();
    let from = log
        .iter()
        .position(|l| l.first().map(String::as_str) == Some("jail"))
        .expect("jail logged");
    let conf = sim.conf();
    assert_eq!(
        log[from..].to_vec(),
        vec![
            argv(&["jail", "-f", conf, "-c", "classic"]),
            argv(&[
                "ifconfig",
                "em0",
                "inet",
                "20.0.0.50",
                "netmask",
                "255.255.255.255",
                "alias"
            ]),
            argv(&["/bin/sh", "/etc/rc"]),
            argv(&["jail", "-f", conf, "-c", "vnet"]),
            argv(&["ifconfig", "epair60", "create", "up"]),
            argv(&["ifconfig", "epair60a", "up", "descr", "jail:vnet"]),
            argv(&["ifconfig", "bridge0", "addm", "epair60a", "up"]),
            argv(&["ifconfig", "epair60b", "vnet", "2"]),
            argv(&["/bin/sh", "/etc/rc"]),
            argv(&["ifconfig", "epair60b", "20.0.0.60/24", "up"]),
            argv(&["route", "add", "default", "20.0.0.1"]),
            argv(&["jail", "-f", conf, "-c", "shadow"]),
            argv(&[
                "ifconfig",
                "em0",
                "inet",
                "20.0.0.51",
                "netmask",
                "255.255.255.255",
                "alias"
            ]),
            argv(&["/bin/sh", "/etc/rc"]),
        ]
    );
    // The aliases are on the host's em0; the epair's a end is in bridge0.
    let em0 = sim.ok("ifconfig", &["em0"]);
    assert!(
        em0.contains("\tinet 20.0.0.50 netmask 0xffffffff broadcast 20.0.0.50\n"),
        "{em0}"
    );
    let bridge = sim.ok("ifconfig", &["bridge0"]);
    assert!(bridge.contains("\tmember: epair60a flags=143<"), "{bridge}");
    let epair = sim.ok("ifconfig", &["epair60a"]);
    assert!(epair.contains("\tdescription: jail:vnet\n"), "{epair}");
    // epair60b is inside the jail now.
    let gone = sim.run("ifconfig", &["epair60b"]);
    assert_eq!(gone.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&gone.stderr),
        "ifconfig: interface epair60b does not exist\n"
    );
    // The thin jail's files came from the snapshot.
    let rc = sim.state.join("root/jail/shadow/etc/rc.conf");
    assert_eq!(
        std::fs::read_to_string(rc).expect("cloned file"),
        "sshd_enable=YES"
    );
}

#[test]
fn jexec_sees_the_jails_view() {
    let sim = Sim::seed();
    sim.create_seed_jails();
    let inside = sim.ok("jexec", &["vnet", "ifconfig"]);
    assert!(
        inside.contains("\tinet 20.0.0.60 netmask 0xffffff00 broadcast 20.0.0.255\n"),
        "{inside}"
    );
    assert!(inside.contains("lo0: "), "{inside}");
    assert!(!inside.contains("em0"), "{inside}");
    // The linter's parser reads the same output.
    let names: Vec<&str> = inside
        .lines()
        .filter(|l| !l.starts_with('\t'))
        .filter_map(|l| l.split(':').next())
        .collect();
    assert_eq!(names, ["epair60b", "lo0"]);
    assert_eq!(
        sim.ok("jexec", &["2", "route", "get", "default"])
            .lines()
            .nth(3),
        Some("    gateway: 20.0.0.1")
    );
    // A non-VNET jail sees the host's interfaces but only its address.
    let classic = sim.ok("jexec", &["classic", "ifconfig", "em0"]);
    assert!(classic.contains("inet 20.0.0.50 "), "{classic}");
    assert!(!classic.contains("20.0.0.20"), "{classic}");
    // Other programs are recorded, not run.
    assert_eq!(
        sim.ok("jexec", &["classic", "/bin/sh", "-c", "rm -rf /"]),
        ""
    );
    let unknown = sim.run("jexec", &["nosuch", "ifconfig"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&unknown.stderr),
        "jexec: jail \"nosuch\" not found\n"
    );
    let unknown = sim.run("jls", &["-j", "nosuch"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&unknown.stderr),
        "jls: jail \"nosuch\" not found\n"
    );
}

fn write_conf(sim: &Sim, name: &str, text: &str) -> String {
    let path = sim.state.parent().expect("tmp").join(name);
    std::fs::write(&path, text).expect("write conf");
    path.to_string_lossy().into_owned()
}

#[test]
fn modify_updates_kernel_parameters_only() {
    let sim = Sim::seed();
    sim.create_seed_jails();
    let conf = write_conf(
        &sim,
        "modify.conf",
        "classic { path = /jail/classic; securelevel = 3; allow.noraw_sockets; }\n",
    );
    assert_eq!(
        sim.ok("jail", &["-f", &conf, "-m", "classic"]),
        "classic: updated\n"
    );
    let classic = &sim.jls_json(&["-j", "classic"])["jail-information"]["jail"][0];
    assert_eq!(classic["securelevel"], "3");
    assert_eq!(classic["allow.raw_sockets"], false);
    // Unmentioned parameters keep their values.
    assert_eq!(classic["host.hostname"], "classic");
    assert_eq!(classic["ip4.addr"], serde_json::json!(["20.0.0.50"]));

    let conf = write_conf(&sim, "path.conf", "classic { path = /jail/elsewhere; }\n");
    let output = sim.run("jail", &["-f", &conf, "-m", "classic"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "jail: classic: path cannot be changed after creation\n"
    );
    assert_eq!(
        sim.jls_json(&["-j", "1"])["jail-information"]["jail"][0]["path"],
        "/jail/classic"
    );

    let missing = sim.run("jail", &["-f", &conf, "-m", "nosuch"]);
    assert_eq!(
        String::from_utf8_lossy(&missing.stderr),
        "jail: \"nosuch\" not found\n"
    );
    let again = sim.run("jail", &["-f", sim.conf(), "-c", "classic"]);
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&again.stderr),
        "jail: \"classic\" already exists\n"
    );
}

#[test]
fn remove_returns_the_epair_and_runs_poststop() {
    let sim = Sim::seed();
    sim.create_seed_jails();
    assert_eq!(
        sim.ok("jail", &["-f", sim.conf(), "-r", "vnet"]),
        "vnet: removed\n"
    );
    let log = sim.log();
    let at = log
        .iter()
        .rposition(|l| l == &argv(&["jail", "-f", sim.conf(), "-r", "vnet"]))
        .expect("logged");
    assert_eq!(
        log[at + 1..].to_vec(),
        vec![
            argv(&["/bin/sh", "/etc/rc.shutdown"]),
            argv(&["ifconfig", "epair60a", "destroy"]),
        ]
    );
    // exec.poststop destroyed both ends after epair60b came back.
    assert_eq!(sim.ok("ifconfig", &["-l"]), "em0 lo0 bridge0\n");
    assert!(!sim.ok("ifconfig", &["bridge0"]).contains("epair60a"));

    // Classic: the alias is removed again.
    sim.ok("jail", &["-f", sim.conf(), "-r", "classic"]);
    assert!(!sim.ok("ifconfig", &["em0"]).contains("20.0.0.50"));
    let missing = sim.run("jail", &["-f", sim.conf(), "-r", "classic"]);
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&missing.stderr),
        "jail: \"classic\" not found\n"
    );
    // -R: kernel removal only; the alias stays (spec §15 note 6).
    assert_eq!(sim.ok("jail", &["-R", "shadow"]), "");
    assert!(sim.ok("ifconfig", &["em0"]).contains("20.0.0.51"));
    assert_eq!(
        sim.jls_json(&[])["jail-information"]["jail"],
        serde_json::json!([])
    );
}

#[test]
fn epair_stays_in_the_jail_until_removal_only() {
    let sim = Sim::seed();
    sim.create_seed_jails();
    // Kernel-only removal: no poststop, epair60b returns to the host
    // without addresses and the leftover blocks the next create.
    sim.ok("jail", &["-R", "vnet"]);
    let back = sim.ok("ifconfig", &["epair60b"]);
    assert!(!back.contains("inet "), "{back}");
    let output = sim.run("jail", &["-f", sim.conf(), "-c", "vnet"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "ifconfig: SIOCIFCREATE2 (epair60): File exists\njail: vnet: ifconfig epair60 create up: failed\n"
    );
    sim.ok("ifconfig", &["epair60a", "destroy"]);
    sim.ok("jail", &["-f", sim.conf(), "-c", "vnet"]);
}

#[test]
fn failed_creation_walks_back() {
    let sim = Sim::seed();
    let conf = write_conf(
        &sim,
        "bad.conf",
        "bad { path = /jail/missing; ip4.addr = \"em0|20.0.0.99/24\"; exec.prestart = \"true\"; }\n",
    );
    let output = sim.run("jail", &["-f", &conf, "-c", "bad"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "jail: bad: path /jail/missing: No such file or directory\n"
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout), "");
    assert_eq!(
        sim.jls_json(&[])["jail-information"]["jail"],
        serde_json::json!([])
    );
    // The alias added before the failure was removed again.
    let log = sim.log();
    assert!(log.contains(&argv(&["ifconfig", "em0", "inet", "20.0.0.99/24", "alias"])));
    assert!(log.contains(&argv(&[
        "ifconfig",
        "em0",
        "inet",
        "20.0.0.99/24",
        "-alias"
    ])));
    assert!(!sim.ok("ifconfig", &["em0"]).contains("20.0.0.99"));
    let nosuch = sim.run("jail", &["-f", &conf, "-c", "other"]);
    assert_eq!(
        String::from_utf8_lossy(&nosuch.stderr),
        "jail: \"other\" not found\n"
    );

    // A failing hook after creation removes the jail again.
    let conf = write_conf(
        &sim,
        "hook.conf",
        "h { path = /jail/vnet; persist; exec.poststart = \"sh -c 'exit 3'\"; }\n",
    );
    let output = sim.run("jail", &["-f", &conf, "-c", "h"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "h: created\nh: removed\n"
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "jail: h: /bin/sh -c sh -c 'exit 3': failed\n"
    );
}

#[test]
fn zfs_and_chflags() {
    let sim = Sim::seed();
    assert_eq!(
        sim.ok(
            "zfs",
            &[
                "list",
                "-H",
                "-o",
                "name,mountpoint,origin",
                "zroot/jail/classic"
            ]
        ),
        "zroot/jail/classic\t/jail/classic\t-\n"
    );
    sim.ok(
        "zfs",
        &["clone", "zroot/jail/classic@template", "zroot/jail/shadow"],
    );
    assert_eq!(
        sim.ok("zfs", &["list", "-H", "-o", "name,mountpoint,origin", "-t", "all"]),
        "zroot\tnone\t-\nzroot/jail\t/jail\t-\nzroot/jail/classic\t/jail/classic\t-\n\
         zroot/jail/classic@template\t-\t-\nzroot/jail/shadow\t/jail/shadow\tzroot/jail/classic@template\n"
    );
    let missing = sim.run("zfs", &["list", "zroot/nope"]);
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&missing.stderr),
        "cannot open 'zroot/nope': dataset does not exist\n"
    );
    let busy = sim.run("zfs", &["destroy", "zroot/jail/classic"]);
    assert_eq!(busy.status.code(), Some(1));
    sim.ok("zfs", &["destroy", "zroot/jail/shadow"]);
    assert!(!sim.state.join("root/jail/shadow").exists());

    assert_eq!(
        sim.state()["flags"]["/jail/classic/lib/libc.so.7"],
        serde_json::json!(["schg"])
    );
    sim.ok("chflags", &["-R", "0", "/jail/classic"]);
    assert_eq!(sim.state()["flags"], serde_json::json!({}));
}

#[test]
fn concurrent_creates_with_delay_overlap() {
    let sim = Sim::empty();
    let mut init = vec!["init", "--interface", "em0=10.0.0.1/24"];
    let dirs: Vec<String> = (0..8).map(|i| format!("/jail/j{i}")).collect();
    for dir in &dirs {
        init.extend(["--dir", dir.as_str()]);
    }
    sim.ok("freebsd-sim", &init);
    let mut text = String::new();
    for i in 0..8 {
        text.push_str(&format!(
            "j{i} {{ path = /jail/j{i}; persist; ip4.addr = \"em0|10.0.0.{}\"; }}\n",
            10 + i
        ));
    }
    let conf = write_conf(&sim, "many.conf", &text);
    let start = Instant::now();
    let children: Vec<_> = (0..8)
        .map(|i| {
            sim.command("jail", &["-f", &conf, "-c", &format!("j{i}")])
                .env("JAILCONF_SIM_DELAY_MS", "300")
                .spawn()
                .expect("spawn jail")
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().expect("wait");
        assert!(output.status.success());
    }
    let elapsed = start.elapsed();
    // Eight 300 ms delays in parallel: far less than 8 × 300 ms.
    assert!(elapsed < Duration::from_millis(1500), "took {elapsed:?}");
    let json = sim.jls_json(&[]);
    let jails = json["jail-information"]["jail"].as_array().expect("list");
    assert_eq!(jails.len(), 8);
    let mut jids: Vec<&str> = jails.iter().filter_map(|j| j["jid"].as_str()).collect();
    jids.sort_unstable();
    jids.dedup();
    assert_eq!(jids.len(), 8, "unique jids");
    let em0 = sim.ok("ifconfig", &["em0"]);
    assert_eq!(em0.matches("\tinet ").count(), 9, "{em0}");
}

#[test]
fn missing_or_corrupt_state_is_a_clear_error() {
    let sim = Sim::empty();
    let output = sim.run("jls", &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("freebsd-sim init"));
    let unset = Command::new(sim.bin.join("jls"))
        .env_remove("JAILCONF_SIM_STATE")
        .output()
        .expect("run");
    assert_eq!(unset.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unset.stderr).contains("JAILCONF_SIM_STATE"));
    sim.ok("freebsd-sim", &["init"]);
    std::fs::write(sim.state.join("state.json"), "{not json").expect("write");
    let corrupt = sim.run("ifconfig", &["-a"]);
    assert_eq!(corrupt.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&corrupt.stderr).contains("corrupt state file"));
}
