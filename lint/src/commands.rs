//! Understanding the shell commands in `exec.*` hooks.
//!
//! After expansion, each command is split into simple commands (at `;`,
//! `&&`, `||`, `|` and newlines) and each into words with sh quoting rules.
//! The network commands jail setups use are recognised: `ifconfig` (create,
//! destroy, addm, deletem, addresses, vnet), `route add default`, and the
//! `jib`/`jng` helper scripts.

use std::borrow::Cow;
use std::net::IpAddr;

/// Where a hook runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// On the host (`exec.prepare`, `exec.prestart`, `exec.created`,
    /// `exec.poststart`, `exec.prestop`, `exec.poststop`, `exec.release`).
    Host,
    /// Inside the jail (`exec.start`, `exec.stop`, `command`).
    Jail,
}

/// The hook parameters, with the side each runs on.
const HOOKS: [(&str, Side); 10] = [
    ("exec.start", Side::Jail),
    ("exec.stop", Side::Jail),
    ("command", Side::Jail),
    ("exec.prepare", Side::Host),
    ("exec.prestart", Side::Host),
    ("exec.created", Side::Host),
    ("exec.poststart", Side::Host),
    ("exec.prestop", Side::Host),
    ("exec.poststop", Side::Host),
    ("exec.release", Side::Host),
];

/// The side a hook parameter runs on; `None` for non-command parameters.
pub fn hook_side(param: &str) -> Option<Side> {
    hook(param.as_bytes()).map(|(_, side)| side)
}

/// A hook parameter's name (as a static string) and side, from the name
/// as jail(8) reads it; `None` for non-command parameters.
pub fn hook(param: &[u8]) -> Option<(&'static str, Side)> {
    HOOKS
        .iter()
        .find(|(name, _)| name.as_bytes() == param)
        .copied()
}

/// One recognised network action. Its names borrow the command's words
/// (which borrow the command text where they can).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetAction<'t> {
    /// `ifconfig IF create`: for `epairN` this creates `epairNa` and `epairNb`.
    Create(Cow<'t, str>),
    /// `ifconfig IF destroy`.
    Destroy(Cow<'t, str>),
    /// `ifconfig BRIDGE addm IF`.
    AddMember {
        /// The bridge.
        bridge: Cow<'t, str>,
        /// The interface added to it.
        member: Cow<'t, str>,
    },
    /// `ifconfig IF [inet|inet6] ADDR[/LEN] …`.
    Address {
        /// The interface.
        interface: Cow<'t, str>,
        /// The address.
        addr: IpAddr,
        /// The prefix length, when given (`/24` or `netmask`).
        prefix: Option<u8>,
    },
    /// `ifconfig IF vnet JAIL`.
    MoveToJail {
        /// The interface moved.
        interface: Cow<'t, str>,
        /// The jail it moves into, by name or jid.
        jail: Cow<'t, str>,
    },
    /// `ifconfig IF name NEW`: the interface is called NEW from then on.
    Rename {
        /// The interface's name before.
        interface: Cow<'t, str>,
        /// Its new name.
        to: Cow<'t, str>,
    },
    /// `ifconfig IF ether|lladdr|link MAC`: a fixed link-level (MAC)
    /// address.
    LinkAddress {
        /// The interface.
        interface: Cow<'t, str>,
        /// The address.
        mac: MacAddress,
    },
    /// `route add default GW` (`route add -inet6 default GW` too).
    DefaultRoute(IpAddr),
    /// `jib addm NAME IF…`: creates `e0a_NAME`/`e0b_NAME` on a bridge it
    /// creates for each IF.
    Jib {
        /// The jail-side name.
        name: Cow<'t, str>,
        /// The host interfaces bridged.
        uplinks: Vec<Cow<'t, str>>,
    },
    /// `jng bridge NAME IF…`: netgraph equivalent.
    Jng {
        /// The jail-side name.
        name: Cow<'t, str>,
        /// The host interfaces bridged.
        uplinks: Vec<Cow<'t, str>>,
    },
}

/// Simple commands, each as its words (a word without quotes or
/// backslashes borrows the text), stored flat: the words of every command
/// one after the other. Holds the commands of one command string or of
/// many (see [`SimpleCommands::push`]).
#[derive(Clone, Debug, Default)]
pub struct SimpleCommands<'t> {
    words: Vec<Cow<'t, str>>,
    /// Where each command's words end in `words`.
    ends: Vec<u32>,
}

impl<'t> SimpleCommands<'t> {
    /// Room for the commands of about `bytes` bytes of command text
    /// (commands average well over five bytes a word and four words a
    /// command), so that holding every hook of a large configuration does
    /// not copy the words again each time the vectors fill up.
    pub fn with_capacity(bytes: usize) -> Self {
        SimpleCommands {
            words: Vec::with_capacity(bytes / 5),
            ends: Vec::with_capacity(bytes / 20),
        }
    }

    /// Appends the simple commands of `command`; returns the range of the
    /// commands added, for [`SimpleCommands::range`].
    pub fn push(&mut self, command: &'t str) -> std::ops::Range<usize> {
        let first = self.ends.len();
        split_operators(command, |part| {
            let start = self.words.len();
            if shell_words(part, &mut self.words) {
                if self.words.len() > start {
                    self.ends.push(self.words.len() as u32);
                }
            } else {
                self.words.truncate(start);
            }
        });
        first..self.ends.len()
    }

    /// [`SimpleCommands::push`] for a command as bytes: invalid UTF-8 is
    /// replaced as by `String::from_utf8_lossy` (such words are owned).
    pub fn push_bytes(&mut self, command: &'t [u8]) -> std::ops::Range<usize> {
        match std::str::from_utf8(command) {
            Ok(command) => self.push(command),
            Err(_) => {
                let text = String::from_utf8_lossy(command);
                let mut split = SimpleCommands::default();
                split.push(&text);
                let first = self.ends.len();
                let base = self.words.len() as u32;
                self.words
                    .extend(split.words.into_iter().map(|w| Cow::Owned(w.into_owned())));
                self.ends.extend(split.ends.iter().map(|end| base + end));
                first..self.ends.len()
            }
        }
    }

    /// Every command held.
    pub fn all(&self) -> Commands<'_, 't> {
        self.range(0..self.ends.len())
    }

    /// The commands in `range` (as returned by [`SimpleCommands::push`]).
    pub fn range(&self, range: std::ops::Range<usize>) -> Commands<'_, 't> {
        let start = match range.start {
            0 => 0,
            i => self.ends[i - 1] as usize,
        };
        Commands {
            words: &self.words,
            ends: &self.ends[range],
            start,
        }
    }
}

/// A view of some [`SimpleCommands`]: iterate to get each command's
/// words.
#[derive(Clone, Copy, Debug)]
pub struct Commands<'s, 't> {
    words: &'s [Cow<'t, str>],
    ends: &'s [u32],
    /// Where the first command's words start in `words`.
    start: usize,
}

impl<'s, 't> Commands<'s, 't> {
    /// Each command's words (never empty), in order.
    pub fn iter(self) -> impl Iterator<Item = &'s [Cow<'t, str>]> {
        let words = self.words;
        let mut start = self.start;
        self.ends.iter().map(move |&end| {
            let command = &words[start..end as usize];
            start = end as usize;
            command
        })
    }

    /// The number of commands.
    pub fn len(self) -> usize {
        self.ends.len()
    }

    /// Whether there is no command.
    pub fn is_empty(self) -> bool {
        self.ends.is_empty()
    }
}

/// Splits a command string into simple commands of words (at `;`, `&&`,
/// `||`, `|`, `&` and newlines outside quotes, then with sh quoting
/// rules), with words borrowed from `command` where they can be. A part sh
/// could not parse (unbalanced quotes) is left out.
pub fn split_commands(command: &str) -> SimpleCommands<'_> {
    let mut out = SimpleCommands::default();
    out.push(command);
    out
}

/// A table of the bytes in `set`.
const fn byte_table(set: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut i = 0;
    while i < set.len() {
        table[set[i] as usize] = true;
        i += 1;
    }
    table
}

/// The bytes that end a run of ordinary word bytes: blanks, quotes and
/// backslashes.
static WORD_SPECIAL: [bool; 256] = byte_table(b" \t\n\"'\\");

/// The bytes that end a run of ordinary bytes outside quotes: quotes,
/// backslashes and operators.
static OPERATOR_SPECIAL: [bool; 256] = byte_table(b"'\"\\;|&\n");

/// Splits text into words as `shlex::split` does, appending them to
/// `words` (the same words; `false`, with some words possibly appended,
/// on an unterminated quote or a trailing backslash), without building
/// each plain word byte by byte: a word without quotes or backslashes is
/// borrowed from the text.
fn shell_words<'t>(text: &'t str, words: &mut Vec<Cow<'t, str>>) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut buffer: Vec<u8> = Vec::new();
    let next = |i: &mut usize| {
        let c = bytes.get(*i).copied();
        if c.is_some() {
            *i += 1;
        }
        c
    };
    // Blanks and comments before each word.
    'words: while let Some(mut ch) = next(&mut i) {
        loop {
            match ch {
                b' ' | b'\t' | b'\n' => {}
                b'#' => {
                    while let Some(c) = next(&mut i) {
                        if c == b'\n' {
                            break;
                        }
                    }
                }
                _ => break,
            }
            match next(&mut i) {
                Some(c) => ch = c,
                None => break 'words,
            }
        }
        // A word, starting at `ch`.
        let start = i - 1;
        let mut plain = true;
        let end = loop {
            let at = i - 1;
            if plain && matches!(ch, b'"' | b'\'' | b'\\') {
                plain = false;
                buffer.clear();
                buffer.extend_from_slice(&bytes[start..at]);
            }
            match ch {
                b'"' => loop {
                    let c = match next(&mut i) {
                        Some(c) => c,
                        None => return false,
                    };
                    match c {
                        b'\\' => {
                            let c2 = match next(&mut i) {
                                Some(c) => c,
                                None => return false,
                            };
                            match c2 {
                                b'$' | b'`' | b'"' | b'\\' => buffer.push(c2),
                                b'\n' => {}
                                _ => {
                                    buffer.push(b'\\');
                                    buffer.push(c2);
                                }
                            }
                        }
                        b'"' => break,
                        _ => buffer.push(c),
                    }
                },
                b'\'' => loop {
                    let c = match next(&mut i) {
                        Some(c) => c,
                        None => return false,
                    };
                    if c == b'\'' {
                        break;
                    }
                    buffer.push(c);
                },
                b'\\' => {
                    let c2 = match next(&mut i) {
                        Some(c) => c,
                        None => return false,
                    };
                    if c2 != b'\n' {
                        buffer.push(c2);
                    }
                }
                b' ' | b'\t' | b'\n' => break at,
                _ => {
                    // The run of ordinary bytes this one starts.
                    let run = i + bytes[i..]
                        .iter()
                        .position(|&b| WORD_SPECIAL[b as usize])
                        .unwrap_or(bytes.len() - i);
                    if !plain {
                        buffer.extend_from_slice(&bytes[at..run]);
                    }
                    i = run;
                }
            }
            match next(&mut i) {
                Some(c) => ch = c,
                None => break i,
            }
        };
        words.push(if plain {
            Cow::Borrowed(&text[start..end])
        } else {
            Cow::Owned(String::from_utf8_lossy(&buffer).into_owned())
        });
    }
    true
}

/// Splits at `;`, `&&`, `||`, `|`, `&` and newlines outside quotes,
/// giving each part to `part`. The parts are the text between the
/// operators (every other character is kept), so they are slices of
/// `command`.
fn split_operators<'t>(command: &'t str, mut part: impl FnMut(&'t str)) {
    let bytes = command.as_bytes();
    let mut start = 0;
    let mut quote: Option<u8> = None;
    let mut i = 0;
    // Operators, quotes and backslashes are ASCII: a byte walk sees the
    // same ones as a walk over chars (UTF-8 continuation bytes never
    // match them; a backslash before a multi-byte char skips its first
    // byte only, and the rest cannot match either).
    while i < bytes.len() {
        let c = bytes[i];
        i += 1;
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(b'"'), b'\\') => i += 1,
            (Some(_), _) => {}
            (None, b'\'' | b'"') => quote = Some(c),
            (None, b'\\') => i += 1,
            (None, b';' | b'|' | b'&' | b'\n') => {
                part(&command[start..i - 1]);
                while matches!(bytes.get(i), Some(b'|' | b'&')) {
                    i += 1;
                }
                start = i;
            }
            (None, _) => {
                // Skip the run of ordinary bytes.
                i += bytes[i..]
                    .iter()
                    .position(|&b| OPERATOR_SPECIAL[b as usize])
                    .unwrap_or(bytes.len() - i);
            }
        }
    }
    part(command.get(start..).unwrap_or(""));
}

/// The name of the program a command word runs: what follows its last
/// `/` (the whole word without one).
pub fn program_name(word: &str) -> &str {
    match word.bytes().rposition(|b| b == b'/') {
        Some(slash) => &word[slash + 1..],
        None => word,
    }
}

/// Programs known to leave network interfaces alone.
const NO_NETWORK_EFFECT: &[&str] = &[
    "logger", "echo", "printf", "true", "false", ":", "cp", "mv", "mkdir", "rm", "touch", "ln",
    "chmod", "chown", "cat", "sleep", "sysctl", "sysrc", "mount", "umount", "zfs", "kldload",
    "devfs", "test", "[", "install", "date", "env", "pfctl",
];

/// Whether a command string runs a program whose effect on network
/// interfaces cannot be seen: anything but `ifconfig`, `route`, `jib`,
/// `jng` (understood by [`net_actions`]) and common commands without
/// network effect. A script called from a hook may create, move or
/// destroy interfaces.
pub fn runs_opaque_program(command: &str) -> bool {
    runs_opaque(split_commands(command).all())
}

/// [`runs_opaque_program`] for a command string already split.
pub fn runs_opaque(commands: Commands<'_, '_>) -> bool {
    commands.iter().any(|words| {
        let program = program_name(&words[0]);
        !matches!(program, "ifconfig" | "route" | "jib" | "jng")
            && !NO_NETWORK_EFFECT.contains(&program)
    })
}

/// Parses an address written `ADDR`, `ADDR/LEN` (an interface prefix
/// `IF|` and a zone `%IF` are removed).
pub fn parse_address(text: &str) -> Option<(IpAddr, Option<u8>)> {
    // Every address has a hex digit or a colon (most words given are not
    // addresses: `up`, `inet`).
    if !text.bytes().any(|b| b.is_ascii_hexdigit() || b == b':') {
        return None;
    }
    let text = text.rsplit('|').next().unwrap_or(text);
    let text = text.split_whitespace().next().unwrap_or("");
    let (addr, prefix) = match text.split_once('/') {
        Some((addr, len)) => (addr, Some(len.parse::<u8>().ok()?)),
        None => (text, None),
    };
    let addr = addr.split('%').next().unwrap_or(addr);
    // Every address is written with these (most words given are not
    // addresses: `up`, interface names).
    if !addr
        .bytes()
        .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
    {
        return None;
    }
    let addr: IpAddr = addr.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    if prefix.is_some_and(|p| p > max) {
        return None;
    }
    Some((addr, prefix))
}

pub(crate) fn netmask_prefix(mask: &str) -> Option<u8> {
    if let Some(hex) = mask.strip_prefix("0x") {
        return u32::from_str_radix(hex, 16)
            .ok()
            .map(|m| m.count_ones() as u8);
    }
    match mask.parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => Some(u32::from(v4).count_ones() as u8),
        IpAddr::V6(_) => None,
    }
}

/// The prefix length that ifconfig arguments give the address before
/// them: `netmask M` (dotted or hex) or `prefixlen N`.
pub(crate) fn prefix_after(option: Option<&str>, value: Option<&str>) -> Option<u8> {
    match (option?, value?) {
        ("netmask", mask) => netmask_prefix(mask),
        ("prefixlen", length) => length.parse().ok(),
        _ => None,
    }
}

/// The network actions of one command string.
pub fn net_actions(command: &str) -> Vec<NetAction<'_>> {
    let mut actions = Vec::new();
    net_actions_of(split_commands(command).all(), &mut actions);
    actions
}

/// [`net_actions`] for a command string already split, appending to
/// `actions`.
pub fn net_actions_of<'t>(commands: Commands<'_, 't>, actions: &mut Vec<NetAction<'t>>) {
    for words in commands.iter() {
        let program = program_name(&words[0]);
        let args = &words[1..];
        match program {
            "ifconfig" => ifconfig_actions(args, actions),
            "route" => {
                let mut args = (args.iter())
                    .map(AsRef::as_ref)
                    .filter(|a: &&str| !a.starts_with('-'));
                if let (Some("add"), Some("default"), Some(gateway)) =
                    (args.next(), args.next(), args.next())
                {
                    if let Ok(addr) = gateway.parse() {
                        actions.push(NetAction::DefaultRoute(addr));
                    }
                }
            }
            "jib" | "jng" => {
                // `-b BRIDGE` (or `-bBRIDGE`) may come before the name.
                let mut rest = args.get(1..).unwrap_or(&[]);
                while let Some(option) = rest.first().filter(|a| a.starts_with("-b")) {
                    let skip = if option.len() == 2 { 2 } else { 1 };
                    rest = rest.get(skip..).unwrap_or(&[]);
                }
                if let (Some(verb), [name, uplinks @ ..]) = (args.first(), rest) {
                    let name = name.clone();
                    // jng's `=IF` clones IF's MAC address; the uplink is IF.
                    let uplinks = (uplinks.iter())
                        .map(|uplink| match uplink {
                            Cow::Borrowed(uplink) => Cow::Borrowed(uplink.trim_start_matches('=')),
                            Cow::Owned(uplink) => {
                                Cow::Owned(uplink.trim_start_matches('=').to_string())
                            }
                        })
                        .collect();
                    match (program, verb.as_ref()) {
                        ("jib", "addm") => actions.push(NetAction::Jib { name, uplinks }),
                        ("jng", "bridge") => actions.push(NetAction::Jng { name, uplinks }),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
}

fn ifconfig_actions<'t>(args: &[Cow<'t, str>], actions: &mut Vec<NetAction<'t>>) {
    let Some((interface, rest)) = args.split_first() else {
        return;
    };
    if interface.starts_with('-') {
        return;
    }
    let mut i = 0;
    while i < rest.len() {
        let arg = |i: usize| rest.get(i).map(AsRef::as_ref);
        match rest[i].as_ref() {
            "create" => actions.push(NetAction::Create(interface.clone())),
            "destroy" => actions.push(NetAction::Destroy(interface.clone())),
            // Verbs whose argument names another interface, a jail or a
            // new name.
            verb @ ("addm" | "vnet" | "name") => {
                if let Some(other) = rest.get(i + 1) {
                    let (interface, other) = (interface.clone(), other.clone());
                    actions.push(match verb {
                        "addm" => NetAction::AddMember {
                            bridge: interface,
                            member: other,
                        },
                        "vnet" => NetAction::MoveToJail {
                            interface,
                            jail: other,
                        },
                        _ => NetAction::Rename {
                            interface,
                            to: other,
                        },
                    });
                    i += 1;
                }
            }
            "inet" | "inet6" => {}
            "ether" | "lladdr" | "link" => {
                if let Some(mac) = arg(i + 1).and_then(MacAddress::parse) {
                    actions.push(NetAction::LinkAddress {
                        interface: interface.clone(),
                        mac,
                    });
                }
                i += 1;
            }
            // Options whose argument is not an address of this interface.
            "netmask" | "broadcast" | "prefixlen" | "descr" | "description" | "mtu" | "metric"
            | "vlan" | "vlandev" | "vhid" | "advskew" | "pass" | "group" | "-group" | "fib"
            | "tunnelfib" | "pltime" | "vltime" => i += 1,
            "tunnel" => i += 2,
            word => {
                if let Some((addr, mut prefix)) =
                    parse_address(word).filter(|_| !word.contains('|'))
                {
                    if prefix.is_none() {
                        prefix = prefix_after(arg(i + 1), arg(i + 2));
                    }
                    actions.push(NetAction::Address {
                        interface: interface.clone(),
                        addr,
                        prefix,
                    });
                }
            }
        }
        i += 1;
    }
}

/// A MAC address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MacAddress(pub [u8; 6]);

impl MacAddress {
    /// Six groups of one or two hex digits separated by `:`, `.` or `-`,
    /// as ifconfig(8) takes a link-level address (`random` and other
    /// words are not addresses).
    pub fn parse(text: &str) -> Option<MacAddress> {
        let mut bytes = [0u8; 6];
        let mut groups = text.split([':', '.', '-']);
        for byte in &mut bytes {
            let group = groups.next()?;
            if !(1..=2).contains(&group.len()) {
                return None;
            }
            *byte = u8::from_str_radix(group, 16).ok()?;
        }
        groups.next().is_none().then_some(MacAddress(bytes))
    }
}

impl std::fmt::Display for MacAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

/// For `epairN` (or `epairNa`/`epairNb`), the pair's base name `epairN`.
pub fn epair_base(interface: &str) -> Option<&str> {
    let rest = interface.strip_prefix("epair")?;
    let digits = rest.trim_end_matches(['a', 'b']);
    (!digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && rest.len() - digits.len() <= 1)
        .then(|| &interface[..5 + digits.len()])
}

impl NetAction<'_> {
    /// Whether [`NetAction::created_interfaces`] names any interface (it
    /// is not empty), without building the names.
    pub fn creates_interfaces(&self) -> bool {
        match self {
            NetAction::Create(name) => name.ends_with(|c: char| c.is_ascii_digit()),
            NetAction::Jib { uplinks, .. } | NetAction::Jng { uplinks, .. } => !uplinks.is_empty(),
            _ => false,
        }
    }

    /// The interfaces this action creates, as named right after it:
    /// `ifconfig epairN create` gives `epairNa` and `epairNb`, another
    /// `ifconfig IFN create` gives `IFN` (an auto-numbered `ifconfig epair
    /// create` gives nothing known), `jib addm NAME IF…` gives `e0a_NAME`,
    /// `e0b_NAME`, `e1a_NAME`… and `jng bridge NAME IF…` gives `ng0_NAME`…
    /// (untruncated; jng cuts names to 15 characters).
    pub fn created_interfaces(&self) -> Vec<String> {
        match self {
            NetAction::Create(name) if name.ends_with(|c: char| c.is_ascii_digit()) => {
                match epair_base(name) {
                    Some(base) if base == name => vec![format!("{name}a"), format!("{name}b")],
                    _ => vec![name.to_string()],
                }
            }
            NetAction::Jib { name, uplinks } => (0..uplinks.len())
                .flat_map(|i| [format!("e{i}a_{name}"), format!("e{i}b_{name}")])
                .collect(),
            NetAction::Jng { name, uplinks } => (0..uplinks.len())
                .map(|i| format!("ng{i}_{name}"))
                .collect(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`split_commands`] with every word owned, for comparisons.
    fn simple_commands(command: &str) -> Vec<Vec<String>> {
        split_commands(command)
            .all()
            .iter()
            .map(|words| words.iter().map(|w| w.to_string()).collect())
            .collect()
    }

    /// The char-by-char splitter [`split_operators`] replaced.
    fn split_operators_collected(command: &str) -> Vec<&str> {
        let mut parts = Vec::new();
        split_operators(command, |part| parts.push(part));
        parts
    }

    fn split_operators_by_chars(command: &str) -> Vec<String> {
        let mut parts = Vec::new();
        let mut current = String::new();
        let mut quote: Option<char> = None;
        let mut chars = command.chars().peekable();
        while let Some(c) = chars.next() {
            match (quote, c) {
                (Some(q), _) if c == q => {
                    quote = None;
                    current.push(c);
                }
                (Some('"'), '\\') | (None, '\\') => {
                    current.push(c);
                    if let Some(next) = chars.next() {
                        current.push(next);
                    }
                }
                (Some(_), _) => current.push(c),
                (None, '\'' | '"') => {
                    quote = Some(c);
                    current.push(c);
                }
                (None, ';' | '|' | '&' | '\n') => {
                    while matches!(chars.peek(), Some('|' | '&')) {
                        chars.next();
                    }
                    parts.push(std::mem::take(&mut current));
                }
                (None, _) => current.push(c),
            }
        }
        parts.push(current);
        parts
    }

    /// A string of up to `max_len - 1` characters from `alphabet`, from a
    /// xorshift generator (reproducible without a dependency).
    fn random_text(seed: &mut u64, alphabet: &[char], max_len: u64) -> String {
        let mut next = || {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            *seed
        };
        let len = next() % max_len;
        (0..len)
            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
            .collect()
    }

    #[test]
    fn operators_like_char_splitter() {
        let alphabet = ['a', ' ', ';', '|', '&', '\n', '"', '\'', '\\', 'é'];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            let text = random_text(&mut seed, &alphabet, 14);
            assert_eq!(
                split_operators_collected(&text),
                split_operators_by_chars(&text),
                "{text:?}"
            );
        }
    }

    fn owned(text: &str) -> Option<Vec<String>> {
        let mut words = Vec::new();
        shell_words(text, &mut words).then(|| words.into_iter().map(Cow::into_owned).collect())
    }

    #[test]
    fn words_like_shlex() {
        let samples = [
            "",
            " ",
            "a",
            "  a  b\tc\nd ",
            "ifconfig epair5 create up",
            "echo \"a b\" 'c d' e\\ f",
            "echo \"x\\$y\\`z\\\"w\\\\v\\q\"",
            "a\\\nb",
            "\"a\\\nb\"",
            "# comment\nword",
            "a # not a comment start? #x",
            "a#b",
            "'unterminated",
            "\"unterminated",
            "trailing\\",
            "\"esc at end\\",
            "ab'c d'ef\"g h\"i",
            "''",
            "\"\"",
            "é ü 'ñ' \\é",
            "#only",
            "a\n#c\n b",
        ];
        for sample in samples {
            assert_eq!(owned(sample), shlex::split(sample), "{sample:?}");
        }
        // Random strings over the characters that matter.
        let alphabet = [
            'a', 'b', ' ', '\t', '\n', '#', '"', '\'', '\\', '$', '`', 'é',
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..20_000 {
            let text = random_text(&mut seed, &alphabet, 12);
            assert_eq!(owned(&text), shlex::split(&text), "{text:?}");
        }
    }

    #[test]
    fn many_command_strings_in_one_store() {
        let mut store = SimpleCommands::default();
        let first = store.push("a b; c");
        let empty = store.push(" ; 'unterminated");
        let last = store.push_bytes(b"d \xff; e");
        assert_eq!(
            (first.clone(), empty.clone(), last.clone()),
            (0..2, 2..2, 2..4)
        );
        let words = |range| -> Vec<Vec<String>> {
            store
                .range(range)
                .iter()
                .map(|words| words.iter().map(|w| w.to_string()).collect())
                .collect()
        };
        assert_eq!(words(first), [vec!["a", "b"], vec!["c"]]);
        assert!(store.range(empty).is_empty());
        assert_eq!(words(last), [vec!["d", "\u{fffd}"], vec!["e"]]);
        assert_eq!(store.all().len(), 4);
        assert_eq!(
            simple_commands("x 'y z'|w"),
            [
                vec!["x".to_string(), "y z".to_string()],
                vec!["w".to_string()]
            ]
        );
    }

    #[test]
    fn recognises_the_seed_vnet_hooks() {
        assert_eq!(
            net_actions("ifconfig epair60 create up"),
            [NetAction::Create("epair60".into())]
        );
        assert_eq!(
            net_actions("ifconfig bridge0 addm epair60a up"),
            [NetAction::AddMember {
                bridge: "bridge0".into(),
                member: "epair60a".into()
            }]
        );
        assert_eq!(
            net_actions("ifconfig epair60b 20.0.0.60/24 up"),
            [NetAction::Address {
                interface: "epair60b".into(),
                addr: "20.0.0.60".parse().unwrap(),
                prefix: Some(24)
            }]
        );
        assert_eq!(
            net_actions("route add default 20.0.0.1"),
            [NetAction::DefaultRoute("20.0.0.1".parse().unwrap())]
        );
        assert_eq!(
            net_actions("ifconfig epair60a destroy"),
            [NetAction::Destroy("epair60a".into())]
        );
        // The target is kept (a hook may move an interface into another
        // jail); `-vnet` takes an interface back and is no move.
        assert_eq!(
            net_actions("ifconfig epair60b vnet web"),
            [NetAction::MoveToJail {
                interface: "epair60b".into(),
                jail: "web".into()
            }]
        );
        assert!(net_actions("ifconfig epair60b -vnet web").is_empty());
        assert_eq!(
            net_actions("ifconfig epair60a up name e0a_web"),
            [NetAction::Rename {
                interface: "epair60a".into(),
                to: "e0a_web".into()
            }]
        );
    }

    #[test]
    fn splits_shell_lists_and_quotes() {
        let actions = net_actions(
            "/sbin/ifconfig lo1 inet 10.0.0.1 netmask 255.255.255.0 alias && echo 'a; b'",
        );
        assert_eq!(
            actions,
            [NetAction::Address {
                interface: "lo1".into(),
                addr: "10.0.0.1".parse().unwrap(),
                prefix: Some(24)
            }]
        );
        assert_eq!(simple_commands("a; b | c && d").len(), 4);
        assert_eq!(
            net_actions("jib addm web em0"),
            [NetAction::Jib {
                name: "web".into(),
                uplinks: vec!["em0".into()]
            }]
        );
    }

    #[test]
    fn jib_and_jng_options_and_created_names() {
        let jib = net_actions("jib addm -b lan web em0 em1");
        assert_eq!(
            jib,
            [NetAction::Jib {
                name: "web".into(),
                uplinks: vec!["em0".into(), "em1".into()]
            }]
        );
        assert_eq!(
            jib[0].created_interfaces(),
            ["e0a_web", "e0b_web", "e1a_web", "e1b_web"]
        );
        assert!(net_actions("jib addm -b").is_empty());
        let jng = net_actions("jng bridge -blan web =wlan0");
        assert_eq!(
            jng,
            [NetAction::Jng {
                name: "web".into(),
                uplinks: vec!["wlan0".into()]
            }]
        );
        assert_eq!(jng[0].created_interfaces(), ["ng0_web"]);
        assert_eq!(
            NetAction::Create("epair7".into()).created_interfaces(),
            ["epair7a", "epair7b"]
        );
        assert_eq!(
            NetAction::Create("bridge3".into()).created_interfaces(),
            ["bridge3"]
        );
        assert!(NetAction::Create("epair".into())
            .created_interfaces()
            .is_empty());
    }

    #[test]
    fn addresses_and_epairs() {
        assert_eq!(
            parse_address("em0|192.0.2.1/24"),
            Some(("192.0.2.1".parse().unwrap(), Some(24)))
        );
        assert_eq!(
            parse_address("fe80::1%em0"),
            Some(("fe80::1".parse().unwrap(), None))
        );
        assert_eq!(parse_address("10.0.0.0.1"), None);
        assert_eq!(
            MacAddress::parse("2:0:0:AB:cd:1").map(|mac| mac.to_string()),
            Some("02:00:00:ab:cd:01".to_string())
        );
        assert_eq!(
            MacAddress::parse("02.00.00.00.00.05"),
            Some(MacAddress([2, 0, 0, 0, 0, 5]))
        );
        for text in [
            "random",
            "02:00:00:00:00",
            "02:00:00:00:00:00:01",
            "02:000:00:00:00:01",
            "0g:00:00:00:00:01",
            "",
        ] {
            assert_eq!(MacAddress::parse(text), None, "{text}");
        }
        assert_eq!(
            net_actions("ifconfig epair5b ether 02:00:00:00:00:05 inet 10.0.0.5/24 up"),
            [
                NetAction::LinkAddress {
                    interface: "epair5b".into(),
                    mac: MacAddress([2, 0, 0, 0, 0, 5])
                },
                NetAction::Address {
                    interface: "epair5b".into(),
                    addr: "10.0.0.5".parse().unwrap(),
                    prefix: Some(24)
                }
            ]
        );
        assert!(net_actions("ifconfig epair5b ether random up").is_empty());
        assert_eq!(epair_base("epair60a"), Some("epair60"));
        assert_eq!(epair_base("epair7"), Some("epair7"));
        assert_eq!(epair_base("epair"), None);
        assert_eq!(epair_base("epairab"), None);
        for word in ["/sbin/ifconfig", "ifconfig", "a/b/", "", "/", "é/ü"] {
            assert_eq!(program_name(word), word.rsplit('/').next().unwrap_or(word));
        }
    }
}
