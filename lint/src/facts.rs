//! Optional facts about the host a configuration is for: its rc.conf, and
//! on FreeBSD with `--host` the live interfaces and file system.

use std::net::IpAddr;
use std::path::PathBuf;

use crate::commands::{netmask_prefix, parse_address};
use crate::rc_conf::RcConf;

/// An rc.conf with the path it was read from.
#[derive(Clone, Debug)]
pub struct RcFacts {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its variables.
    pub conf: RcConf,
}

/// One interface of the live host.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostInterface {
    /// Its name.
    pub name: String,
    /// Its addresses with prefix lengths.
    pub addresses: Vec<(IpAddr, u8)>,
    /// Bridge members (for a bridge).
    pub members: Vec<String>,
    /// Whether the `UP` flag is set.
    pub up: bool,
    /// The `description:` line, if any.
    pub description: Option<String>,
}

/// The live host, read with ifconfig(8).
#[derive(Clone, Debug, Default)]
pub struct LiveHost {
    /// Every interface.
    pub interfaces: Vec<HostInterface>,
}

impl LiveHost {
    /// Parses `ifconfig -a` output.
    pub fn from_ifconfig(output: &str) -> LiveHost {
        let mut interfaces: Vec<HostInterface> = Vec::new();
        for line in output.lines() {
            if !line.starts_with(char::is_whitespace) {
                if let Some((name, rest)) = line.split_once(':') {
                    interfaces.push(HostInterface {
                        name: name.to_string(),
                        up: has_up_flag(rest),
                        ..HostInterface::default()
                    });
                }
                continue;
            }
            let Some(current) = interfaces.last_mut() else {
                continue;
            };
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["inet", addr, "netmask", mask, ..] => {
                    if let (Ok(addr), Some(prefix)) = (addr.parse(), netmask_prefix(mask)) {
                        current.addresses.push((addr, prefix));
                    }
                }
                // `ifconfig -f inet:cidr` (or IFCONFIG_FORMAT) prints CIDR.
                ["inet", cidr, ..] => {
                    if let Some((addr, Some(prefix))) = parse_address(cidr) {
                        current.addresses.push((addr, prefix));
                    }
                }
                ["inet6", addr, "prefixlen", len, ..] => {
                    if let (Some((addr, _)), Ok(len)) = (parse_address(addr), len.parse()) {
                        current.addresses.push((addr, len));
                    }
                }
                ["member:", member, ..] => current.members.push(member.to_string()),
                ["description:", ..] => {
                    let text = line.trim_start().trim_start_matches("description:").trim();
                    current.description = Some(text.to_string());
                }
                _ => {}
            }
        }
        LiveHost { interfaces }
    }

    /// Reads the running host with `ifconfig -a`.
    pub fn read() -> std::io::Result<LiveHost> {
        let output = std::process::Command::new("ifconfig").arg("-a").output()?;
        if !output.status.success() {
            return Err(std::io::Error::other(
                crate::context::lossy(&output.stderr).into_owned(),
            ));
        }
        Ok(LiveHost::from_ifconfig(&crate::context::lossy(
            &output.stdout,
        )))
    }

    /// The interface with this name.
    pub fn interface(&self, name: &str) -> Option<&HostInterface> {
        self.interfaces.iter().find(|i| i.name == name)
    }
}

/// Whether the `flags=8863<UP,BROADCAST,…>` part of an interface's first
/// line has `UP`.
fn has_up_flag(header: &str) -> bool {
    header
        .split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .is_some_and(|(flags, _)| flags.split(',').any(|flag| flag == "UP"))
}

/// Everything known about the host. All parts are optional: rules that
/// need a fact stay silent without it.
#[derive(Clone, Debug, Default)]
pub struct HostFacts {
    /// The host's rc.conf.
    pub rc_conf: Option<RcFacts>,
    /// The live host (`--host`); also enables file-system checks.
    pub live: Option<LiveHost>,
}

impl HostFacts {
    /// Whether any fact is known.
    pub fn is_empty(&self) -> bool {
        self.rc_conf.is_none() && self.live.is_none()
    }

    /// Whether an interface exists at boot or on the live host: rc.conf's
    /// `cloned_interfaces` or `ifconfig_IF` lines, or the live list.
    pub fn interface_known(&self, name: &str) -> bool {
        let in_rc = self.rc_conf.as_ref().is_some_and(|rc| {
            rc.conf.cloned_interfaces().iter().any(|i| i == name)
                || rc.conf.ifconfig().any(|(i, _)| i == name)
        });
        in_rc
            || self
                .live
                .as_ref()
                .is_some_and(|live| live.interface(name).is_some())
    }

    /// Subnets configured on an interface (rc.conf `ifconfig_IF` and
    /// aliases, or the live host).
    pub fn subnets(&self, name: &str) -> Vec<ipnet::IpNet> {
        let mut nets = Vec::new();
        if let Some(rc) = &self.rc_conf {
            let addresses = rc.conf.addresses();
            for address in addresses.iter().filter(|a| a.interface == name) {
                if let Some(prefix) = address.prefix {
                    if let Ok(net) = ipnet::IpNet::new(address.addr, prefix) {
                        nets.push(net.trunc());
                    }
                }
            }
        }
        if let Some(live) = &self.live {
            if let Some(interface) = live.interface(name) {
                for &(addr, prefix) in &interface.addresses {
                    if let Ok(net) = ipnet::IpNet::new(addr, prefix) {
                        nets.push(net.trunc());
                    }
                }
            }
        }
        nets
    }

    /// The members of a bridge: `addm IF` in rc.conf's `ifconfig_BRIDGE`,
    /// or the live host's `member:` lines.
    pub fn bridge_members(&self, bridge: &str) -> Vec<String> {
        let mut members = Vec::new();
        if let Some(rc) = &self.rc_conf {
            for (interface, value) in rc.conf.ifconfig() {
                if interface == bridge {
                    let words: Vec<&str> = value.split_whitespace().collect();
                    for pair in words.windows(2) {
                        if pair[0] == "addm" {
                            members.push(pair[1].to_string());
                        }
                    }
                }
            }
        }
        if let Some(interface) = self.live.as_ref().and_then(|l| l.interface(bridge)) {
            members.extend(interface.members.iter().cloned());
        }
        members
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_freebsd_ifconfig() {
        let live = LiveHost::from_ifconfig(
            "em0: flags=8863<UP> metric 0 mtu 1500\n\tinet 20.0.0.20 netmask 0xffffff00 broadcast 20.0.0.255\n\
             bridge0: flags=8843<UP> mtu 1500\n\tinet6 fe80::1%bridge0 prefixlen 64 scopeid 0x3\n\tmember: em0 flags=143<LEARNING>\n",
        );
        assert_eq!(live.interfaces.len(), 2);
        assert_eq!(
            live.interfaces[0].addresses,
            [("20.0.0.20".parse().unwrap(), 24)]
        );
        assert_eq!(live.interfaces[1].members, ["em0"]);
        assert_eq!(live.interfaces[1].addresses[0].1, 64);
        assert!(live.interfaces[0].up);
    }

    #[test]
    fn parses_cidr_description_and_down_interfaces() {
        let live = LiveHost::from_ifconfig(
            "epair60a: flags=8842<BROADCAST,RUNNING> metric 0 mtu 1500\n\tdescription: jail:vnet\n\tinet 20.0.0.50/32 broadcast 20.0.0.50\n",
        );
        let epair = &live.interfaces[0];
        assert!(!epair.up);
        assert_eq!(epair.description.as_deref(), Some("jail:vnet"));
        assert_eq!(epair.addresses, [("20.0.0.50".parse().unwrap(), 32)]);
    }

    #[test]
    fn rc_conf_subnets_and_interfaces() {
        let facts = HostFacts {
            rc_conf: Some(RcFacts {
                path: "rc.conf".into(),
                conf: RcConf::parse("cloned_interfaces=\"bridge0\"\nifconfig_bridge0=\"inet 20.0.0.20/24 up addm em0\"\nifconfig_em0_alias0=\"inet 10.1.1.1 netmask 255.255.0.0\"\n"),
            }),
            live: None,
        };
        assert!(facts.interface_known("bridge0"));
        assert!(!facts.interface_known("bridge1"));
        assert_eq!(
            facts.subnets("bridge0"),
            ["20.0.0.0/24".parse::<ipnet::IpNet>().unwrap()]
        );
        assert_eq!(
            facts.subnets("em0"),
            ["10.1.0.0/16".parse::<ipnet::IpNet>().unwrap()]
        );
        assert_eq!(facts.bridge_members("bridge0"), ["em0"]);
        let facts = HostFacts {
            rc_conf: Some(RcFacts {
                path: "rc.conf".into(),
                conf: RcConf::parse("ifconfig_em0=\"inet 10.0.0.5 netmask 0xffffff00\"\nifconfig_em0_ipv6=\"inet6 2001:db8::5 prefixlen 64\"\n"),
            }),
            live: None,
        };
        assert_eq!(
            facts.subnets("em0"),
            [
                "10.0.0.0/24".parse::<ipnet::IpNet>().unwrap(),
                "2001:db8::/64".parse().unwrap()
            ]
        );
    }
}
