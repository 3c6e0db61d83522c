//! The kernel parameters jail(8) passes to jail_set(2) for a configured
//! jail, normalised the way libjail and the kernel store them (spec §11),
//! and the values a new jail gets for parameters the configuration does
//! not set.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, Ipv6Addr};

use jailconf_parser::params::{self, ParamKind, ValueType};
use jailconf_parser::Jail;

use crate::state::{HostInfo, KValue};

/// Parameters that can only be set at creation (`-m` refuses to change
/// them; spec §9).
pub const CREATE_ONLY: &[&str] = &[
    "jid",
    "path",
    "vnet",
    "ip4",
    "ip6",
    "osrelease",
    "osreldate",
];

/// Parameters the kernel reports but nobody sets.
pub const READ_ONLY: &[&str] = &["parent", "dying", "children.cur", "cpuset.id"];

/// A configured jail's kernel parameters.
#[derive(Clone, Debug, Default)]
pub struct Desired {
    /// Normalised values of the kernel parameters the configuration sets
    /// (positive names; `jid` and `name` included when set).
    pub values: BTreeMap<String, KValue>,
}

impl Desired {
    /// Whether the configuration sets `name`.
    pub fn sets(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }
}

fn last_text(param: &jailconf_parser::Param) -> Option<String> {
    param
        .values
        .last()
        .map(|v| String::from_utf8_lossy(&v.text).into_owned())
}

/// Reads the kernel parameters of `jail`. `Err` is jail(8)'s message
/// without the `jail: NAME: ` prefix.
pub fn desired(jail: &Jail) -> Result<Desired, String> {
    let mut values = BTreeMap::new();
    for param in &jail.params {
        let name = param.name_str().into_owned();
        let Some((info, negated)) = params::lookup_with_no_prefix(&name) else {
            return Err(format!("unknown parameter: {name}"));
        };
        if info.kind == ParamKind::Pseudo {
            continue;
        }
        let positive = info.name.to_string();
        let text = last_text(param);
        let value = match info.value_type {
            ValueType::Bool => {
                let set = match text.as_deref() {
                    None => true,
                    Some(t) if t.eq_ignore_ascii_case("true") => true,
                    Some(t) if t.eq_ignore_ascii_case("false") => false,
                    Some(t) => match t.trim().parse::<i64>() {
                        Ok(n) => n != 0,
                        Err(_) => return Err(format!("{name}: unknown boolean value \"{t}\"")),
                    },
                };
                KValue::Bool(set != negated)
            }
            ValueType::Int | ValueType::Ulong => {
                let t = text.unwrap_or_default();
                if t.is_empty() {
                    KValue::Text("0".to_string())
                } else {
                    let n: i64 = t
                        .parse()
                        .map_err(|_| format!("{name}: non-integer value \"{t}\""))?;
                    KValue::Text(n.to_string())
                }
            }
            ValueType::Jailsys => {
                let t = text.unwrap_or_default();
                let word = match t.to_ascii_lowercase().as_str() {
                    "" | "new" | "1" => "new",
                    "disable" | "0" => "disable",
                    "inherit" | "2" => "inherit",
                    _ => return Err(format!("{name}: unknown jailsys value \"{t}\"")),
                };
                KValue::Text(word.to_string())
            }
            ValueType::Ip4List | ValueType::Ip6List => {
                let v6 = info.value_type == ValueType::Ip6List;
                let mut list = Vec::new();
                for value in &param.values {
                    let text = String::from_utf8_lossy(&value.text).into_owned();
                    for item in text.split(',') {
                        let addr = strip_address(item);
                        if addr.is_empty() || addr == "-" {
                            continue;
                        }
                        let ok = if v6 {
                            addr.parse::<Ipv6Addr>().map(|a| a.to_string())
                        } else {
                            addr.parse::<Ipv4Addr>().map(|a| a.to_string())
                        };
                        match ok {
                            Ok(normal) => list.push(normal),
                            Err(_) => {
                                let family = if v6 { "IPv6" } else { "IPv4" };
                                return Err(format!("{positive}: not an {family} address: {addr}"));
                            }
                        }
                    }
                }
                KValue::List(list)
            }
            _ => KValue::Text(text.unwrap_or_default()),
        };
        values.insert(positive, value);
    }
    Ok(Desired { values })
}

/// jail(8)'s address clean-up: drops `IFACE|`, `/MASK` and everything from
/// the first space.
pub fn strip_address(value: &str) -> String {
    let value = value.trim_start();
    let value = value.split_once('|').map_or(value, |(_, rest)| rest);
    let value = value.split([' ', '\t']).next().unwrap_or_default();
    value.split('/').next().unwrap_or_default().to_string()
}

/// The full parameter set of a new jail: `desired` on top of the kernel's
/// defaults. `jid`, `name`, `parent` and `cpuset.id` are filled in by the
/// caller; `persist` is left as configured.
pub fn for_new_jail(desired: &Desired, host: &HostInfo) -> BTreeMap<String, KValue> {
    let mut all = defaults(host);
    for (name, value) in &desired.values {
        all.insert(name.clone(), value.clone());
    }
    let vnet = matches!(all.get("vnet"), Some(KValue::Text(v)) if v == "new");
    for (family, list) in [("ip4", "ip4.addr"), ("ip6", "ip6.addr")] {
        // The kernel keeps one flag for "new" and "disable": a jail with
        // its own addresses reports `disable` (spec §15 note 4).
        let explicit = desired.values.get(family).map(KValue::text);
        let has_addresses =
            matches!(desired.values.get(list), Some(KValue::List(l)) if !l.is_empty());
        let value = match explicit.as_deref() {
            Some("inherit") => "inherit",
            Some(_) => "disable",
            None if vnet && !has_addresses => "inherit",
            None => "disable",
        };
        all.insert(family.to_string(), KValue::Text(value.to_string()));
    }
    let sysvipc = matches!(all.get("allow.sysvipc"), Some(KValue::Bool(true)));
    for name in ["sysvmsg", "sysvsem", "sysvshm"] {
        if !desired.sets(name) {
            let value = if sysvipc { "inherit" } else { "disable" };
            all.insert(name.to_string(), KValue::Text(value.to_string()));
        }
    }
    all
}

/// Every kernel parameter of the table with a new jail's value.
pub fn defaults(host: &HostInfo) -> BTreeMap<String, KValue> {
    let mut all = BTreeMap::new();
    for param in params::all() {
        if param.kind != ParamKind::Kernel
            || matches!(param.name, "jid" | "name" | "dying" | "children.cur")
        {
            continue;
        }
        let value = match param.value_type {
            ValueType::Bool => KValue::Bool(matches!(
                param.name,
                "allow.set_hostname"
                    | "allow.reserved_ports"
                    | "allow.unprivileged_proc_debug"
                    | "allow.suser"
                    | "ip4.saddrsel"
                    | "ip6.saddrsel"
            )),
            ValueType::Ip4List | ValueType::Ip6List => KValue::List(Vec::new()),
            _ => KValue::Text(
                match param.name {
                    "path" => "/",
                    "parent" => "0",
                    "securelevel" => "-1",
                    "enforce_statfs" => "2",
                    "osrelease" => host.osrelease.as_str(),
                    "osreldate" => host.osreldate.as_str(),
                    "vnet" | "linux" | "mac.do" => "inherit",
                    "host" => "new",
                    "host.hostuuid" => "00000000-0000-0000-0000-000000000000",
                    "linux.osname" => "Linux",
                    "linux.osrelease" => "5.15.0",
                    "linux.oss_version" => "198144",
                    "ip4" | "ip6" | "sysvmsg" | "sysvsem" | "sysvshm" => "disable",
                    _ if matches!(param.value_type, ValueType::Int | ValueType::Ulong) => "0",
                    _ => "",
                }
                .to_string(),
            ),
        };
        all.insert(param.name.to_string(), value);
    }
    all
}

/// The create-only parameters whose configured value differs from the
/// running jail's (the first one, in jail(8)'s parameter order).
pub fn changed_create_only(
    jail: &Jail,
    desired: &Desired,
    running: &BTreeMap<String, KValue>,
) -> Option<String> {
    let mut seen = BTreeSet::new();
    for param in &jail.params {
        let name = param.name_str();
        let Some((info, _)) = params::lookup_with_no_prefix(&name) else {
            continue;
        };
        if info.name == "jid" || !CREATE_ONLY.contains(&info.name) || !seen.insert(info.name) {
            continue;
        }
        let wanted = desired.values.get(info.name)?;
        let have = running.get(info.name);
        let same = match (info.name, wanted) {
            // `ip4=new` is reported as `disable` (spec §15 note 4).
            ("ip4" | "ip6", KValue::Text(w)) if w == "new" => {
                have.is_some_and(|h| h.text() == "disable")
            }
            ("path", KValue::Text(w)) => have
                .is_some_and(|h| crate::paths::normalize(&h.text()) == crate::paths::normalize(w)),
            _ => have == Some(wanted),
        };
        if !same {
            return Some(param.name_str().into_owned());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_addresses() {
        assert_eq!(strip_address("em0|192.0.2.1/24"), "192.0.2.1");
        assert_eq!(strip_address("192.0.2.1 vhid 1"), "192.0.2.1");
        assert_eq!(strip_address("fd00::1/64"), "fd00::1");
    }

    #[test]
    fn defaults_cover_the_table() {
        let all = defaults(&HostInfo::default());
        assert_eq!(all["persist"], KValue::Bool(false));
        assert_eq!(all["allow.set_hostname"], KValue::Bool(true));
        assert_eq!(all["enforce_statfs"], KValue::Text("2".into()));
        assert_eq!(all["ip4.addr"], KValue::List(vec![]));
        assert!(!all.contains_key("jid"));
    }
}
