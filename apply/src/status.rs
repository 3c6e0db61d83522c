//! `jailconf status`: configured and running jails side by side.
//!
//! Each jail gets a state — `running` (matches the configuration),
//! `stopped` (configured, not running), `drifted` (running, differs from
//! the configuration), `unmanaged` (running, not configured) or
//! `ephemeral` (a single-process jail apply never starts) — with its jid,
//! hostname, path, every address and the plan's changes for it. jls(8)
//! cannot show a VNET jail's addresses (they live in the jail's own network
//! stack), so those are read inside the jail with `jexec NAME ifconfig`.

use std::fmt::Write;
use std::net::IpAddr;

use serde::Serialize;

use crate::desired::{Desired, DesiredJail};
use crate::observe::parse_ifconfig;
use crate::plan::{Action, ActionKind, Change, Plan};
use crate::runner::Runner;
use crate::scaffold::{addresses_of, parse_address};
use crate::state::{Observed, ObservedValue, RunningJail};

/// JSON schema name of `jailconf status --json`.
pub const STATUS_SCHEMA: &str = "jailconf.status/1";

/// The status of a host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Status {
    /// Always [`STATUS_SCHEMA`].
    pub schema: String,
    /// Configured jails in configuration order, then running jails that
    /// are not configured, in jls order.
    pub jails: Vec<JailStatus>,
}

/// One jail's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Running as configured.
    Running,
    /// Configured, not running.
    Stopped,
    /// Running, but differs from the configuration.
    Drifted,
    /// Running, not configured.
    Unmanaged,
    /// A single-process jail (`command` without `persist`).
    Ephemeral,
}

impl State {
    /// The word shown in the table.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Running => "running",
            State::Stopped => "stopped",
            State::Drifted => "drifted",
            State::Unmanaged => "unmanaged",
            State::Ephemeral => "ephemeral",
        }
    }
}

/// One row of the status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JailStatus {
    /// The jail's name.
    pub name: String,
    /// Its state.
    pub state: State,
    /// Whether the configuration defines it.
    pub configured: bool,
    /// The configuration file defining it.
    pub config_file: Option<String>,
    /// The kernel's jail id, when running.
    pub jid: Option<u32>,
    /// `host.hostname` (running, else configured).
    pub hostname: Option<String>,
    /// `path` (running, else configured).
    pub path: Option<String>,
    /// Whether the jail has its own network stack.
    pub vnet: bool,
    /// Every address: `ip4.addr`/`ip6.addr`, and for a running VNET jail
    /// the addresses of its interfaces (loopback and link-local left out);
    /// for a stopped jail, the configured ones.
    pub addresses: Vec<String>,
    /// Why the addresses may be incomplete (`jexec` failed).
    pub address_error: Option<String>,
    /// Kernel parameter differences (running → configured).
    pub drift: Vec<Change>,
    /// Differences that take effect on the next restart only.
    pub deferred: Vec<Change>,
}

/// Builds the status from the configuration, the observed host and a plan
/// made for them (without `--prune`). `runner` runs `jexec NAME ifconfig`
/// for running VNET jails.
pub fn status(desired: &Desired, observed: &Observed, plan: &Plan, runner: &dyn Runner) -> Status {
    let mut jails = Vec::new();
    for jail in &desired.jails {
        let running = find_running(observed, &jail.name);
        let action = plan.actions.iter().find(|a| a.jail == jail.name);
        jails.push(row(&jail.name, Some(jail), running, action, runner));
    }
    for running in observed.jails.iter().filter(|j| !j.dying) {
        if desired.get(&running.name).is_none() && !jails.iter().any(|j| j.name == running.name) {
            let action = plan.actions.iter().find(|a| a.jail == running.name);
            jails.push(row(&running.name, None, Some(running), action, runner));
        }
    }
    Status {
        schema: STATUS_SCHEMA.to_string(),
        jails,
    }
}

fn find_running<'o>(observed: &'o Observed, name: &str) -> Option<&'o RunningJail> {
    observed.jails.iter().find(|j| j.name == name && !j.dying)
}

fn row(
    name: &str,
    desired: Option<&DesiredJail>,
    running: Option<&RunningJail>,
    action: Option<&Action>,
    runner: &dyn Runner,
) -> JailStatus {
    let drift = action.map(|a| a.changes.clone()).unwrap_or_default();
    let deferred = action.map(|a| a.deferred.clone()).unwrap_or_default();
    let state = match (desired, running) {
        (None, _) => State::Unmanaged,
        (Some(d), None) if d.ephemeral => State::Ephemeral,
        (Some(_), None) => State::Stopped,
        (Some(d), Some(_)) if d.ephemeral => State::Ephemeral,
        (Some(_), Some(_)) => match action.map(|a| a.kind) {
            Some(ActionKind::Modify | ActionKind::Restart) => State::Drifted,
            _ if !drift.is_empty() || !deferred.is_empty() => State::Drifted,
            _ => State::Running,
        },
    };
    let vnet = match running {
        Some(r) => running_is_vnet(r),
        None => desired.is_some_and(desired_is_vnet),
    };
    let mut address_error = None;
    let addresses = match running {
        Some(r) => {
            let mut list = list_param(r, "ip4.addr");
            list.extend(list_param(r, "ip6.addr"));
            if vnet {
                match vnet_addresses(runner, &r.name) {
                    Ok(inside) => list.extend(inside),
                    Err(e) => address_error = Some(e),
                }
            }
            list
        }
        None => desired.map(configured_addresses).unwrap_or_default(),
    };
    JailStatus {
        name: name.to_string(),
        state,
        configured: desired.is_some(),
        config_file: desired.map(|d| d.config_file.clone()),
        jid: running.map(|r| r.jid),
        hostname: running
            .and_then(|r| text_param(r, "host.hostname"))
            .or_else(|| desired.and_then(|d| configured(d, "host.hostname"))),
        path: running
            .and_then(|r| text_param(r, "path"))
            .or_else(|| desired.and_then(|d| configured(d, "path"))),
        vnet,
        addresses: dedup(addresses),
        address_error,
        drift,
        deferred,
    }
}

fn dedup(list: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in list {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

fn text_param(jail: &RunningJail, name: &str) -> Option<String> {
    match jail.params.get(name)? {
        ObservedValue::Text(text) if !text.is_empty() => Some(text.clone()),
        _ => None,
    }
}

fn list_param(jail: &RunningJail, name: &str) -> Vec<String> {
    match jail.params.get(name) {
        Some(ObservedValue::List(list)) => list.clone(),
        Some(ObservedValue::Text(text)) if !text.is_empty() => {
            text.split(',').map(str::to_string).collect()
        }
        _ => Vec::new(),
    }
}

fn running_is_vnet(jail: &RunningJail) -> bool {
    match jail.params.get("vnet") {
        Some(ObservedValue::Text(text)) => text == "new" || text == "1",
        Some(ObservedValue::Bool(on)) => *on,
        _ => false,
    }
}

fn desired_is_vnet(jail: &DesiredJail) -> bool {
    jail.kernel.get("vnet").is_some_and(|p| {
        !p.negated
            && p.values
                .last()
                .is_none_or(|v| v.eq_ignore_ascii_case("new") || v == "1" || v == "true")
    })
}

fn configured(jail: &DesiredJail, name: &str) -> Option<String> {
    jail.kernel.get(name).and_then(|p| p.values.last().cloned())
}

/// The addresses a stopped jail's configuration gives it.
fn configured_addresses(jail: &DesiredJail) -> Vec<String> {
    let kernel = jail
        .kernel
        .iter()
        .flat_map(|(name, p)| p.values.iter().map(move |v| (name.as_str(), v.as_str())));
    let pseudo = jail
        .pseudo
        .iter()
        .flat_map(|(name, values)| values.iter().map(move |v| (name.as_str(), v.as_str())));
    addresses_of(kernel.chain(pseudo))
        .iter()
        .map(IpAddr::to_string)
        .collect()
}

/// The addresses of a running VNET jail, read inside it with
/// `jexec NAME ifconfig` (loopback and link-local addresses left out).
pub fn vnet_addresses(runner: &dyn Runner, jail: &str) -> Result<Vec<String>, String> {
    let argv = vec![
        "jexec".to_string(),
        jail.to_string(),
        "ifconfig".to_string(),
    ];
    let output = runner
        .run(&argv)
        .map_err(|e| format!("cannot run jexec: {e}"))?;
    if !output.success() {
        return Err(format!(
            "jexec {jail} ifconfig failed: {}",
            output.stderr_text()
        ));
    }
    let interfaces = parse_ifconfig(&String::from_utf8_lossy(&output.stdout));
    Ok(interfaces
        .iter()
        .flat_map(|i| i.inet.iter().chain(&i.inet6))
        .filter_map(|a| parse_address(a))
        .filter(|a| !a.is_loopback() && !is_link_local(a))
        .map(|a| a.to_string())
        .collect())
}

fn is_link_local(addr: &IpAddr) -> bool {
    match addr {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
    }
}

/// The status as a table for people, drift listed below it.
///
/// ```text
/// NAME     STATE    JID  HOSTNAME  PATH           ADDRESSES
/// classic  running  1    classic   /jail/classic  20.0.0.50
/// vnet     running  2    vnet      /jail/vnet     20.0.0.60
/// ```
pub fn table(status: &Status) -> String {
    if status.jails.is_empty() {
        return "No jails configured or running.\n".to_string();
    }
    let header = ["NAME", "STATE", "JID", "HOSTNAME", "PATH", "ADDRESSES"];
    let rows: Vec<[String; 6]> = status
        .jails
        .iter()
        .map(|j| {
            [
                j.name.clone(),
                j.state.as_str().to_string(),
                j.jid.map_or("-".to_string(), |jid| jid.to_string()),
                j.hostname.clone().unwrap_or_else(|| "-".to_string()),
                j.path.clone().unwrap_or_else(|| "-".to_string()),
                if j.addresses.is_empty() {
                    "-".to_string()
                } else {
                    j.addresses.join(",")
                },
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[String]| {
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                let _ = write!(text, "{cell:<width$}  ");
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&header.map(str::to_string));
    for row in &rows {
        line(row);
    }
    for jail in &status.jails {
        if let Some(error) = &jail.address_error {
            let _ = writeln!(out, "\n{}: addresses unknown: {error}", jail.name);
        }
        if jail.drift.is_empty() && jail.deferred.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{} differs from the configuration:", jail.name);
        for change in &jail.drift {
            let _ = writeln!(out, "  {}", change_line(change));
        }
        for change in &jail.deferred {
            let _ = writeln!(out, "  {} (on next restart)", change_line(change));
        }
    }
    out
}

fn change_line(change: &Change) -> String {
    let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(unset)".to_string());
    format!(
        "{}: {} -> {}",
        change.param,
        show(&change.old),
        show(&change.new)
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::io;

    use super::*;
    use crate::desired::KernelParam;
    use crate::runner::Output;

    struct Jexec;

    impl Runner for Jexec {
        fn run(&self, argv: &[String]) -> io::Result<Output> {
            assert_eq!(argv[0], "jexec");
            if argv[1] == "broken" {
                return Ok(Output {
                    status: Some(1),
                    stdout: Vec::new(),
                    stderr: b"jexec: jail \"broken\" not found".to_vec(),
                });
            }
            let text = "lo0: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST> metric 0 mtu 16384\n\
                \tinet6 ::1 prefixlen 128\n\
                \tinet6 fe80::1%lo0 prefixlen 64 scopeid 0x1\n\
                \tinet 127.0.0.1/8\n\
                epair60b: flags=8863<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500\n\
                \tinet 20.0.0.60/24 broadcast 20.0.0.255\n";
            Ok(Output {
                status: Some(0),
                stdout: text.as_bytes().to_vec(),
                stderr: Vec::new(),
            })
        }
    }

    fn kernel(pairs: &[(&str, &str)]) -> BTreeMap<String, KernelParam> {
        pairs
            .iter()
            .map(|(n, v)| {
                (
                    n.to_string(),
                    KernelParam {
                        written: n.to_string(),
                        negated: false,
                        values: if v.is_empty() {
                            Vec::new()
                        } else {
                            vec![v.to_string()]
                        },
                    },
                )
            })
            .collect()
    }

    fn desired(name: &str, pairs: &[(&str, &str)], pseudo: &[(&str, &str)]) -> DesiredJail {
        DesiredJail {
            name: name.to_string(),
            config_file: format!("/etc/jail.conf.d/{name}.conf"),
            kernel: kernel(pairs),
            pseudo: pseudo
                .iter()
                .map(|(n, v)| (n.to_string(), vec![v.to_string()]))
                .collect(),
            depend: Vec::new(),
            ephemeral: false,
        }
    }

    fn running(name: &str, jid: u32, params: &[(&str, ObservedValue)]) -> RunningJail {
        RunningJail {
            jid,
            name: name.to_string(),
            dying: false,
            params: params
                .iter()
                .map(|(n, v)| (n.to_string(), v.clone()))
                .collect(),
        }
    }

    fn text(t: &str) -> ObservedValue {
        ObservedValue::Text(t.to_string())
    }

    fn action(jail: &str, kind: ActionKind, changes: Vec<Change>) -> Action {
        Action {
            jail: jail.to_string(),
            kind,
            reason: String::new(),
            config_file: None,
            changes,
            deferred: Vec::new(),
            commands: Vec::new(),
        }
    }

    fn fixture() -> Status {
        let desired = Desired {
            jails: vec![
                desired(
                    "classic",
                    &[
                        ("path", "/jail/classic"),
                        ("host.hostname", "classic"),
                        ("ip4.addr", "20.0.0.50"),
                    ],
                    &[],
                ),
                desired(
                    "vnet",
                    &[
                        ("path", "/jail/vnet"),
                        ("host.hostname", "vnet"),
                        ("vnet", ""),
                    ],
                    &[("exec.start", "ifconfig epair60b 20.0.0.60/24 up")],
                ),
                desired(
                    "shadow",
                    &[
                        ("path", "/jail/shadow"),
                        ("host.hostname", "shadow"),
                        ("ip4.addr", "em0|20.0.0.51/24"),
                    ],
                    &[],
                ),
                desired("broken", &[("vnet", "new")], &[]),
            ],
            config_digest: String::new(),
        };
        let observed = Observed {
            jails: vec![
                running(
                    "classic",
                    1,
                    &[
                        ("path", text("/jail/classic")),
                        ("host.hostname", text("classic")),
                        ("ip4.addr", ObservedValue::List(vec!["20.0.0.50".into()])),
                        ("vnet", text("inherit")),
                    ],
                ),
                running(
                    "vnet",
                    2,
                    &[
                        ("path", text("/jail/vnet")),
                        ("host.hostname", text("vnet")),
                        ("ip4.addr", ObservedValue::List(Vec::new())),
                        ("vnet", text("new")),
                    ],
                ),
                running("broken", 3, &[("vnet", text("new"))]),
                running("stray", 9, &[("path", text("/jail/stray"))]),
            ],
            ..Observed::default()
        };
        let plan = Plan {
            schema: String::new(),
            target: "15".into(),
            fingerprint: String::new(),
            actions: vec![
                action(
                    "classic",
                    ActionKind::Modify,
                    vec![Change {
                        param: "securelevel".into(),
                        old: Some("2".into()),
                        new: Some("3".into()),
                    }],
                ),
                action("vnet", ActionKind::Unchanged, Vec::new()),
                action("shadow", ActionKind::Create, Vec::new()),
                action("broken", ActionKind::Unchanged, Vec::new()),
                action("stray", ActionKind::Unmanaged, Vec::new()),
            ],
            batches: Vec::new(),
            stale: Vec::new(),
        };
        status(&desired, &observed, &plan, &Jexec)
    }

    #[test]
    fn states_and_addresses() {
        let status = fixture();
        let by_name = |n: &str| status.jails.iter().find(|j| j.name == n).unwrap();
        assert_eq!(by_name("classic").state, State::Drifted);
        assert_eq!(by_name("classic").addresses, vec!["20.0.0.50"]);
        assert_eq!(by_name("vnet").state, State::Running);
        assert!(by_name("vnet").vnet);
        assert_eq!(by_name("vnet").addresses, vec!["20.0.0.60"]);
        assert_eq!(by_name("shadow").state, State::Stopped);
        assert_eq!(by_name("shadow").jid, None);
        assert_eq!(by_name("shadow").addresses, vec!["20.0.0.51"]);
        assert_eq!(by_name("shadow").path.as_deref(), Some("/jail/shadow"));
        assert!(by_name("broken").address_error.is_some());
        assert_eq!(by_name("stray").state, State::Unmanaged);
        assert!(!by_name("stray").configured);
        assert_eq!(status.jails.len(), 5);
    }

    #[test]
    fn table_output() {
        insta::assert_snapshot!(table(&fixture()), @r#"
        NAME     STATE      JID  HOSTNAME  PATH           ADDRESSES
        classic  drifted    1    classic   /jail/classic  20.0.0.50
        vnet     running    2    vnet      /jail/vnet     20.0.0.60
        shadow   stopped    -    shadow    /jail/shadow   20.0.0.51
        broken   running    3    -         -              -
        stray    unmanaged  9    -         /jail/stray    -

        classic differs from the configuration:
          securelevel: 2 -> 3

        broken: addresses unknown: jexec broken ifconfig failed: jexec: jail "broken" not found
        "#);
    }

    #[test]
    fn empty_host() {
        let status = Status {
            schema: STATUS_SCHEMA.into(),
            jails: Vec::new(),
        };
        assert_eq!(table(&status), "No jails configured or running.\n");
    }
}
