//! What rules see: the configurations, host facts, and analyses shared by
//! several rules (computed once).

use std::borrow::Cow;
use std::cell::OnceCell;
use std::net::IpAddr;
use std::sync::OnceLock;

use jailconf_parser::lexer::{piece_value, TokenKind};
use jailconf_parser::model::equal_opts;
use jailconf_parser::source::{FileId, Span};
use jailconf_parser::syntax::{NodeId, NodeKind, SyntaxTree};
use jailconf_parser::{params, Config, Jail, Param, Target, Value};

use crate::commands::{
    hook, net_actions_of, parse_address, Commands, NetAction, Side, SimpleCommands,
};
use crate::facts::HostFacts;
use crate::hash::FastMap;
use crate::rules::jc011_overridden_assignment::{merges, Merge};

/// `String::from_utf8_lossy`, with a fast path for valid UTF-8 (nearly
/// every name and value): the same result, much cheaper on ASCII.
#[inline]
pub fn lossy(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// A known parameter and whether its name was negated (see
/// [`KnownParams`]).
pub type KnownParam = Option<(&'static params::Param, bool)>;

/// The known parameters names refer to, as
/// [`params::lookup_with_no_prefix`] finds them, each distinct name looked
/// up once. A rule keeps its own while it reads the names it asks about:
/// one table of every jail's names, built beforehand, would read them all
/// again from memory.
#[derive(Default)]
pub struct KnownParams<'n> {
    found: FastMap<&'n [u8], KnownParam>,
}

impl<'n> KnownParams<'n> {
    /// The known parameter `name` refers to and whether it is negated
    /// (`nopersist`).
    pub fn get(&mut self, name: &'n [u8]) -> KnownParam {
        *(self.found.entry(name)).or_insert_with(|| params::lookup_with_no_prefix(&lossy(name)))
    }
}

/// One jail of one configuration.
#[derive(Clone, Copy, Debug)]
pub struct JailRef<'a> {
    /// The configuration it belongs to.
    pub config: &'a Config,
    /// The jail.
    pub jail: &'a Jail,
    /// Its position in [`Context::jails`].
    pub index: usize,
}

impl<'a> JailRef<'a> {
    /// The jail's name.
    pub fn name(&self) -> Cow<'a, str> {
        crate::context::lossy(&self.jail.name)
    }

    /// Where the jail's block name is.
    pub fn span(&self) -> Option<Span> {
        self.jail.name_span.clone()
    }

    /// The parameter with exactly this name.
    pub fn param(&self, name: &str) -> Option<&'a Param> {
        self.jail.params.iter().find(|p| p.name == name.as_bytes())
    }

    /// The parameter under any spelling (`allow.nomount` for
    /// `allow.mount`), as jail(8) matches them.
    pub fn param_any(&self, name: &str) -> Option<&'a Param> {
        self.jail
            .params
            .iter()
            .find(|p| equal_opts(&p.name, name.as_bytes()))
    }

    /// The values of a parameter (empty when absent or valueless).
    pub fn values(&self, name: &str) -> &'a [Value] {
        self.param(name).map_or(&[], |p| &p.values)
    }

    /// The value jail(8) uses for a scalar: the last one.
    pub fn last_value(&self, name: &str) -> Option<&'a Value> {
        self.param(name).and_then(|p| p.values.last())
    }

    /// A boolean's effective value, as jail(8)'s `bool_param` computes
    /// it: a `no` prefix on the last component negates; no value is true;
    /// `true`/`false` or a number. `None` when not set.
    pub fn flag(&self, name: &str) -> Option<bool> {
        let param = self.param_any(name)?;
        Some(bool_value(param))
    }

    /// Whether the jail has its own network stack (`vnet`, `vnet = new`).
    pub fn is_vnet(&self) -> bool {
        self.param("vnet").is_some_and(|p| {
            p.values.last().is_none_or(|v| {
                matches!(v.text.to_ascii_lowercase().as_slice(), b"" | b"new" | b"1")
            })
        })
    }

    /// A span to point at for this jail's parameter `name`, falling back
    /// to the jail's name.
    pub fn param_span(&self, name: &str) -> Option<Span> {
        self.param(name)
            .and_then(|p| p.span.clone())
            .or_else(|| self.span())
    }

    /// The mount permissions (`allow.mount`, `allow.mount.*`) the jail
    /// enables, in source order.
    pub fn mount_permissions(&self) -> Vec<&'a Param> {
        let mut found: Vec<&'a Param> = self
            .jail
            .params
            .iter()
            .filter(|p| {
                let is_mount =
                    equal_opts(&p.name, b"allow.mount") || p.name.starts_with(b"allow.mount.");
                is_mount && bool_value(p)
            })
            .collect();
        found.sort_by_key(|p| p.span.as_ref().map(|s| (s.file, s.range.start)));
        found
    }

    /// An integer parameter's value as libjail reads it (whole-string
    /// decimal, an empty value is 0), with the value it was written as.
    /// `None` when not set or not an integer.
    pub fn int(&self, name: &str) -> Option<(i64, &'a Value)> {
        let value = self.last_value(name)?;
        let text = std::str::from_utf8(&value.text).ok()?.trim();
        let number = if text.is_empty() {
            0
        } else {
            text.parse().ok()?
        };
        Some((number, value))
    }
}

/// jail(8)'s boolean rule for a parameter entry.
pub fn bool_value(param: &Param) -> bool {
    let last_component = param
        .name
        .rsplit(|&b| b == b'.')
        .next()
        .unwrap_or(&param.name);
    let negated = last_component.starts_with(b"no");
    let truthy = match param.values.last() {
        None => true,
        Some(value) => value.text.eq_ignore_ascii_case(b"true") || c_strtol(&value.text) != 0,
    };
    negated ^ truthy
}

/// C `strtol(s, NULL, 10)`: leading blanks, a sign, digits; 0 otherwise.
pub fn c_strtol(text: &[u8]) -> i64 {
    let text = std::str::from_utf8(text).unwrap_or("");
    let text = text.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let digits: String = digits.chars().take_while(char::is_ascii_digit).collect();
    let value = digits
        .parse::<i64>()
        .unwrap_or(if digits.is_empty() { 0 } else { i64::MAX });
    if negative {
        -value
    } else {
        value
    }
}

/// Where an address assigned to a jail comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressSource {
    /// `ip4.addr` / `ip6.addr`.
    Param,
    /// An `ifconfig` inside the jail (a VNET jail's `exec.start`).
    Command,
}

/// An address a jail uses.
#[derive(Clone, Debug)]
pub struct JailAddress<'a> {
    /// The address.
    pub addr: IpAddr,
    /// Its prefix length, when written.
    pub prefix: Option<u8>,
    /// The interface it is set on (`IF|addr`, `interface`, or the
    /// `ifconfig` target), when known.
    pub interface: Option<Cow<'a, str>>,
    /// The value it was written in.
    pub span: Span,
    /// Where it comes from.
    pub source: AddressSource,
}

/// A network action found in a hook, with where it is.
#[derive(Clone, Debug)]
pub struct HookAction<'a> {
    /// What it does.
    pub action: NetAction<'a>,
    /// The hook parameter (`exec.prestart`, …).
    pub hook: &'static str,
    /// Host or jail side.
    pub side: Side,
    /// The command's value in the source.
    pub span: Span,
}

/// The network picture of one jail.
#[derive(Clone, Copy, Debug)]
pub struct JailNet<'n, 'a> {
    /// Every recognised action in its hooks, in order.
    pub actions: &'n [HookAction<'a>],
    /// Addresses it uses.
    pub addresses: &'n [JailAddress<'a>],
}

/// The network pictures of every jail, side by side: a rule's pass over
/// every jail reads two arrays in order rather than two small vectors per
/// jail spread over the heap.
#[derive(Debug, Default)]
pub(crate) struct Nets<'a> {
    actions: Vec<HookAction<'a>>,
    addresses: Vec<JailAddress<'a>>,
    /// Where each jail's actions and addresses start, then their ends.
    starts: Vec<(usize, usize)>,
    /// The actions of the hook value being read (kept for its room).
    value_actions: Vec<NetAction<'a>>,
}

impl<'a> Nets<'a> {
    /// The picture of the jail at `index` among those pushed.
    fn get(&self, index: usize) -> JailNet<'_, 'a> {
        let (actions, addresses) = self.starts[index];
        let (actions_end, addresses_end) = self.starts[index + 1];
        JailNet {
            actions: &self.actions[actions..actions_end],
            addresses: &self.addresses[addresses..addresses_end],
        }
    }

    /// Adds the picture of the next jail, `jail`, whose hook values are
    /// `hook_values`.
    fn push<'c>(&mut self, jail: &JailRef<'a>, hook_values: impl Iterator<Item = HookValue<'c, 'a>>)
    where
        'a: 'c,
    {
        self.starts.push((self.actions.len(), self.addresses.len()));
        let default_interface = jail
            .last_value("interface")
            .map(|v| crate::context::lossy(&v.text));
        for (name, family_v6) in [("ip4.addr", false), ("ip6.addr", true)] {
            for value in jail.values(name) {
                let text = crate::context::lossy(&value.text);
                for element in text.split(',') {
                    let interface = element
                        .split_once('|')
                        .map(|(i, _)| Cow::Owned(i.to_string()))
                        .or_else(|| default_interface.clone());
                    if let Some((addr, prefix)) = parse_address(element) {
                        if addr.is_ipv6() == family_v6 {
                            self.addresses.push(JailAddress {
                                addr,
                                prefix,
                                interface,
                                span: value
                                    .span
                                    .clone()
                                    .unwrap_or_else(|| Span::new(FileId(0), 0..0)),
                                source: AddressSource::Param,
                            });
                        }
                    }
                }
            }
        }
        let mut actions = std::mem::take(&mut self.value_actions);
        for HookValue {
            hook,
            side,
            value,
            commands,
        } in hook_values
        {
            let Some(span) = &value.span else {
                continue;
            };
            net_actions_of(commands, &mut actions);
            for action in actions.drain(..) {
                if let (
                    Side::Jail,
                    NetAction::Address {
                        interface,
                        addr,
                        prefix,
                    },
                ) = (side, &action)
                {
                    self.addresses.push(JailAddress {
                        addr: *addr,
                        prefix: *prefix,
                        interface: Some(interface.clone()),
                        span: span.clone(),
                        source: AddressSource::Command,
                    });
                }
                self.actions.push(HookAction {
                    action,
                    hook,
                    side,
                    span: span.clone(),
                });
            }
        }
        self.value_actions = actions;
    }

    /// Ends the pictures after the last jail's.
    fn finish(&mut self) {
        self.starts.push((self.actions.len(), self.addresses.len()));
    }
}

/// How many jails one [`Batch`] holds.
pub(crate) const JAIL_BATCH: usize = 256;

/// The jails of one batch of 256 (see [`Context::batches`]),
/// with their hook commands and network pictures, built when a rule first
/// asks for them and dropped with the batch: a pass over every jail then
/// reuses the same memory for each batch, and the batch stays in the
/// processor's cache while the rules read it.
pub struct Batch<'b, 'a> {
    jails: &'b [JailRef<'a>],
    hooks: OnceCell<Hooks<'a>>,
}

impl<'b, 'a> Batch<'b, 'a> {
    /// A batch of `jails` (consecutive jails of a [`Context`]).
    fn new(jails: &'b [JailRef<'a>]) -> Self {
        Batch {
            jails,
            hooks: OnceCell::new(),
        }
    }

    /// The jails of the batch.
    pub fn jails(&self) -> &'b [JailRef<'a>] {
        self.jails
    }

    fn hooks(&self) -> &Hooks<'a> {
        self.hooks.get_or_init(|| Hooks::build(self.jails))
    }

    /// The position of `jail`, a jail of the batch, in the batch.
    fn local(&self, jail: &JailRef<'_>) -> usize {
        let first = self.jails.first().map_or(0, |first| first.index);
        let local = jail.index.wrapping_sub(first);
        assert!(
            local < self.jails.len(),
            "jail {} is not in the batch",
            jail.index
        );
        local
    }

    /// The network picture of `jail`, a jail of the batch (another jail
    /// is a bug: it panics).
    pub fn net(&self, jail: &JailRef<'_>) -> JailNet<'_, 'a> {
        self.hooks().nets.get(self.local(jail))
    }

    /// The values of the hook parameters (`exec.*`, `command`) of `jail`,
    /// a jail of the batch (as for [`Batch::net`]), in order, with their
    /// simple commands as [`split_commands`](crate::commands::split_commands)
    /// splits them.
    /// Every hook value is split once (a value the jails inherit from the
    /// global section or a wildcard block once per batch).
    pub fn hook_values(&self, jail: &JailRef<'_>) -> impl Iterator<Item = HookValue<'_, 'a>> {
        self.hooks().commands.hook_values(self.local(jail))
    }
}

#[cfg(test)]
thread_local! {
    /// How many times [`Hooks::build`] ran on this thread (for the test
    /// that the scheduler knows every rule that reads them).
    pub(crate) static HOOK_BUILDS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// [`Batch::hooks`]: the hook commands and network pictures of a batch.
struct Hooks<'a> {
    commands: CommandCache<'a>,
    nets: Nets<'a>,
}

impl<'a> Hooks<'a> {
    /// Splits the commands of the hook values of `jails` and builds their
    /// network pictures, jail by jail: while a jail's values and commands
    /// are still in the processor's cache.
    fn build(jails: &[JailRef<'a>]) -> Self {
        #[cfg(test)]
        HOOK_BUILDS.with(|builds| builds.set(builds.get() + 1));
        let (hook_values, hook_bytes) = (jails.iter())
            .flat_map(|jail| &jail.jail.params)
            .filter(|param| hook(&param.name).is_some())
            .flat_map(|param| &param.values)
            .fold((0, 0), |(count, bytes), value| {
                (count + 1, bytes + value.text.len())
            });
        let mut commands = CommandCache {
            store: SimpleCommands::with_capacity(hook_bytes),
            in_order: Vec::with_capacity(hook_values),
            jail_start: Vec::with_capacity(jails.len() + 1),
        };
        commands.jail_start.push(0);
        let mut nets = Nets {
            starts: Vec::with_capacity(jails.len() + 1),
            ..Nets::default()
        };
        // The text and commands of the previous jail's hook value at each
        // position: a value every jail inherits (from the global section
        // or a wildcard block) is split once, without the random accesses
        // of a map of every text.
        let mut previous: Vec<(&[u8], std::ops::Range<usize>)> = Vec::new();
        for (local, jail) in jails.iter().enumerate() {
            commands.push_jail(jail.jail, &mut previous);
            nets.push(jail, commands.hook_values(local));
        }
        nets.finish();
        Hooks { commands, nets }
    }
}

/// The simple commands of every hook value, each distinct text split once.
struct CommandCache<'a> {
    store: SimpleCommands<'a>,
    /// Every hook value of every jail, in order (jail, parameter, value),
    /// with its hook and the range of its commands in `store`: read in
    /// that order, without looking at the other parameters again.
    in_order: Vec<HookEntry<'a>>,
    /// Where each jail's hook values start in `in_order`, then the end.
    jail_start: Vec<usize>,
}

/// One entry of [`CommandCache::in_order`].
struct HookEntry<'a> {
    hook: &'static str,
    side: Side,
    value: &'a Value,
    commands: std::ops::Range<usize>,
}

impl<'a> CommandCache<'a> {
    /// Splits the hook values of the next jail, `jail`. `previous` holds
    /// the text and commands of the previous jail's value at each position.
    fn push_jail(
        &mut self,
        jail: &'a Jail,
        previous: &mut Vec<(&'a [u8], std::ops::Range<usize>)>,
    ) {
        let first = self.in_order.len();
        let values = (jail.params.iter())
            .filter_map(|param| hook(&param.name).map(|(hook, side)| (param, hook, side)))
            .flat_map(|(param, hook, side)| {
                (param.values.iter()).map(move |value| (hook, side, value))
            });
        for (hook, side, value) in values {
            let position = self.in_order.len() - first;
            let text = value.text.as_slice();
            let commands = match previous.get_mut(position) {
                Some((seen, range)) if *seen == text => range.clone(),
                Some(slot) => {
                    *slot = (text, self.store.push_bytes(text));
                    slot.1.clone()
                }
                None => {
                    previous.push((text, self.store.push_bytes(text)));
                    previous[position].1.clone()
                }
            };
            self.in_order.push(HookEntry {
                hook,
                side,
                value,
                commands,
            });
        }
        self.jail_start.push(self.in_order.len());
    }

    /// The hook values of the jail pushed at position `local`, with their
    /// commands.
    fn hook_values(&self, local: usize) -> impl Iterator<Item = HookValue<'_, 'a>> {
        let entries = &self.in_order[self.jail_start[local]..self.jail_start[local + 1]];
        entries.iter().map(|entry| HookValue {
            hook: entry.hook,
            side: entry.side,
            value: entry.value,
            commands: self.store.range(entry.commands.clone()),
        })
    }
}

/// A value of one of a jail's hook parameters, with its commands (see
/// [`Batch::hook_values`]).
#[derive(Clone, Copy, Debug)]
pub struct HookValue<'c, 'a> {
    /// The hook parameter (`exec.prestart`, …).
    pub hook: &'static str,
    /// Where it runs.
    pub side: Side,
    /// The value.
    pub value: &'a Value,
    /// Its simple commands.
    pub commands: Commands<'c, 'a>,
}

/// One parameter statement in the source, with its place in the tree
/// (64 bytes: a large configuration has a million of them).
#[derive(Clone, Debug)]
pub struct StatementRef<'a> {
    /// The file.
    pub file: FileId,
    /// The `Statement` node (in [`Context::tree`] of the file).
    pub node: NodeId,
    /// The enclosing jail block, if any.
    pub block: Option<NodeId>,
    /// The name as jail(8) reads it.
    pub name: Cow<'a, [u8]>,
    /// A `$var` definition.
    pub is_var: bool,
    /// `+=`.
    pub append: bool,
    /// `=`.
    pub assign: bool,
    /// Where the statement is in the file.
    pub range: std::ops::Range<u32>,
    /// Where its name is in the file.
    pub name_range: std::ops::Range<u32>,
}

impl StatementRef<'_> {
    /// The name as text.
    pub fn name_str(&self) -> Cow<'_, str> {
        crate::context::lossy(&self.name)
    }

    /// Where the statement is.
    pub fn span(&self) -> Span {
        Span::new(self.file, self.range.clone())
    }

    /// Where its name is.
    pub fn name_span(&self) -> Span {
        Span::new(self.file, self.name_range.clone())
    }
}

/// Where a file's top-level statements end up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FilePlace {
    /// The top-level file whose jail(8) run reads it (jail(8) reads each
    /// top-level file separately, so jails of other roots are unknown to it).
    pub root: FileId,
    /// The jail block it is included in (directly or through other
    /// includes), as the including file and the block node; `None` when
    /// its top-level statements are global.
    pub block: Option<(FileId, NodeId)>,
}

/// The positions of the few tokens of a file that rules look at one by
/// one, found once per file (see [`Context::tokens_of_note`]):
/// each rule reads its short list instead of every token of every file
/// (on a large configuration, each pass over the tokens, or over tokens
/// spread through the file, reads them from memory again).
#[derive(Debug, Default)]
pub struct TokensOfNote {
    /// `'…'` strings with a `$` in them.
    pub single_quoted_dollar: Vec<u32>,
    /// `$name` references followed by text they are joined to (a
    /// [`Bare`](TokenKind::Bare) word or the text of a double-quoted string).
    pub joined_var_simple: Vec<u32>,
    /// Comments (but unterminated ones) with the suppression marker
    /// (`jailconf: ignore[`) in them.
    pub suppressions: Vec<u32>,
}

impl TokensOfNote {
    fn new(tree: &SyntaxTree) -> Self {
        let tokens = tree.tokens();
        let text = tree.text();
        // Found by kind first: few tokens are of these kinds, and the
        // ranges of the others need not be read (on a large file, each
        // range read is a cache miss).
        let single_quoted_dollar = (tokens.indices_of(TokenKind::SingleQuoted))
            .filter(|&index| text[tokens.at(index).range()].contains(&b'$'))
            .map(|index| index as u32)
            .collect();
        let joined_var_simple = (tokens.indices_of(TokenKind::VarSimple))
            .filter(|&index| {
                tokens.is_joined(index + 1)
                    && matches!(
                        tokens.kind(index + 1),
                        Some(TokenKind::Bare | TokenKind::DqText | TokenKind::DqTail)
                    )
            })
            .map(|index| index as u32)
            .collect();
        TokensOfNote {
            single_quoted_dollar,
            joined_var_simple,
            suppressions: crate::suppress::marked_comments(tree),
        }
    }
}

/// What every rule sees.
pub struct Context<'a> {
    /// The configuration (possibly several top-level files).
    pub config: &'a Config,
    /// Host facts, possibly empty.
    pub facts: &'a HostFacts,
    /// The FreeBSD release followed.
    pub target: Target,
    jails: Vec<JailRef<'a>>,
    block_merges: OnceLock<Vec<Merge>>,
    statements: OnceLock<Statements<'a>>,
    file_places: OnceLock<Vec<FilePlace>>,
    refused_roots: OnceLock<Vec<bool>>,
    tokens_of_note: OnceLock<Vec<TokensOfNote>>,
}

impl<'a> Context<'a> {
    /// A context over a configuration.
    pub fn new(config: &'a Config, facts: &'a HostFacts) -> Self {
        let jails = config
            .jails
            .iter()
            .enumerate()
            .map(|(index, jail)| JailRef {
                config,
                jail,
                index,
            })
            .collect();
        Context {
            config,
            facts,
            target: config.target,
            jails,
            block_merges: OnceLock::new(),
            statements: OnceLock::new(),
            file_places: OnceLock::new(),
            refused_roots: OnceLock::new(),
            tokens_of_note: OnceLock::new(),
        }
    }

    /// Every jail of every configuration, in order.
    pub fn jails(&self) -> &[JailRef<'a>] {
        &self.jails
    }

    /// The jails in batches of 256, in order, each with its
    /// hook commands and network pictures (built on first use, freed with
    /// the batch).
    pub fn batches(&self) -> impl Iterator<Item = Batch<'_, 'a>> {
        self.jails.chunks(JAIL_BATCH).map(Batch::new)
    }

    /// jail(8)'s merging of the statements of each block, and of each
    /// file's top-level statements (see [`merges`]); found once for the
    /// rules that need it.
    pub(crate) fn block_merges(&self) -> &[Merge] {
        self.block_merges.get_or_init(|| {
            // Reserved for about one statement in four repeating a name in
            // its block (`+=` lines), so that the vector rarely grows.
            let mut out = Vec::with_capacity(self.statements().len() / 4);
            merges(
                self.statements(),
                |s| (s.file, s.block),
                // The statements come file by file in tree order: once one
                // is in another file or past a block's subtree, that
                // block's statements are all read.
                |&(file, block), s| {
                    s.file != file
                        || block.is_some_and(|b| s.node >= self.tree(s.file).subtree_end(b))
                },
                |merge| out.push(merge),
            );
            out
        })
    }

    /// Where a file was read from: its root and the block it is included
    /// in, if any.
    pub fn file_place(&self, file: FileId) -> FilePlace {
        self.file_places.get_or_init(|| {
            let mut places: Vec<FilePlace> = (0..self.config.sources.len())
                .map(|i| FilePlace {
                    root: FileId(i as u32),
                    block: None,
                })
                .collect();
            let mut placed = vec![false; places.len()];
            // Directives are recorded in walk order: the including file is
            // placed before the files it includes.
            for directive in &self.config.includes {
                let from = directive.span.file;
                let outer = places[from.0 as usize];
                let tree = &self.config.sources.get(from).parse.tree;
                let at = directive.span.range.start as usize;
                let block = tree
                    .descendants(tree.root())
                    .filter(|&n| {
                        tree.kind(n) == NodeKind::JailBlock && tree.byte_range(n).contains(&at)
                    })
                    .last()
                    .map(|n| (from, n));
                for &file in &directive.files {
                    if !std::mem::replace(&mut placed[file.0 as usize], true) {
                        places[file.0 as usize] = FilePlace {
                            root: outer.root,
                            block: block.or(outer.block),
                        };
                    }
                }
            }
            places
        })[file.0 as usize]
    }

    /// Whether jail(8) would refuse the whole run that reads `file` (a
    /// syntax error or an include problem in any of its files). The model
    /// of such a run may lack statements, so rules that report something
    /// missing stay silent on it.
    pub fn run_refused(&self, file: FileId) -> bool {
        let refused = self.refused_roots.get_or_init(|| {
            let mut refused = vec![false; self.config.sources.len()];
            for diagnostic in &self.config.diagnostics {
                if matches!(
                    diagnostic.code,
                    "syntax-error"
                        | "unterminated-string"
                        | "unterminated-comment"
                        | "unterminated-variable"
                        | "stray-character"
                        | "include-variable"
                        | "include-depth"
                        | "include-glob-failed"
                        | "include-not-found"
                ) {
                    let root = self.file_place(diagnostic.primary.span.file).root;
                    refused[root.0 as usize] = true;
                }
            }
            refused
        });
        refused[self.file_place(file).root.0 as usize]
    }

    /// The tokens of `file` that [`TokensOfNote`] lists (found for every
    /// file at once, when first asked).
    pub fn tokens_of_note(&self, file: FileId) -> &TokensOfNote {
        &self.tokens_of_note.get_or_init(|| {
            (self.config.sources.iter())
                .map(|(_, source)| TokensOfNote::new(&source.parse.tree))
                .collect()
        })[file.0 as usize]
    }

    /// The names of every variable defined anywhere in the configuration.
    pub fn variable_names(&self) -> crate::hash::FastSet<&[u8]> {
        self.statements()
            .iter()
            .filter(|s| s.is_var)
            .map(|s| &s.name[..])
            .collect()
    }

    /// Every parameter statement of every file, in file order.
    pub fn statements(&self) -> &[StatementRef<'a>] {
        &self.statement_lists().all
    }

    /// The `+=` statements (of parameters and variables), in file order.
    pub fn appends(&self) -> impl ExactSizeIterator<Item = &StatementRef<'a>> {
        let lists = self.statement_lists();
        (lists.appends.iter()).map(|&index| &lists.all[index as usize])
    }

    fn statement_lists(&self) -> &Statements<'a> {
        self.statements.get_or_init(|| {
            // Reserved up front: on a large configuration, growing the
            // vector copies it into fresh memory again and again.
            let count = (self.config.sources.iter())
                .map(|(_, source)| {
                    let tree = &source.parse.tree;
                    (0..tree.node_count() as u32)
                        .filter(|&node| tree.kind(NodeId(node)) == NodeKind::Statement)
                        .count()
                })
                .sum();
            let mut lists = Statements {
                all: Vec::with_capacity(count),
                appends: Vec::new(),
            };
            for (file, source) in self.config.sources.iter() {
                collect_statements(file, &source.parse, &mut lists);
            }
            lists
        })
    }

    /// The syntax tree of a file.
    pub fn tree(&self, file: FileId) -> &'a SyntaxTree {
        &self.config.sources.get(file).parse.tree
    }

    /// The statements of one file (a part of [`Context::statements`]).
    pub fn statements_of(&self, file: FileId) -> &[StatementRef<'a>] {
        let all = self.statements();
        let start = all.partition_point(|s| s.file < file);
        let len = all[start..].partition_point(|s| s.file == file);
        &all[start..start + len]
    }
}

/// [`Context::statements`] and [`Context::appends`].
struct Statements<'a> {
    all: Vec<StatementRef<'a>>,
    /// The indices of the `+=` statements in `all`.
    appends: Vec<u32>,
}

/// Collects the statements of one file. Statements a syntax error falls
/// in are left out: their shape is a guess of the parser's recovery, and
/// the error itself is reported (JC001).
fn collect_statements<'a>(
    file: FileId,
    parse: &'a jailconf_parser::Parse,
    out: &mut Statements<'a>,
) {
    let tree = &parse.tree;
    // Error positions, sorted (the parser reports them in source order).
    let errors: Vec<u32> = parse.errors.iter().map(|e| e.range.start).collect();
    let broken = |range: &std::ops::Range<usize>| {
        let first = errors.partition_point(|&e| (e as usize) < range.start);
        errors
            .get(first)
            .is_some_and(|&e| (e as usize) <= range.end)
    };
    // The enclosing blocks, innermost last, with where their subtrees end.
    let mut blocks: Vec<(NodeId, u32)> = Vec::new();
    for node in tree.descendants(tree.root()) {
        while blocks.last().is_some_and(|&(_, end)| node.0 >= end) {
            blocks.pop();
        }
        match tree.kind(node) {
            NodeKind::JailBlock => blocks.push((node, tree.subtree_end(node).0)),
            NodeKind::Statement => {
                let range = tree.byte_range(node);
                if broken(&range) {
                    continue;
                }
                let Some(name_node) = tree.child_node(node, NodeKind::ParamName) else {
                    continue;
                };
                let first = tree.token_range(name_node).start;
                let Some(token) = tree.tokens().get(first) else {
                    continue;
                };
                let name_range = tree.byte_range(name_node);
                // The operator, if any, is the first token after the name
                // that is not blank or a comment (anything else there is a
                // syntax error, and the statement was left out above).
                let end = tree.token_range(node).end;
                let operator = (tree.token_range(name_node).end..end)
                    .filter_map(|t| tree.tokens().kind(t))
                    .find(|kind| kind.is_significant());
                let append = operator == Some(TokenKind::PlusEq);
                let assign = operator == Some(TokenKind::Eq);
                let text = tree.token_text(first as u32);
                if append {
                    out.appends.push(out.all.len() as u32);
                }
                out.all.push(StatementRef {
                    file,
                    node,
                    block: blocks.last().map(|(b, _)| *b),
                    name: match token.kind {
                        // Neither has escapes: the name is the text
                        // (without the `$`).
                        TokenKind::Bare => Cow::Borrowed(text),
                        TokenKind::VarSimple => Cow::Borrowed(&text[1..]),
                        kind => Cow::Owned(piece_value(kind, text)),
                    },
                    is_var: token.kind.is_variable(),
                    append,
                    assign,
                    range: range.start as u32..range.end as u32,
                    name_range: name_range.start as u32..name_range.end as u32,
                });
            }
            _ => {}
        }
    }
}

/// Per-jail findings gathered by the place they point at: a statement in a
/// global or wildcard section applies to many jails and is reported once,
/// naming them all.
pub struct ByPlace<T> {
    places: std::collections::BTreeMap<(FileId, u32, u32, String), Place<T>>,
}

/// One place with the jails a finding there applies to.
pub struct Place<T> {
    /// Where.
    pub span: Span,
    /// Each jail's name with what the check found for it, in jail order.
    pub items: Vec<(String, T)>,
}

impl<T> Place<T> {
    /// "jail `a`" or "jails `a`, `b`, `c`" (each name once; long lists
    /// are shortened).
    pub fn jails_text(&self) -> String {
        let names: Vec<String> = self.jail_names().map(|n| format!("`{n}`")).collect();
        let which = if names.len() == 1 { "jail" } else { "jails" };
        format!("{which} {}", crate::rules::list(&names))
    }

    /// How many different jails the place applies to.
    pub fn jail_count(&self) -> usize {
        self.jail_names().count()
    }

    /// The jails' names, each once, in jail order.
    fn jail_names(&self) -> impl Iterator<Item = &str> {
        let mut seen = std::collections::HashSet::new();
        (self.items.iter())
            .map(|(n, _)| n.as_str())
            .filter(move |n| seen.insert(*n))
    }
}

impl<T> Default for ByPlace<T> {
    fn default() -> Self {
        ByPlace {
            places: std::collections::BTreeMap::new(),
        }
    }
}

impl<T> ByPlace<T> {
    /// Records what `jail` has at `span`; `key` separates different
    /// findings at one place.
    pub fn add(&mut self, span: Span, key: impl Into<String>, jail: &JailRef<'_>, data: T) {
        let place = self
            .places
            .entry((span.file, span.range.start, span.range.end, key.into()))
            .or_insert_with(|| Place {
                span,
                items: Vec::new(),
            });
        place.items.push((jail.name().into_owned(), data));
    }

    /// The places in source order.
    pub fn into_places(self) -> impl Iterator<Item = Place<T>> {
        self.places.into_values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_takes_64_bytes() {
        // A large configuration has a million statements; rules read
        // them all.
        assert_eq!(std::mem::size_of::<StatementRef<'_>>(), 64);
    }

    #[test]
    fn strtol_like_c() {
        assert_eq!(c_strtol(b"12abc"), 12);
        assert_eq!(c_strtol(b" -3"), -3);
        assert_eq!(c_strtol(b"abc"), 0);
        assert_eq!(c_strtol(b""), 0);
    }
}
