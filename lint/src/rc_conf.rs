//! Host facts from an rc.conf(5) file: sh-style `name="value"` lines.

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::commands::{parse_address, prefix_after};

/// The variables of an rc.conf file that matter for jails.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RcConf {
    /// Every `name=value` assignment, last one wins (as in sh).
    pub vars: BTreeMap<String, RcValue>,
}

/// One assignment: its value and 1-based line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RcValue {
    /// The value with quotes removed.
    pub value: String,
    /// Where it is.
    pub line: usize,
}

/// An address an `ifconfig_*` line of rc.conf gives a host interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RcAddress<'r> {
    /// The interface (`em0` for `ifconfig_em0_alias0`).
    pub interface: &'r str,
    /// The variable (`ifconfig_em0_alias0`).
    pub variable: &'r str,
    /// Its 1-based line.
    pub line: usize,
    /// The address.
    pub addr: IpAddr,
    /// The prefix length, when the line gives one.
    pub prefix: Option<u8>,
}

impl RcAddress<'_> {
    /// Whether it comes from an `ifconfig_IF_aliasN` line (rather than the
    /// interface's own `ifconfig_IF` or `ifconfig_IF_ipv6`).
    pub fn is_alias(&self) -> bool {
        self.variable.contains("_alias")
    }
}

impl RcConf {
    /// Parses rc.conf text. Lines that are not simple assignments are
    /// ignored, as they do not set variables jails depend on.
    pub fn parse(text: &str) -> RcConf {
        let mut vars = BTreeMap::new();
        for (index, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((name, rest)) = line.split_once('=') else {
                continue;
            };
            let name = name.trim();
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                continue;
            }
            // shlex understands sh quoting; a trailing comment is dropped.
            let value = match shlex::split(rest) {
                Some(words) => words
                    .into_iter()
                    .take_while(|w| !w.starts_with('#'))
                    .collect::<Vec<_>>()
                    .join(" "),
                None => rest.trim_matches(|c| c == '"' || c == '\'').to_string(),
            };
            vars.insert(
                name.to_string(),
                RcValue {
                    value,
                    line: index + 1,
                },
            );
        }
        RcConf { vars }
    }

    /// A variable's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(|v| v.value.as_str())
    }

    /// Whether a `YES`/`NO` knob is on.
    pub fn enabled(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "yes" | "true" | "on" | "1"))
    }

    /// Interfaces created at boot: `cloned_interfaces` (and the older
    /// `cloned_interfaces_sticky` is irrelevant here).
    pub fn cloned_interfaces(&self) -> Vec<String> {
        self.get("cloned_interfaces")
            .map(|v| v.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default()
    }

    /// Interfaces configured by `ifconfig_IF` lines, with their values.
    pub fn ifconfig(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.iter().filter_map(|(name, value)| {
            let interface = name.strip_prefix("ifconfig_")?;
            // ifconfig_em0_alias0, ifconfig_em0_ipv6 and friends.
            Some((interface, value.value.as_str()))
        })
    }

    /// The addresses `ifconfig_IF` lines (and `_aliasN`, `_ipv6`) give
    /// the host's interfaces (the word after `inet`/`inet6`, or the first
    /// word), with the prefix length when the line has one (`/24`,
    /// `netmask 255.255.255.0` or `0xffffff00`, `prefixlen 64`).
    pub fn addresses(&self) -> Vec<RcAddress<'_>> {
        let mut addresses = Vec::new();
        for (name, value) in &self.vars {
            let Some(suffix) = name.strip_prefix("ifconfig_") else {
                continue;
            };
            let words: Vec<&str> = value.value.split_whitespace().collect();
            for (i, word) in words.iter().enumerate() {
                // The address follows `inet`/`inet6` or starts the value;
                // other addresses are netmasks, broadcasts or destinations.
                let after_family = i == 0 || matches!(words[i - 1], "inet" | "inet6");
                let Some((addr, prefix)) = parse_address(word).filter(|_| after_family) else {
                    continue;
                };
                let prefix = prefix
                    .or_else(|| prefix_after(words.get(i + 1).copied(), words.get(i + 2).copied()));
                addresses.push(RcAddress {
                    interface: RcConf::interface_of(suffix),
                    variable: name,
                    line: value.line,
                    addr,
                    prefix,
                });
            }
        }
        addresses
    }

    /// The interface an `ifconfig_*` variable's suffix configures:
    /// `em0` for `em0`, `em0_alias0` and `em0_ipv6`.
    pub fn interface_of(suffix: &str) -> &str {
        let base = suffix.split("_alias").next().unwrap_or(suffix);
        base.strip_suffix("_ipv6").unwrap_or(base)
    }

    /// `jail_list`, split.
    pub fn jail_list(&self) -> Vec<String> {
        self.get("jail_list")
            .map(|v| v.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_seed_rc_conf() {
        let rc = RcConf::parse(
            "# NETWORK\n  hostname=\"host\"\n  cloned_interfaces=\"bridge0\"\n  ifconfig_bridge0=\"inet 20.0.0.20/24 up addm em0\"\n  gateway_enable=YES\n  jail_list='classic vnet' # the jails\n",
        );
        assert_eq!(rc.cloned_interfaces(), ["bridge0"]);
        assert!(rc.enabled("gateway_enable"));
        assert_eq!(rc.jail_list(), ["classic", "vnet"]);
        assert_eq!(rc.vars["cloned_interfaces"].line, 3);
        let ifconfig: Vec<_> = rc.ifconfig().collect();
        assert_eq!(ifconfig, [("bridge0", "inet 20.0.0.20/24 up addm em0")]);
    }

    #[test]
    fn addresses_of_every_ifconfig_line() {
        let rc = RcConf::parse(
            "ifconfig_em0=\"inet 192.0.2.10 netmask 255.255.255.0\"\n\
             ifconfig_em0_alias0=\"inet 192.0.2.20 netmask 0xffffffff\"\n\
             ifconfig_em0_ipv6=\"inet6 2001:db8::10 prefixlen 64\"\n\
             ifconfig_em1=\"DHCP\"\n\
             ifconfig_tun0=\"inet 10.9.0.1 10.9.0.2 netmask 255.255.255.255 broadcast 10.9.0.255\"\n\
             ifconfig_lo1=\"198.51.100.1/24 up\"\n",
        );
        let found: Vec<_> = (rc.addresses().iter())
            .map(|a| {
                (
                    a.interface,
                    a.addr.to_string(),
                    a.prefix,
                    a.line,
                    a.is_alias(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                ("em0", "192.0.2.10".to_string(), Some(24), 1, false),
                ("em0", "192.0.2.20".to_string(), Some(32), 2, true),
                ("em0", "2001:db8::10".to_string(), Some(64), 3, false),
                ("lo1", "198.51.100.1".to_string(), Some(24), 6, false),
                ("tun0", "10.9.0.1".to_string(), None, 5, false),
            ]
        );
    }
}
