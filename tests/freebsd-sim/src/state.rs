//! The simulated host's state: `state.json` in the directory named by
//! `JAILCONF_SIM_STATE`, guarded by an exclusive lock on `state.lock`, and
//! the `commands.log` every invocation appends to.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::SimError;

/// Environment variable naming the state directory.
pub const STATE_ENV: &str = "JAILCONF_SIM_STATE";
/// Environment variable holding the jid a command runs inside.
pub const JAIL_ENV: &str = "JAILCONF_SIM_JAIL";
/// Environment variable with the per-jail delay of `jail -c/-m/-r/-R`.
pub const DELAY_ENV: &str = "JAILCONF_SIM_DELAY_MS";

/// A kernel parameter value, as `jls --libxo=json -n` reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum KValue {
    /// A boolean (under the parameter's positive name).
    Bool(bool),
    /// An address list (`ip4.addr`, `ip6.addr`).
    List(Vec<String>),
    /// Anything else, as libjail exports it.
    Text(String),
}

impl KValue {
    /// The value as `jls -n` text prints it (lists comma-joined).
    pub fn text(&self) -> String {
        match self {
            KValue::Bool(b) => b.to_string(),
            KValue::List(items) => items.join(","),
            KValue::Text(text) => text.clone(),
        }
    }
}

/// One jail in the simulated kernel.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JailRec {
    /// Jail id.
    pub jid: u32,
    /// Full (dotted) name.
    pub name: String,
    /// Whether the jail is dying.
    #[serde(default)]
    pub dying: bool,
    /// Every kernel parameter (except `jid`, `name`, `dying`,
    /// `children.cur`, which are derived).
    pub params: BTreeMap<String, KValue>,
}

impl JailRec {
    /// A text parameter (empty when missing or not text).
    pub fn text(&self, name: &str) -> String {
        self.params.get(name).map(KValue::text).unwrap_or_default()
    }

    /// A list parameter.
    pub fn list(&self, name: &str) -> Vec<String> {
        match self.params.get(name) {
            Some(KValue::List(items)) => items.clone(),
            _ => Vec::new(),
        }
    }

    /// Whether this jail has its own VNET.
    pub fn is_vnet(&self) -> bool {
        self.text("vnet") == "new"
    }
}

/// What kind of interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IfKind {
    /// A physical Ethernet interface (`em0`).
    Ether,
    /// The loopback (`lo0`).
    Loopback,
    /// An if_bridge(4) (`bridge0`).
    Bridge,
    /// One end of an epair(4) (`epair60a`).
    Epair,
}

/// An IPv4 address with its prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inet {
    /// The address.
    pub addr: Ipv4Addr,
    /// Prefix length (0–32).
    pub prefix: u8,
}

/// An IPv6 address with its prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inet6 {
    /// The address.
    pub addr: Ipv6Addr,
    /// Prefix length (0–128).
    pub prefix: u8,
}

/// A network interface, on the host or inside a VNET jail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Iface {
    /// Name (unique within its VNET).
    pub name: String,
    /// Kind.
    pub kind: IfKind,
    /// `UP` flag.
    pub up: bool,
    /// `description:` text.
    #[serde(default)]
    pub description: Option<String>,
    /// Link-level address.
    pub ether: String,
    /// MTU.
    pub mtu: u32,
    /// IPv4 addresses, in the order they were added.
    #[serde(default)]
    pub inet: Vec<Inet>,
    /// IPv6 addresses, in the order they were added.
    #[serde(default)]
    pub inet6: Vec<Inet6>,
    /// Bridge members, newest first (as ifconfig lists them).
    #[serde(default)]
    pub members: Vec<String>,
    /// The jid whose VNET the interface is in; `None` for the host.
    #[serde(default)]
    pub vnet: Option<u32>,
    /// The VNET it was created in (where it returns when its jail goes).
    #[serde(default)]
    pub home: Option<u32>,
}

/// A route.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    /// VNET (`None` = host).
    pub vnet: Option<u32>,
    /// Destination (`default` or a network).
    pub dest: String,
    /// Gateway.
    pub gateway: String,
}

/// A ZFS dataset (file system).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dataset {
    /// Full name (`zroot/jail/classic`).
    pub name: String,
    /// Mount point; `None` for `none`.
    pub mountpoint: Option<String>,
    /// Origin snapshot of a clone.
    #[serde(default)]
    pub origin: Option<String>,
    /// Snapshot names (the part after `@`), oldest first.
    #[serde(default)]
    pub snapshots: Vec<String>,
}

/// A mounted file system recorded by `mount` (or jail(8)'s mount steps).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MountRec {
    /// File system type.
    pub fstype: String,
    /// Device / source.
    pub device: String,
    /// Mount point (simulated path).
    pub mountpoint: String,
    /// `-o` options.
    #[serde(default)]
    pub options: Option<String>,
}

/// Facts about the simulated host itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostInfo {
    /// `kern.osrelease`.
    pub osrelease: String,
    /// `kern.osreldate`.
    pub osreldate: String,
}

impl Default for HostInfo {
    fn default() -> Self {
        HostInfo {
            osrelease: "15.0-RELEASE".to_string(),
            osreldate: "1500068".to_string(),
        }
    }
}

/// The whole simulated host.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct State {
    /// Host facts.
    #[serde(default)]
    pub host: HostInfo,
    /// The jid the next jail gets.
    pub next_jid: u32,
    /// The cpuset id the next jail gets.
    #[serde(default)]
    pub next_cpuset: u32,
    /// Running jails, by jid.
    #[serde(default)]
    pub jails: Vec<JailRec>,
    /// Interfaces of the host and of every VNET.
    #[serde(default)]
    pub interfaces: Vec<Iface>,
    /// Routes of the host and of every VNET.
    #[serde(default)]
    pub routes: Vec<Route>,
    /// ZFS datasets.
    #[serde(default)]
    pub datasets: Vec<Dataset>,
    /// Mounted file systems.
    #[serde(default)]
    pub mounts: Vec<MountRec>,
    /// File flags (`schg`, …) by simulated path.
    #[serde(default)]
    pub flags: BTreeMap<String, Vec<String>>,
}

impl State {
    /// A fresh host: no jails, jids from 1.
    pub fn new() -> Self {
        State {
            next_jid: 1,
            next_cpuset: 3,
            ..State::default()
        }
    }

    /// A copy without the jail parameters that equal a new jail's
    /// defaults (keeps `state.json` small; [`State::expand`] restores them).
    pub fn compacted(&self) -> State {
        let defaults = crate::kparams::defaults(&self.host);
        let mut copy = self.clone();
        for jail in &mut copy.jails {
            jail.params
                .retain(|name, value| defaults.get(name) != Some(value));
        }
        copy
    }

    /// Fills in the default value of every parameter a jail record lacks.
    pub fn expand(&mut self) {
        let defaults = crate::kparams::defaults(&self.host);
        for jail in &mut self.jails {
            for (name, value) in &defaults {
                jail.params
                    .entry(name.clone())
                    .or_insert_with(|| value.clone());
            }
        }
    }

    /// The running (or dying) jail named `name`, or with jid `name`.
    pub fn find_jail(&self, name: &str) -> Option<&JailRec> {
        match name.parse::<u32>() {
            Ok(jid) if jid != 0 => self.jails.iter().find(|j| j.jid == jid),
            _ => self.jails.iter().find(|j| j.name == name),
        }
    }

    /// The jail with this jid.
    pub fn jail(&self, jid: u32) -> Option<&JailRec> {
        self.jails.iter().find(|j| j.jid == jid)
    }

    /// The VNET a jail's processes see: its own if `vnet=new`, else its
    /// parent's, up to the host (`None`).
    pub fn vnet_of(&self, jid: u32) -> Option<u32> {
        let mut current = self.jail(jid);
        let mut guard = 0;
        while let Some(jail) = current {
            if jail.is_vnet() {
                return Some(jail.jid);
            }
            let parent = jail.text("parent").parse::<u32>().unwrap_or(0);
            if parent == 0 || guard > 64 {
                return None;
            }
            guard += 1;
            current = self.jail(parent);
        }
        None
    }

    /// The interface `name` in VNET `vnet`.
    pub fn iface(&self, vnet: Option<u32>, name: &str) -> Option<&Iface> {
        self.interfaces
            .iter()
            .find(|i| i.vnet == vnet && i.name == name)
    }

    /// Mutable access to the interface `name` in VNET `vnet`.
    pub fn iface_mut(&mut self, vnet: Option<u32>, name: &str) -> Option<&mut Iface> {
        self.interfaces
            .iter_mut()
            .find(|i| i.vnet == vnet && i.name == name)
    }

    /// Whether an interface with this name exists anywhere (names of
    /// cloned interfaces are global in the kernel's unit allocator).
    pub fn iface_anywhere(&self, name: &str) -> bool {
        self.interfaces.iter().any(|i| i.name == name)
    }

    /// The dataset with this name.
    pub fn dataset(&self, name: &str) -> Option<&Dataset> {
        self.datasets.iter().find(|d| d.name == name)
    }
}

/// A deterministic, locally administered MAC address for an interface.
pub fn mac_for(name: &str) -> String {
    let mut hash: u32 = 2_166_136_261;
    for byte in name.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(16_777_619);
    }
    let b = hash.to_be_bytes();
    format!(
        "02:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        b[0],
        b[1],
        b[2],
        b[3],
        name.len() as u8
    )
}

/// The state directory named by `JAILCONF_SIM_STATE`.
#[derive(Clone, Debug)]
pub struct StateDir {
    /// Its path.
    pub dir: PathBuf,
}

impl StateDir {
    /// The state directory from the environment; an error (exit 2) when
    /// the variable is unset or empty.
    pub fn from_env() -> Result<Self, SimError> {
        match std::env::var_os(STATE_ENV) {
            Some(dir) if !dir.is_empty() => Ok(StateDir {
                dir: PathBuf::from(dir),
            }),
            _ => Err(SimError::new(format!(
                "{STATE_ENV} is not set: it must name the simulated host's state directory \
                 (create one with `freebsd-sim init`)"
            ))),
        }
    }

    /// The simulated root directory.
    pub fn root(&self) -> PathBuf {
        crate::paths::root(&self.dir)
    }

    /// Where simulated path `path` really is.
    pub fn map(&self, path: &str) -> PathBuf {
        crate::paths::map(&self.dir, path)
    }

    /// The file holding the state.
    pub fn state_file(&self) -> PathBuf {
        self.dir.join("state.json")
    }

    /// An error unless a state exists (`freebsd-sim init` was run).
    pub fn require(&self) -> Result<(), SimError> {
        if self.state_file().exists() {
            Ok(())
        } else {
            Err(SimError::new(format!(
                "no simulated host in {} (create one with `freebsd-sim init`)",
                self.dir.display()
            )))
        }
    }

    /// Takes the exclusive lock and reads the state. The lock is held
    /// until the returned guard is dropped.
    pub fn lock(&self) -> Result<Locked, SimError> {
        self.require()?;
        let lock_path = self.dir.join("state.lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| SimError::io(lock_path.display(), &e))?;
        file.lock()
            .map_err(|e| SimError::io(format!("lock {}", lock_path.display()), &e))?;
        let path = self.state_file();
        let text = std::fs::read(&path).map_err(|e| {
            SimError::new(format!(
                "cannot read {}: {e} (create the state with `freebsd-sim init`)",
                path.display()
            ))
        })?;
        let mut state: State = serde_json::from_slice(&text)
            .map_err(|e| SimError::new(format!("corrupt state file {}: {e}", path.display())))?;
        state.expand();
        Ok(Locked {
            _lock: file,
            dir: self.clone(),
            state,
        })
    }

    /// Appends one line to `commands.log`: the tool and its arguments as a
    /// JSON array. The line is written with one `write` on a file opened
    /// for appending, so concurrent writers never interleave (no lock is
    /// needed).
    pub fn log(&self, argv: &[String]) -> Result<(), SimError> {
        let path = self.dir.join("commands.log");
        let mut line = serde_json::to_string(argv)
            .map_err(|e| SimError::new(format!("cannot encode log line: {e}")))?;
        line.push('\n');
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| SimError::io(path.display(), &e))?;
        file.write_all(line.as_bytes())
            .map_err(|e| SimError::io(path.display(), &e))?;
        Ok(())
    }

    /// Takes the lock, logs `tool args…`, reads the state.
    pub fn lock_and_log(&self, tool: &str, args: &[String]) -> Result<Locked, SimError> {
        let locked = self.lock()?;
        let mut argv = vec![tool.to_string()];
        argv.extend(args.iter().cloned());
        self.log(&argv)?;
        Ok(locked)
    }
}

/// The state, read under the exclusive lock.
pub struct Locked {
    _lock: File,
    /// The state directory.
    pub dir: StateDir,
    /// The state; change it, then [`Locked::save`].
    pub state: State,
}

impl Locked {
    /// Writes the state back (atomically: temporary file, then rename).
    pub fn save(&self) -> Result<(), SimError> {
        write_state(&self.dir.dir, &self.state)
    }
}

/// Writes `state` into `dir/state.json` atomically.
pub fn write_state(dir: &Path, state: &State) -> Result<(), SimError> {
    let text = serde_json::to_vec(&state.compacted())
        .map_err(|e| SimError::new(format!("cannot encode state: {e}")))?;
    let tmp = dir.join("state.json.tmp");
    std::fs::write(&tmp, &text).map_err(|e| SimError::io(tmp.display(), &e))?;
    let path = dir.join("state.json");
    std::fs::rename(&tmp, &path).map_err(|e| SimError::io(path.display(), &e))
}
