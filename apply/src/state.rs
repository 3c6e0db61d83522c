//! What the host runs now, as read from jls(8), ifconfig(8) and zfs(8).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The observed state of a host.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observed {
    /// Running (and dying) jails, in jls order.
    pub jails: Vec<RunningJail>,
    /// Host network interfaces.
    pub interfaces: Vec<Interface>,
    /// ZFS datasets (empty when no jail path is on ZFS or zfs is absent).
    pub datasets: Vec<Dataset>,
}

/// One jail as `jls -d --libxo=json -n` reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunningJail {
    /// The kernel's jail id.
    pub jid: u32,
    /// The jail's name.
    pub name: String,
    /// Whether the jail is dying (removed but still holding resources).
    pub dying: bool,
    /// Every parameter jls reported, keyed by its (positive) name.
    pub params: BTreeMap<String, ObservedValue>,
}

/// A parameter value as the kernel reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ObservedValue {
    /// A boolean, under the parameter's positive name.
    Bool(bool),
    /// A list (`ip4.addr`, `ip6.addr`).
    List(Vec<String>),
    /// Everything else, as libjail exports it.
    Text(String),
}

/// A network interface of the host (or of a VNET jail).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interface {
    /// Interface name (`em0`, `bridge0`, `epair60a`).
    pub name: String,
    /// `UP` flag.
    pub up: bool,
    /// `description:` line, if any.
    pub description: Option<String>,
    /// IPv4 addresses with prefix length (`20.0.0.20/24`).
    pub inet: Vec<String>,
    /// IPv6 addresses with prefix length.
    pub inet6: Vec<String>,
    /// Bridge members (for bridges).
    pub members: Vec<String>,
}

/// A ZFS dataset (`zfs list -H -o name,mountpoint,origin`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dataset {
    /// Dataset name (`zroot/jail/shadow`).
    pub name: String,
    /// Mount point, `None` for `-`/`none`/`legacy`.
    pub mountpoint: Option<String>,
    /// Origin snapshot of a clone, `None` for `-`.
    pub origin: Option<String>,
}
