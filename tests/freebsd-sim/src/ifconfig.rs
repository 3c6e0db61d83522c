//! ifconfig(8): listing in FreeBSD 14/15's format (readable by
//! `jailconf_lint::facts::LiveHost::from_ifconfig`), cloning and
//! destroying `epair`/`bridge`/`lo` interfaces, flags, descriptions,
//! bridge members, addresses and moving interfaces between VNETs.
//!
//! Messages checked against FreeBSD's sources (sbin/ifconfig): unknown
//! interface `interface X does not exist`; `vnet JAIL` resolves the jail
//! with jail_getid(3), whose message for an unknown name is the kernel's
//! `jail "X" not found` (kern_jail.c), while an unknown numeric jid fails
//! in the ioctl: `SIOCSIFVNET: Device not configured` (if_vmove_loan
//! returns ENXIO). Cloning an existing unit gives `SIOCIFCREATE2 (NAME):
//! File exists` (14.x ifclone.c; older releases omit the name).

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::error::SimError;
use crate::out;
use crate::state::{mac_for, IfKind, Iface, Inet, Inet6, State, StateDir, JAIL_ENV};

/// Whose interfaces a command sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// The host.
    Host,
    /// Inside the VNET of this jail (a VNET jail or its non-VNET children).
    Vnet(u32),
    /// Inside a jail without its own VNET: it sees the interfaces of its
    /// VNET (`None` = host's) but only its own addresses, and may change
    /// nothing.
    Restricted {
        /// The jail.
        jid: u32,
        /// The VNET it shares.
        vnet: Option<u32>,
    },
}

impl View {
    /// The VNET whose interfaces are visible.
    pub fn vnet(self) -> Option<u32> {
        match self {
            View::Host => None,
            View::Vnet(jid) => Some(jid),
            View::Restricted { vnet, .. } => vnet,
        }
    }
}

/// The view of the current process: `JAILCONF_SIM_JAIL` names the jail
/// (by jid) it runs in. `Err` carries the message for a jail that no
/// longer exists.
pub fn current_view(state: &State) -> Result<View, String> {
    let Some(value) = std::env::var_os(JAIL_ENV) else {
        return Ok(View::Host);
    };
    let value = value.to_string_lossy();
    if value.is_empty() || value == "0" {
        return Ok(View::Host);
    }
    let jid: u32 = value
        .parse()
        .map_err(|_| format!("{JAIL_ENV}={value}: not a jid"))?;
    if state.jail(jid).is_none() {
        return Err(format!("jail {jid} not found"));
    }
    Ok(match state.vnet_of(jid) {
        Some(vnet) if vnet == jid => View::Vnet(jid),
        vnet => {
            // A non-VNET child of a VNET jail shares that VNET; the
            // restriction to its own addresses still applies.
            View::Restricted { jid, vnet }
        }
    })
}

/// `ifconfig ARGS…`.
pub fn main(args: &[String]) -> Result<i32, SimError> {
    let dir = StateDir::from_env()?;
    let mut locked = dir.lock_and_log("ifconfig", args)?;
    let view = match current_view(&locked.state) {
        Ok(view) => view,
        Err(message) => {
            out::err(&format!("ifconfig: {message}"));
            return Ok(1);
        }
    };
    let mut output = String::new();
    let result = run(&mut locked.state, view, args, &mut output);
    locked.save()?;
    drop(locked);
    out::out_raw(&output);
    Ok(match result {
        Ok(()) => 0,
        Err(message) => {
            out::err(&format!("ifconfig: {message}"));
            1
        }
    })
}

/// Output options.
#[derive(Clone, Copy, Debug, Default)]
struct Format {
    cidr: bool,
    only_up: bool,
    only_down: bool,
    af: Option<u8>,
}

/// Runs one ifconfig command line against `state`, appending what it
/// prints to `output`; `Err` is the message (without `ifconfig: `).
pub fn run(
    state: &mut State,
    view: View,
    args: &[String],
    output: &mut String,
) -> Result<(), String> {
    let mut format = Format {
        cidr: std::env::var("IFCONFIG_FORMAT").is_ok_and(|f| f.contains("inet:cidr")),
        ..Format::default()
    };
    let mut list_all = false;
    let mut list_names = false;
    let mut i = 0;
    while i < args.len() && args[i].starts_with('-') && args[i].len() > 1 {
        let arg = &args[i];
        if arg == "-f" {
            i += 1;
            let value = args.get(i).ok_or("option requires an argument -- f")?;
            format.cidr = value.contains("inet:cidr");
        } else {
            for flag in arg[1..].chars() {
                match flag {
                    'a' => list_all = true,
                    'l' => list_names = true,
                    'u' => format.only_up = true,
                    'd' => format.only_down = true,
                    'v' | 'm' | 'L' | 'n' | 'C' | 'k' => {}
                    other => return Err(format!("illegal option -- {other}")),
                }
            }
        }
        i += 1;
    }
    let rest = &args[i..];
    if list_names {
        let names: Vec<String> = visible(state, view, format)
            .map(|iface| iface.name.clone())
            .collect();
        output.push_str(&names.join(" "));
        output.push('\n');
        return Ok(());
    }
    if list_all || rest.is_empty() {
        if let Some(af) = rest.first() {
            format.af = af_of(af);
        }
        let listed: Vec<Iface> = visible(state, view, format).cloned().collect();
        for iface in &listed {
            output.push_str(&render(state, view, iface, format));
        }
        return Ok(());
    }
    configure(state, view, &rest[0], &rest[1..], format, output)
}

fn af_of(word: &str) -> Option<u8> {
    match word {
        "inet" => Some(4),
        "inet6" => Some(6),
        "link" | "ether" | "lladdr" => Some(0),
        _ => None,
    }
}

fn visible(state: &State, view: View, format: Format) -> impl Iterator<Item = &Iface> {
    let vnet = view.vnet();
    state.interfaces.iter().filter(move |iface| {
        iface.vnet == vnet && (!format.only_up || iface.up) && (!format.only_down || !iface.up)
    })
}

fn configure(
    state: &mut State,
    view: View,
    name: &str,
    ops: &[String],
    mut format: Format,
    output: &mut String,
) -> Result<(), String> {
    let vnet = view.vnet();
    let mut name = name.to_string();
    let mut ops = ops;
    if let Some(first) = ops.first().map(String::as_str) {
        if matches!(first, "create" | "plumb") {
            if matches!(view, View::Restricted { .. }) {
                return Err(format!("SIOCIFCREATE2 ({name}): Operation not permitted"));
            }
            let created = create(state, vnet, &name)?;
            if created != name {
                output.push_str(&created);
                output.push('\n');
            }
            name = created;
            ops = &ops[1..];
            if ops.is_empty() {
                return Ok(());
            }
        }
    }
    if state.iface(vnet, &name).is_none() {
        return Err(format!("interface {name} does not exist"));
    }
    if ops.is_empty() {
        let iface = state.iface(vnet, &name).cloned();
        if let Some(iface) = iface {
            output.push_str(&render(state, view, &iface, format));
        }
        return Ok(());
    }
    if ops.len() == 1 {
        if let Some(af) = af_of(&ops[0]) {
            format.af = Some(af);
            let iface = state.iface(vnet, &name).cloned();
            if let Some(iface) = iface {
                output.push_str(&render(state, view, &iface, format));
            }
            return Ok(());
        }
    }
    let restricted = matches!(view, View::Restricted { .. });
    let deny = |what: &str| -> Result<(), String> {
        if restricted {
            Err(format!("{what}: Operation not permitted"))
        } else {
            Ok(())
        }
    };
    let mut addr = AddrOp::default();
    let mut i = 0;
    let arg = |i: usize, keyword: &str| -> Result<String, String> {
        ops.get(i)
            .cloned()
            .ok_or_else(|| format!("{keyword}: requires an argument"))
    };
    while i < ops.len() {
        let op = ops[i].as_str();
        match op {
            "destroy" | "unplumb" => {
                deny("SIOCIFDESTROY")?;
                destroy(state, vnet, &name)?;
                return Ok(());
            }
            "up" | "down" => {
                deny("SIOCSIFFLAGS")?;
                if let Some(iface) = state.iface_mut(vnet, &name) {
                    iface.up = op == "up";
                }
            }
            "descr" | "description" => {
                deny("SIOCSIFDESCR")?;
                i += 1;
                let text = arg(i, op)?;
                if let Some(iface) = state.iface_mut(vnet, &name) {
                    iface.description = (!text.is_empty()).then_some(text);
                }
            }
            "-descr" | "-description" => {
                deny("SIOCSIFDESCR")?;
                if let Some(iface) = state.iface_mut(vnet, &name) {
                    iface.description = None;
                }
            }
            "mtu" => {
                deny("SIOCSIFMTU")?;
                i += 1;
                let value = arg(i, op)?;
                let mtu: u32 = value
                    .parse()
                    .map_err(|_| format!("mtu {value}: bad value"))?;
                if let Some(iface) = state.iface_mut(vnet, &name) {
                    iface.mtu = mtu;
                }
            }
            "name" => {
                deny("SIOCSIFNAME")?;
                i += 1;
                let new = arg(i, op)?;
                if state.iface(vnet, &new).is_some() {
                    return Err("ioctl SIOCSIFNAME (set name): File exists".to_string());
                }
                rename(state, vnet, &name, &new);
                output.push_str(&new);
                output.push('\n');
                name = new;
            }
            "addm" | "deletem" => {
                deny("BRDGADD")?;
                i += 1;
                let member = arg(i, op)?;
                bridge_member(state, vnet, &name, &member, op == "addm")?;
            }
            "vnet" | "-vnet" => {
                deny("SIOCSIFVNET")?;
                i += 1;
                let jail = arg(i, op)?;
                if op == "vnet" {
                    move_to_jail(state, vnet, &name, &jail)?;
                } else {
                    reclaim_from_jail(state, &name, &jail)?;
                }
                return Ok(());
            }
            "inet" => addr.af = Some(4),
            "inet6" => addr.af = Some(6),
            "netmask" => {
                i += 1;
                addr.netmask = Some(arg(i, op)?);
            }
            "prefixlen" => {
                i += 1;
                addr.prefixlen = Some(arg(i, op)?);
            }
            "broadcast" => i += 1,
            "alias" | "add" => addr.alias = true,
            "-alias" | "delete" | "remove" => addr.remove = true,
            "group" | "-group" | "ether" | "lladdr" | "link" | "fib" | "tunnelfib" => i += 1,
            "promisc" | "-promisc" | "arp" | "-arp" | "debug" | "-debug" | "monitor"
            | "-monitor" | "staticarp" | "-staticarp" | "stp" | "-stp" => {}
            word if addr.text.is_none() => addr.text = Some(word.to_string()),
            word => {
                return Err(format!(
                    "{word}: bad value (not an option, and an address was already given)"
                ))
            }
        }
        i += 1;
    }
    if addr.text.is_some() {
        deny("ioctl (SIOCAIFADDR)")?;
        apply_address(state, vnet, &name, &addr)?;
    }
    Ok(())
}

/// An address change collected from the command line.
#[derive(Debug, Default)]
struct AddrOp {
    af: Option<u8>,
    text: Option<String>,
    netmask: Option<String>,
    prefixlen: Option<String>,
    alias: bool,
    remove: bool,
}

fn apply_address(
    state: &mut State,
    vnet: Option<u32>,
    name: &str,
    op: &AddrOp,
) -> Result<(), String> {
    let text = op.text.clone().unwrap_or_default();
    let (addr_text, cidr) = match text.split_once('/') {
        Some((addr, bits)) => (addr.to_string(), Some(bits.to_string())),
        None => (text.clone(), None),
    };
    let af = op.af.unwrap_or(if addr_text.contains(':') { 6 } else { 4 });
    let iface = state
        .iface_mut(vnet, name)
        .ok_or_else(|| format!("interface {name} does not exist"))?;
    if af == 6 {
        let addr: Ipv6Addr = addr_text
            .split('%')
            .next()
            .unwrap_or_default()
            .parse()
            .map_err(|_| format!("{text}: bad value"))?;
        let prefix = match cidr.as_deref().or(op.prefixlen.as_deref()) {
            Some(bits) => bits
                .parse::<u8>()
                .ok()
                .filter(|b| *b <= 128)
                .ok_or_else(|| format!("{bits}: bad value"))?,
            None => 64,
        };
        let existing = iface.inet6.iter().position(|a| a.addr == addr);
        if op.remove {
            let at = existing.ok_or("ioctl (SIOCDIFADDR_IN6): Can't assign requested address")?;
            iface.inet6.remove(at);
        } else if let Some(at) = existing {
            iface.inet6[at].prefix = prefix;
        } else {
            iface.inet6.push(Inet6 { addr, prefix });
        }
        return Ok(());
    }
    let addr: Ipv4Addr = addr_text.parse().map_err(|_| {
        "error in parsing address string: hostname nor servname provided, or not known".to_string()
    })?;
    let prefix = match (cidr, op.netmask.as_deref()) {
        (Some(bits), _) => bits
            .parse::<u8>()
            .ok()
            .filter(|b| *b <= 32)
            .ok_or_else(|| format!("{bits}: bad value"))?,
        (None, Some(mask)) => mask_bits(mask).ok_or_else(|| format!("{mask}: bad value"))?,
        (None, None) => classful(addr),
    };
    let existing = iface.inet.iter().position(|a| a.addr == addr);
    if op.remove {
        let at = existing.ok_or("ioctl (SIOCDIFADDR): Can't assign requested address")?;
        iface.inet.remove(at);
    } else if let Some(at) = existing {
        iface.inet[at].prefix = prefix;
    } else if op.alias || iface.inet.is_empty() {
        iface.inet.push(Inet { addr, prefix });
    } else {
        // Without `alias` the first address is replaced.
        iface.inet[0] = Inet { addr, prefix };
    }
    Ok(())
}

/// The prefix length of a netmask written dotted (`255.255.255.0`) or in
/// hex (`0xffffff00`); `None` if it is not a contiguous mask.
pub fn mask_bits(mask: &str) -> Option<u8> {
    let value = if let Some(hex) = mask.strip_prefix("0x") {
        u32::from_str_radix(hex, 16).ok()?
    } else {
        u32::from(mask.parse::<Ipv4Addr>().ok()?)
    };
    let bits = value.count_ones();
    (value.checked_shl(bits).unwrap_or(0) == 0 && value.leading_ones() == bits)
        .then_some(bits as u8)
}

fn classful(addr: Ipv4Addr) -> u8 {
    match addr.octets()[0] {
        0..=127 => 8,
        128..=191 => 16,
        _ => 24,
    }
}

fn new_iface(name: &str, kind: IfKind, vnet: Option<u32>) -> Iface {
    Iface {
        name: name.to_string(),
        kind,
        up: false,
        description: None,
        ether: mac_for(name),
        mtu: if kind == IfKind::Loopback {
            16384
        } else {
            1500
        },
        inet: Vec::new(),
        inet6: Vec::new(),
        members: Vec::new(),
        vnet,
        home: vnet,
    }
}

/// Makes a host (or VNET) interface; used by `freebsd-sim init` and jail
/// creation (a new VNET's `lo0`).
pub fn make_iface(name: &str, vnet: Option<u32>) -> Iface {
    let kind = if name.starts_with("lo") {
        IfKind::Loopback
    } else if name.starts_with("bridge") {
        IfKind::Bridge
    } else if name.starts_with("epair") {
        IfKind::Epair
    } else {
        IfKind::Ether
    };
    new_iface(name, kind, vnet)
}

fn split_unit(name: &str) -> (&str, Option<u32>) {
    let digits = name.len() - name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (prefix, unit) = name.split_at(name.len() - digits);
    (prefix, unit.parse().ok())
}

fn create(state: &mut State, vnet: Option<u32>, name: &str) -> Result<String, String> {
    let (prefix, unit) = split_unit(name);
    let exists = |state: &State, unit: u32| -> bool {
        match prefix {
            "epair" => {
                state.iface_anywhere(&format!("epair{unit}a"))
                    || state.iface_anywhere(&format!("epair{unit}b"))
            }
            _ => state.iface_anywhere(&format!("{prefix}{unit}")),
        }
    };
    if !matches!(prefix, "epair" | "bridge" | "lo" | "tap" | "vlan") {
        return Err(format!("SIOCIFCREATE2 ({name}): Invalid argument"));
    }
    let unit = match unit {
        Some(unit) if exists(state, unit) => {
            return Err(format!("SIOCIFCREATE2 ({name}): File exists"))
        }
        Some(unit) => unit,
        None => (0..).find(|u| !exists(state, *u)).unwrap_or(0),
    };
    if prefix == "epair" {
        for end in ["a", "b"] {
            let mut iface = new_iface(&format!("epair{unit}{end}"), IfKind::Epair, vnet);
            iface.ether = format!(
                "02:{}:{:02x}:{:02x}:{:02x}:0{end}",
                "ff",
                (unit >> 16) & 0xff,
                (unit >> 8) & 0xff,
                unit & 0xff
            );
            state.interfaces.push(iface);
        }
        return Ok(format!("epair{unit}a"));
    }
    let new_name = format!("{prefix}{unit}");
    state.interfaces.push(make_iface(&new_name, vnet));
    Ok(new_name)
}

fn destroy(state: &mut State, vnet: Option<u32>, name: &str) -> Result<(), String> {
    let kind = state
        .iface(vnet, name)
        .map(|i| i.kind)
        .ok_or_else(|| format!("interface {name} does not exist"))?;
    let doomed: Vec<String> = match kind {
        IfKind::Epair => {
            let base = name.trim_end_matches(['a', 'b']);
            vec![format!("{base}a"), format!("{base}b")]
        }
        IfKind::Bridge => vec![name.to_string()],
        IfKind::Loopback if name != "lo0" => vec![name.to_string()],
        _ => return Err("SIOCIFDESTROY: Invalid argument".to_string()),
    };
    // Epair ends are destroyed wherever they are (one may be in a jail).
    state.interfaces.retain(|i| {
        let other_end = kind == IfKind::Epair && doomed.contains(&i.name);
        let this = i.vnet == vnet && i.name == name;
        !(this || other_end)
    });
    for iface in &mut state.interfaces {
        iface.members.retain(|m| !doomed.contains(m));
    }
    Ok(())
}

fn rename(state: &mut State, vnet: Option<u32>, old: &str, new: &str) {
    for iface in &mut state.interfaces {
        if iface.vnet == vnet {
            if iface.name == old {
                iface.name = new.to_string();
            }
            for member in &mut iface.members {
                if member == old {
                    *member = new.to_string();
                }
            }
        }
    }
}

fn bridge_member(
    state: &mut State,
    vnet: Option<u32>,
    bridge: &str,
    member: &str,
    add: bool,
) -> Result<(), String> {
    let op = if add { "BRDGADD" } else { "BRDGDEL" };
    if state.iface(vnet, bridge).map(|b| b.kind) != Some(IfKind::Bridge) {
        return Err(format!("{op} {member}: Invalid argument"));
    }
    if add {
        if state.iface(vnet, member).is_none() {
            return Err(format!("{op} {member}: No such file or directory"));
        }
        let in_other = state
            .interfaces
            .iter()
            .any(|i| i.vnet == vnet && i.name != bridge && i.members.iter().any(|m| m == member));
        if in_other {
            return Err(format!("{op} {member}: Device busy"));
        }
    }
    let Some(iface) = state.iface_mut(vnet, bridge) else {
        return Err(format!("interface {bridge} does not exist"));
    };
    let present = iface.members.iter().position(|m| m == member);
    match (add, present) {
        (true, Some(_)) => Err(format!("{op} {member}: File exists")),
        (true, None) => {
            iface.members.insert(0, member.to_string());
            Ok(())
        }
        (false, Some(at)) => {
            iface.members.remove(at);
            Ok(())
        }
        (false, None) => Err(format!("{op} {member}: Invalid argument")),
    }
}

/// Resolves a jail argument like jail_getid(3): a number is taken as a
/// jid as is (`Ok(None)` if no such jail: the ioctl then fails), a name
/// must exist.
fn resolve_jail(state: &State, jail: &str) -> Result<Option<u32>, String> {
    match jail.parse::<u32>() {
        Ok(jid) if !jail.is_empty() => Ok(state.jail(jid).map(|j| j.jid)),
        _ => state
            .find_jail(jail)
            .map(|j| Some(j.jid))
            .ok_or_else(|| format!("jail \"{jail}\" not found")),
    }
}

fn detach(state: &mut State, vnet: Option<u32>, name: &str) {
    for iface in &mut state.interfaces {
        if iface.vnet == vnet {
            iface.members.retain(|m| m != name);
        }
    }
}

fn move_to_jail(
    state: &mut State,
    vnet: Option<u32>,
    name: &str,
    jail: &str,
) -> Result<(), String> {
    let jid = resolve_jail(state, jail)?.ok_or("SIOCSIFVNET: Device not configured")?;
    let target = state.vnet_of(jid);
    if target == vnet || state.iface(target, name).is_some() {
        return Err("SIOCSIFVNET: File exists".to_string());
    }
    detach(state, vnet, name);
    if let Some(iface) = state.iface_mut(vnet, name) {
        iface.vnet = target;
        iface.up = false;
        iface.inet.clear();
        iface.inet6.clear();
    }
    Ok(())
}

fn reclaim_from_jail(state: &mut State, name: &str, jail: &str) -> Result<(), String> {
    let jid = resolve_jail(state, jail)?.ok_or("SIOCSIFRVNET: Device not configured")?;
    let from = state.vnet_of(jid);
    let home = state
        .iface(from, name)
        .map(|i| i.home)
        .ok_or("SIOCSIFRVNET: Device not configured")?;
    if state.iface(home, name).is_some() {
        return Err("SIOCSIFRVNET: File exists".to_string());
    }
    return_iface(state, from, name, home);
    Ok(())
}

/// Moves interface `name` from VNET `from` back to VNET `to`, as the
/// kernel does when a VNET is destroyed: addresses are dropped, bridge
/// membership in the old VNET ends.
pub fn return_iface(state: &mut State, from: Option<u32>, name: &str, to: Option<u32>) {
    detach(state, from, name);
    if let Some(iface) = state.iface_mut(from, name) {
        iface.vnet = to;
        iface.up = false;
        iface.inet.clear();
        iface.inet6.clear();
    }
}

const FLAG_NAMES: &[(u32, &str)] = &[
    (0x1, "UP"),
    (0x2, "BROADCAST"),
    (0x8, "LOOPBACK"),
    (0x40, "RUNNING"),
    (0x100, "PROMISC"),
    (0x800, "SIMPLEX"),
    (0x8000, "MULTICAST"),
    (0x100_0000, "LOWER_UP"),
];

fn flags(state: &State, iface: &Iface) -> u32 {
    let up = if iface.up { 0x1 | 0x40 } else { 0 };
    let member = state
        .interfaces
        .iter()
        .any(|b| b.vnet == iface.vnet && b.members.contains(&iface.name));
    let promisc = if member { 0x100 } else { 0 };
    match iface.kind {
        IfKind::Loopback => 0x8 | 0x8000 | 0x100_0000 | up,
        IfKind::Ether => 0x2 | 0x800 | 0x8000 | 0x100_0000 | up | promisc,
        IfKind::Bridge | IfKind::Epair => {
            0x2 | 0x800 | 0x8000 | up | promisc | if iface.up { 0x100_0000 } else { 0 }
        }
    }
}

fn prefix_mask(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix))
    }
}

/// One interface as `ifconfig IF` prints it.
fn render(state: &State, view: View, iface: &Iface, format: Format) -> String {
    let mut text = String::new();
    let bits = flags(state, iface);
    let names: Vec<&str> = FLAG_NAMES
        .iter()
        .filter(|(bit, _)| bits & bit != 0)
        .map(|(_, name)| *name)
        .collect();
    text.push_str(&format!(
        "{}: flags={:x}<{}> metric 0 mtu {}\n",
        iface.name,
        bits,
        names.join(","),
        iface.mtu
    ));
    if let Some(description) = &iface.description {
        text.push_str(&format!("\tdescription: {description}\n"));
    }
    let options = match iface.kind {
        IfKind::Ether => {
            "481009b<RXCSUM,TXCSUM,VLAN_MTU,VLAN_HWTAGGING,VLAN_HWCSUM,VLAN_HWFILTER,NOMAP>"
        }
        IfKind::Loopback => "680003<RXCSUM,TXCSUM,LINKSTATE,RXCSUM_IPV6,TXCSUM_IPV6>",
        IfKind::Epair => "8<VLAN_MTU>",
        IfKind::Bridge => "0",
    };
    text.push_str(&format!("\toptions={options}\n"));
    if iface.kind != IfKind::Loopback {
        text.push_str(&format!("\tether {}\n", iface.ether));
    }
    let (own4, own6): (Option<Vec<String>>, Option<Vec<String>>) = match view {
        View::Restricted { jid, .. } => {
            let jail = state.jail(jid);
            (
                Some(jail.map(|j| j.list("ip4.addr")).unwrap_or_default()),
                Some(jail.map(|j| j.list("ip6.addr")).unwrap_or_default()),
            )
        }
        _ => (None, None),
    };
    if format.af.is_none() || format.af == Some(4) {
        for inet in &iface.inet {
            if own4
                .as_ref()
                .is_some_and(|own| !own.contains(&inet.addr.to_string()))
            {
                continue;
            }
            let mask = prefix_mask(inet.prefix);
            let broadcast = Ipv4Addr::from(u32::from(inet.addr) | !mask);
            let loopback = iface.kind == IfKind::Loopback;
            match (format.cidr, loopback) {
                (true, true) => text.push_str(&format!("\tinet {}/{}\n", inet.addr, inet.prefix)),
                (true, false) => text.push_str(&format!(
                    "\tinet {}/{} broadcast {broadcast}\n",
                    inet.addr, inet.prefix
                )),
                (false, true) => {
                    text.push_str(&format!("\tinet {} netmask 0x{mask:08x}\n", inet.addr))
                }
                (false, false) => text.push_str(&format!(
                    "\tinet {} netmask 0x{mask:08x} broadcast {broadcast}\n",
                    inet.addr
                )),
            }
        }
    }
    if format.af.is_none() || format.af == Some(6) {
        for inet6 in &iface.inet6 {
            if own6
                .as_ref()
                .is_some_and(|own| !own.contains(&inet6.addr.to_string()))
            {
                continue;
            }
            if format.cidr {
                text.push_str(&format!("\tinet6 {}/{}\n", inet6.addr, inet6.prefix));
            } else {
                text.push_str(&format!(
                    "\tinet6 {} prefixlen {}\n",
                    inet6.addr, inet6.prefix
                ));
            }
        }
    }
    match iface.kind {
        IfKind::Bridge => {
            text.push_str("\tid 00:00:00:00:00:00 priority 32768 hellotime 2 fwddelay 15\n");
            text.push_str("\tmaxage 20 holdcnt 6 proto rstp maxaddr 2000 timeout 1200\n");
            text.push_str("\troot id 00:00:00:00:00:00 priority 32768 ifcost 0 port 0\n");
            let count = iface.members.len();
            for (index, member) in iface.members.iter().enumerate() {
                text.push_str(&format!(
                    "\tmember: {member} flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>\n\t        port {} priority 128 path cost 2000\n",
                    count - index
                ));
            }
            text.push_str("\tgroups: bridge\n");
            text.push_str("\tnd6 options=9<PERFORMNUD,IFDISABLED>\n");
        }
        IfKind::Epair => {
            text.push_str("\tgroups: epair\n");
            text.push_str("\tmedia: Ethernet 10Gbase-T (10Gbase-T <full-duplex>)\n");
            text.push_str(&format!(
                "\tstatus: {}\n",
                if iface.up { "active" } else { "no carrier" }
            ));
            text.push_str("\tnd6 options=29<PERFORMNUD,IFDISABLED,AUTO_LINKLOCAL>\n");
        }
        IfKind::Ether => {
            text.push_str("\tmedia: Ethernet autoselect (1000baseT <full-duplex>)\n");
            text.push_str("\tstatus: active\n");
            text.push_str("\tnd6 options=29<PERFORMNUD,IFDISABLED,AUTO_LINKLOCAL>\n");
        }
        IfKind::Loopback => {
            text.push_str("\tgroups: lo\n");
            text.push_str("\tnd6 options=21<PERFORMNUD,AUTO_LINKLOCAL>\n");
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> State {
        let mut state = State::new();
        let mut em0 = make_iface("em0", None);
        em0.up = true;
        em0.inet.push(Inet {
            addr: "20.0.0.20".parse().unwrap(),
            prefix: 24,
        });
        state.interfaces.push(em0);
        let mut bridge = make_iface("bridge0", None);
        bridge.up = true;
        state.interfaces.push(bridge);
        state
    }

    fn sh(state: &mut State, line: &str) -> Result<String, String> {
        let args: Vec<String> = line.split_whitespace().map(String::from).collect();
        let mut output = String::new();
        run(state, View::Host, &args, &mut output).map(|()| output)
    }

    #[test]
    fn masks() {
        assert_eq!(mask_bits("255.255.255.0"), Some(24));
        assert_eq!(mask_bits("0xffffff00"), Some(24));
        assert_eq!(mask_bits("255.255.255.255"), Some(32));
        assert_eq!(mask_bits("255.0.255.0"), None);
        assert_eq!(mask_bits("0x0"), Some(0));
    }

    #[test]
    fn epair_lifecycle() {
        let mut state = host();
        assert_eq!(sh(&mut state, "epair60 create up").unwrap(), "epair60a\n");
        assert!(state.iface(None, "epair60a").unwrap().up);
        assert!(!state.iface(None, "epair60b").unwrap().up);
        assert_eq!(
            sh(&mut state, "epair60 create").unwrap_err(),
            "SIOCIFCREATE2 (epair60): File exists"
        );
        sh(&mut state, "epair60a up descr jail:vnet").unwrap();
        sh(&mut state, "bridge0 addm epair60a up").unwrap();
        assert_eq!(state.iface(None, "bridge0").unwrap().members, ["epair60a"]);
        sh(&mut state, "epair60b destroy").unwrap();
        assert!(!state.iface_anywhere("epair60a"));
        assert!(state.iface(None, "bridge0").unwrap().members.is_empty());
        assert_eq!(sh(&mut state, "epair create").unwrap(), "epair0a\n");
    }

    #[test]
    fn addresses() {
        let mut state = host();
        sh(
            &mut state,
            "em0 inet 20.0.0.50 netmask 255.255.255.255 alias",
        )
        .unwrap();
        sh(&mut state, "em0 inet6 fd00::1/64 alias").unwrap();
        let text = sh(&mut state, "em0").unwrap();
        assert!(text.contains("\tinet 20.0.0.20 netmask 0xffffff00 broadcast 20.0.0.255\n"));
        assert!(text.contains("\tinet 20.0.0.50 netmask 0xffffffff broadcast 20.0.0.50\n"));
        assert!(text.contains("\tinet6 fd00::1 prefixlen 64\n"));
        sh(
            &mut state,
            "em0 inet 20.0.0.50 netmask 255.255.255.255 -alias",
        )
        .unwrap();
        assert_eq!(state.iface(None, "em0").unwrap().inet.len(), 1);
        assert_eq!(
            sh(&mut state, "em0 inet 20.0.0.50 -alias").unwrap_err(),
            "ioctl (SIOCDIFADDR): Can't assign requested address"
        );
        assert_eq!(
            sh(&mut state, "nope0 up").unwrap_err(),
            "interface nope0 does not exist"
        );
    }

    #[test]
    fn listing_flags() {
        let mut state = host();
        let text = sh(&mut state, "-a").unwrap();
        assert!(text.starts_with(
            "em0: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500\n"
        ));
        assert_eq!(sh(&mut state, "-l").unwrap(), "em0 bridge0\n");
    }
}
