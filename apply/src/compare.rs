//! Comparing configured kernel parameters with what the kernel reports.
//!
//! Only the parameters the configuration sets are compared: `jail -m`
//! leaves the others alone. Values are normalised the way the kernel
//! reports them (libjail's rules), so that a jail created by jail(8) from
//! its configuration compares equal to it:
//!
//! * booleans: `true`/`false` in any case or an integer, the `no` form
//!   inverted, no value = true; jls reports JSON `true`/`false` under the
//!   positive name;
//! * jailsys: `disable`/`new`/`inherit` or 0/1/2, no value = `new`; for
//!   `ip4`/`ip6` the kernel reports `disable` for a jail with its own
//!   addresses, so an observed `disable` equals a configured `new`;
//! * integers numerically (empty = 0);
//! * `ip4.addr`/`ip6.addr`: comma-separated, `IFACE|`, `/MASK` and text
//!   after a space stripped, compared as parsed addresses in order;
//! * everything else as exact text (the last value of a scalar counts).

use std::net::IpAddr;

use jailconf_parser::params::{self, Modifiable, ValueType};

use crate::desired::{bool_value, parse_bool, DesiredJail, KernelParam};
use crate::plan::Change;
use crate::state::{ObservedValue, RunningJail};

/// One differing kernel parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelDiff {
    /// The difference, under the parameter's positive name.
    pub change: Change,
    /// Whether the parameter cannot be changed on a running jail
    /// (`jail -m` fails): the jail must be restarted.
    pub needs_restart: bool,
}

/// The configured kernel parameters of `desired` that differ from
/// `running`, in name order. A parameter the kernel does not report
/// differs (old value `None`).
pub fn compare(desired: &DesiredJail, running: &RunningJail) -> Vec<KernelDiff> {
    desired
        .kernel
        .iter()
        .filter_map(|(name, param)| {
            let info = params::lookup(name);
            let (key, inverted) = match info {
                Some(_) => (name.as_str(), false),
                None => observed_key(name, param, running),
            };
            let observed = running.params.get(key);
            let value_type = info.map(|p| p.value_type);
            if values_equal(key, value_type, param, inverted, observed) {
                return None;
            }
            Some(KernelDiff {
                change: Change {
                    param: key.to_string(),
                    old: observed.map(observed_text),
                    new: Some(desired_text(param, inverted, value_type, observed)),
                },
                needs_restart: info.is_some_and(|p| p.modifiable != Modifiable::Yes),
            })
        })
        .collect()
}

/// The key jls reports the unknown parameter `name` under, and whether
/// the configured value must be inverted to match it: an unknown boolean
/// written in its `no` form (`allow.mount.noext2fs`) is reported under its
/// positive name.
fn observed_key<'a>(
    name: &'a str,
    param: &KernelParam,
    running: &'a RunningJail,
) -> (&'a str, bool) {
    if running.params.contains_key(name) {
        return (name, false);
    }
    let (prefix, last) = match name.rsplit_once('.') {
        Some((prefix, last)) => (Some(prefix), last),
        None => (None, name),
    };
    let positive = last.strip_prefix("no").filter(|rest| !rest.is_empty());
    if let Some(positive) = positive {
        let full = match prefix {
            Some(prefix) => format!("{prefix}.{positive}"),
            None => positive.to_string(),
        };
        if let Some((key, ObservedValue::Bool(_))) = running.params.get_key_value(full.as_str()) {
            return (key.as_str(), !param.negated);
        }
    }
    (name, false)
}

/// Whether the configured `param` (its boolean value inverted when
/// `inverted`) equals the observed value of parameter `name`, whose type
/// is `value_type` (`None` for a parameter not in the table).
pub fn values_equal(
    name: &str,
    value_type: Option<ValueType>,
    param: &KernelParam,
    inverted: bool,
    observed: Option<&ObservedValue>,
) -> bool {
    let Some(observed) = observed else {
        return false;
    };
    match (value_type, observed) {
        (Some(ValueType::Bool), _) | (None, ObservedValue::Bool(_)) => {
            let desired = bool_value(&param.values, param.negated != inverted);
            desired.is_some() && desired == observed_bool(observed)
        }
        (Some(ValueType::Jailsys), ObservedValue::Text(text)) => {
            match (jailsys(param.values.last()), jailsys(Some(text))) {
                (Some(want), Some(have)) => {
                    want == have
                        || (matches!(name, "ip4" | "ip6")
                            && want == Jailsys::New
                            && have == Jailsys::Disable)
                }
                _ => false,
            }
        }
        (Some(ValueType::Int | ValueType::Ulong), ObservedValue::Text(text)) => {
            match (integer(param.values.last()), integer(Some(text))) {
                (Some(want), Some(have)) => want == have,
                _ => false,
            }
        }
        (Some(ValueType::Ip4List | ValueType::Ip6List), _) | (None, ObservedValue::List(_)) => {
            let have = match observed {
                ObservedValue::List(items) => addresses(items),
                ObservedValue::Text(text) => addresses(std::slice::from_ref(text)),
                ObservedValue::Bool(_) => return false,
            };
            addresses(&param.values) == have
        }
        (_, ObservedValue::Text(text)) => scalar(&param.values) == text.as_str(),
        _ => false,
    }
}

fn observed_bool(observed: &ObservedValue) -> Option<bool> {
    match observed {
        ObservedValue::Bool(b) => Some(*b),
        ObservedValue::Text(text) => parse_bool(text),
        ObservedValue::List(_) => None,
    }
}

/// A jailsys value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Jailsys {
    Disable,
    New,
    Inherit,
}

fn jailsys(text: Option<&String>) -> Option<Jailsys> {
    let text = text.map(|t| t.trim()).unwrap_or("");
    match text.to_ascii_lowercase().as_str() {
        "" | "new" | "1" => Some(Jailsys::New),
        "disable" | "0" => Some(Jailsys::Disable),
        "inherit" | "2" => Some(Jailsys::Inherit),
        _ => None,
    }
}

fn integer(text: Option<&String>) -> Option<i128> {
    let text = text.map(|t| t.trim()).unwrap_or("");
    if text.is_empty() {
        Some(0)
    } else {
        text.parse().ok()
    }
}

/// The value of a scalar: the last one; none = empty.
fn scalar(values: &[String]) -> &str {
    values.last().map(String::as_str).unwrap_or("")
}

/// An address list element after jail(8)'s stripping: the parsed address,
/// or the stripped text when it does not parse.
#[derive(Debug, PartialEq, Eq)]
enum Address<'a> {
    Parsed(IpAddr),
    Text(&'a str),
}

fn addresses(values: &[String]) -> Vec<Address<'_>> {
    values
        .iter()
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|item| !item.is_empty() && *item != "-")
        .map(|item| {
            let item = item.rsplit_once('|').map_or(item, |(_, addr)| addr);
            let item = item.split(' ').next().unwrap_or(item);
            let item = item.split_once('/').map_or(item, |(addr, _)| addr);
            item.parse().map_or(Address::Text(item), Address::Parsed)
        })
        .collect()
}

/// How an observed value is shown.
pub fn observed_text(observed: &ObservedValue) -> String {
    match observed {
        ObservedValue::Bool(b) => b.to_string(),
        ObservedValue::List(items) => items.join(","),
        ObservedValue::Text(text) => text.clone(),
    }
}

/// How a configured value is shown: booleans as `true`/`false` (positive
/// name), jailsys by name, lists comma-joined, scalars as their last value.
fn desired_text(
    param: &KernelParam,
    inverted: bool,
    value_type: Option<ValueType>,
    observed: Option<&ObservedValue>,
) -> String {
    let is_bool = value_type == Some(ValueType::Bool)
        || (value_type.is_none() && matches!(observed, Some(ObservedValue::Bool(_))));
    if is_bool {
        if let Some(b) = bool_value(&param.values, param.negated != inverted) {
            return b.to_string();
        }
    }
    match value_type {
        Some(ValueType::Jailsys) => match jailsys(param.values.last()) {
            Some(Jailsys::Disable) => "disable".to_string(),
            Some(Jailsys::New) => "new".to_string(),
            Some(Jailsys::Inherit) => "inherit".to_string(),
            None => scalar(&param.values).to_string(),
        },
        Some(ValueType::Ip4List | ValueType::Ip6List) => param.values.join(","),
        _ => scalar(&param.values).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn param(written: &str, negated: bool, values: &[&str]) -> KernelParam {
        KernelParam {
            written: written.to_string(),
            negated,
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    fn text(s: &str) -> ObservedValue {
        ObservedValue::Text(s.to_string())
    }

    fn list(items: &[&str]) -> ObservedValue {
        ObservedValue::List(items.iter().map(|v| v.to_string()).collect())
    }

    fn eq(name: &str, p: KernelParam, observed: ObservedValue) -> bool {
        let value_type = params::lookup(name).map(|p| p.value_type);
        values_equal(name, value_type, &p, false, Some(&observed))
    }

    #[test]
    fn booleans() {
        let t = ObservedValue::Bool(true);
        let f = ObservedValue::Bool(false);
        assert!(eq("persist", param("persist", false, &[]), t.clone()));
        assert!(eq("persist", param("persist", false, &["TRUE"]), t.clone()));
        assert!(eq("persist", param("persist", false, &["1"]), t.clone()));
        assert!(eq("persist", param("nopersist", true, &[]), f.clone()));
        assert!(eq("persist", param("nopersist", true, &["0"]), t.clone()));
        assert!(!eq("persist", param("persist", false, &["0"]), t));
        assert!(!eq("persist", param("persist", false, &["maybe"]), f));
    }

    #[test]
    fn jailsys_and_ip4_disable() {
        assert!(eq("vnet", param("vnet", false, &[]), text("new")));
        assert!(eq("vnet", param("vnet", false, &["NEW"]), text("new")));
        assert!(eq("host", param("host", false, &["2"]), text("inherit")));
        assert!(eq("ip4", param("ip4", false, &["new"]), text("disable")));
        assert!(!eq("vnet", param("vnet", false, &["inherit"]), text("new")));
        assert!(!eq(
            "sysvshm",
            param("sysvshm", false, &["new"]),
            text("disable")
        ));
    }

    #[test]
    fn integers_and_strings() {
        assert!(eq(
            "securelevel",
            param("securelevel", false, &[]),
            text("0")
        ));
        assert!(eq(
            "securelevel",
            param("securelevel", false, &["03"]),
            text("3")
        ));
        assert!(!eq(
            "securelevel",
            param("securelevel", false, &["x"]),
            text("0")
        ));
        assert!(eq("path", param("path", false, &["/j"]), text("/j")));
        assert!(!eq("path", param("path", false, &["/j/"]), text("/j")));
    }

    #[test]
    fn addresses_in_kernel_form() {
        let p = param(
            "ip4.addr",
            false,
            &["em0|20.0.0.50/24 vhid 1", "10.0.0.1,10.0.0.2"],
        );
        assert!(eq(
            "ip4.addr",
            p,
            list(&["20.0.0.50", "10.0.0.1", "10.0.0.2"])
        ));
        let p = param("ip6.addr", false, &["em0|2001:DB8:0:0::0001/64"]);
        assert!(eq("ip6.addr", p, list(&["2001:db8::1"])));
        let p = param("ip4.addr", false, &["10.0.0.2", "10.0.0.1"]);
        assert!(!eq("ip4.addr", p, list(&["10.0.0.1", "10.0.0.2"])));
        assert!(eq("ip4.addr", param("ip4.addr", false, &["-"]), list(&[])));
    }

    #[test]
    fn unknown_no_form_booleans() {
        let mut params = BTreeMap::new();
        params.insert("allow.mount.ext2fs".to_string(), ObservedValue::Bool(false));
        let running = RunningJail {
            jid: 1,
            name: "j".into(),
            dying: false,
            params,
        };
        let mut kernel = BTreeMap::new();
        kernel.insert(
            "allow.mount.noext2fs".to_string(),
            param("allow.mount.noext2fs", false, &[]),
        );
        let desired = DesiredJail {
            name: "j".into(),
            config_file: "t.conf".into(),
            kernel,
            pseudo: BTreeMap::new(),
            depend: Vec::new(),
            ephemeral: false,
        };
        assert_eq!(compare(&desired, &running), []);
        desired_missing_is_a_difference(&desired);
    }

    fn desired_missing_is_a_difference(desired: &DesiredJail) {
        let running = RunningJail {
            jid: 1,
            name: "j".into(),
            dying: false,
            params: BTreeMap::new(),
        };
        let diffs = compare(desired, &running);
        assert_eq!(diffs.len(), 1);
        assert_eq!(diffs[0].change.old, None);
        assert!(!diffs[0].needs_restart);
    }
}
