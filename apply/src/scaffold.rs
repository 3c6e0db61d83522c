//! `jailconf new`: a new jail's file from a template jail's file — the
//! seed article's `cp classic.conf shadow.conf` + `sed`, done on the
//! lossless syntax tree.
//!
//! The template's file is parsed, its block renamed and the values the
//! caller changes (`ip4.addr`/`ip6.addr`, or the `$id`, `$br` and `$ip`
//! variables of a VNET template, `path` for a clone) replaced statement by
//! statement; comments, layout and every other statement stay as written.
//! Names, addresses, epair numbers and paths that another jail already
//! uses (in the configuration or running) are refused.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};
use std::net::IpAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};

use jailconf_parser::lexer::{piece_value, TokenKind};
use jailconf_parser::model::{block_name, is_numeric_name};
use jailconf_parser::quote::{double_quote, quote};
use jailconf_parser::syntax::{NodeId, NodeKind, SyntaxTree};
use jailconf_parser::{Config, DiskLoader, Jail, MainFile, Target};

use crate::input::ConfigInput;
use crate::state::{Observed, ObservedValue};

/// What the new jail differs in from its template.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Request {
    /// The new jail's name.
    pub name: String,
    /// The template jail's name.
    pub template: String,
    /// New address (`20.0.0.51`, optionally `/N`): replaces the template's
    /// `ip4.addr`/`ip6.addr`, or its `$ip` variable for a VNET template.
    pub ip: Option<String>,
    /// VNET settings; the template must then be a VNET jail.
    pub vnet: Option<Vnet>,
}

/// New values of a VNET template's variables.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Vnet {
    /// The bridge (`$br`).
    pub bridge: Option<String>,
    /// The epair number (`$id`).
    pub id: Option<u32>,
}

/// Why a new jail cannot be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScaffoldError {
    /// The request itself is wrong (a bad name or address).
    Invalid(String),
    /// The template does not fit the request.
    Template(String),
    /// Names, addresses, epairs or paths already taken.
    Conflicts(Vec<String>),
    /// The result does not read back as the new jail.
    Result(String),
}

impl fmt::Display for ScaffoldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScaffoldError::Invalid(m) | ScaffoldError::Template(m) => f.write_str(m),
            ScaffoldError::Conflicts(list) => write!(f, "already taken: {}", list.join("; ")),
            ScaffoldError::Result(m) => write!(f, "the new file would be wrong: {m}"),
        }
    }
}

impl std::error::Error for ScaffoldError {}

/// The template's file, as found in the configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateFile {
    /// Where it is.
    pub path: PathBuf,
    /// Its text.
    pub text: Vec<u8>,
}

/// Finds the file that defines `template` (its block).
pub fn find_template(input: &ConfigInput, template: &str) -> Option<TemplateFile> {
    input.roots.iter().find_map(|root| {
        let jail = root
            .config
            .jails
            .iter()
            .find(|j| j.name == template.as_bytes())?;
        let file = root.config.sources.get(jail.name_span.as_ref()?.file);
        Some(TemplateFile {
            path: file.path.clone(),
            text: file.text().to_vec(),
        })
    })
}

/// Checks a new jail's name: not empty, not a jid, no `.` (that would make
/// it a child jail), no `/`, no control characters.
pub fn check_name(name: &str) -> Result<(), ScaffoldError> {
    let bad = |why: &str| {
        Err(ScaffoldError::Invalid(format!(
            "bad jail name {name:?}: {why}"
        )))
    };
    if name.is_empty() {
        return bad("empty");
    }
    if is_numeric_name(name.as_bytes()) {
        return bad("a number means a jid");
    }
    if name.contains('.') {
        return bad("a dot makes it a child jail");
    }
    if name.contains('/') || name == "*" {
        return bad("it must be usable as a file name");
    }
    if name.chars().any(char::is_control) {
        return bad("control characters");
    }
    Ok(())
}

/// The new file's text: the template's block (the whole file when it
/// defines no other jail) with the requested edits.
pub fn derive(
    template: &TemplateFile,
    request: &Request,
    target: Target,
) -> Result<Vec<u8>, ScaffoldError> {
    check_name(&request.name)?;
    let parse = jailconf_parser::parse(&template.text, target);
    let tree = &parse.tree;
    let blocks = jail_blocks(tree);
    let Some(&block) = blocks
        .iter()
        .find(|&&b| block_own_name(tree, b).as_deref() == Some(request.template.as_bytes()))
    else {
        return Err(ScaffoldError::Template(format!(
            "{} has no block named {}",
            template.path.display(),
            request.template
        )));
    };
    // A file shared with other jails: copy only the template's block.
    let text = if blocks.len() == 1 {
        template.text.clone()
    } else {
        let mut text = tree.node_text(block).to_vec();
        text.push(b'\n');
        text
    };
    let parse = jailconf_parser::parse(&text, target);
    let tree = &parse.tree;
    let block = *jail_blocks(tree)
        .first()
        .ok_or_else(|| ScaffoldError::Template("the template block cannot be read".into()))?;

    let mut edits = Edits::new(tree, block);
    let name_node = tree
        .child_node(block, NodeKind::JailName)
        .ok_or_else(|| ScaffoldError::Template("the template block has no name".into()))?;
    edits.push(tree.byte_range(name_node), quote(request.name.as_bytes()));

    let is_vnet = has_statement(tree, block, "vnet");
    if let Some(vnet) = &request.vnet {
        if !is_vnet {
            return Err(ScaffoldError::Template(format!(
                "{} is not a VNET jail (it has no `vnet;`)",
                request.template
            )));
        }
        if let Some(id) = vnet.id {
            edits.replace_variable("id", &id.to_string(), &request.template)?;
        }
        if let Some(bridge) = &vnet.bridge {
            edits.replace_variable("br", bridge, &request.template)?;
        }
    }
    if let Some(ip) = &request.ip {
        let (addr, prefix) = split_address(ip)?;
        if is_vnet && find_statements(tree, block, "$ip").len() == 1 {
            let old = statement_value_text(tree, find_statements(tree, block, "$ip")[0]);
            let prefix = prefix.or_else(|| trailing_prefix(&old));
            let value = match prefix {
                Some(p) => format!("{addr}/{p}"),
                None => addr.to_string(),
            };
            edits.replace_variable("ip", &value, &request.template)?;
        } else if is_vnet {
            return Err(ScaffoldError::Template(format!(
                "{} is a VNET jail without a $ip variable; set the address in the new file by hand",
                request.template
            )));
        } else {
            edits.replace_address(addr, prefix, &request.template)?;
        }
    }
    Ok(edits.apply(&text))
}

/// Sets the `path` of jail `name` in `text` (a file [`derive()`] made):
/// replaces its `path` statement's value, or adds one.
pub fn set_path(
    text: &[u8],
    name: &str,
    path: &str,
    target: Target,
) -> Result<Vec<u8>, ScaffoldError> {
    let parse = jailconf_parser::parse(text, target);
    let tree = &parse.tree;
    let block = jail_blocks(tree)
        .into_iter()
        .find(|&b| block_own_name(tree, b).as_deref() == Some(name.as_bytes()))
        .ok_or_else(|| ScaffoldError::Result(format!("no block named {name}")))?;
    let mut edits = Edits::new(tree, block);
    edits.set_param("path", &quote(path.as_bytes()), name)?;
    Ok(edits.apply(text))
}

/// The dataset a clone of `snapshot` for jail `name` gets: a sibling of
/// the snapshot's dataset (`zroot/jail/classic@template` →
/// `zroot/jail/shadow`).
pub fn clone_dataset(snapshot: &str, name: &str) -> Result<String, ScaffoldError> {
    let bad = || {
        ScaffoldError::Invalid(format!(
            "--clone wants POOL/DATASET@SNAPSHOT, not {snapshot:?}"
        ))
    };
    let (dataset, snap) = snapshot.split_once('@').ok_or_else(bad)?;
    if snap.is_empty() || snap.contains('@') {
        return Err(bad());
    }
    let (parent, _) = dataset.rsplit_once('/').ok_or_else(bad)?;
    if parent.is_empty() {
        return Err(bad());
    }
    Ok(format!("{parent}/{name}"))
}

/// Evaluates the new file on its own (as rc.d passes it to `jail -f`) and
/// returns the new jail's model.
pub fn evaluate(
    path: &Path,
    text: &[u8],
    name: &str,
    target: Target,
) -> Result<Jail, ScaffoldError> {
    let config = Config::load(
        MainFile::from_path(path, text.to_vec()),
        &DiskLoader,
        target,
    );
    if config.fatal {
        let first = config
            .diagnostics
            .first()
            .map(|d| d.message.clone())
            .unwrap_or_default();
        return Err(ScaffoldError::Result(format!(
            "jail(8) could not read it: {first}"
        )));
    }
    let mut jails = config.jails.into_iter();
    match (jails.next(), jails.next()) {
        (Some(jail), None) if jail.name == name.as_bytes() && !jail.failed => Ok(jail),
        (Some(jail), None) if jail.failed => Err(ScaffoldError::Result(format!(
            "jail(8) would fail to configure {name}"
        ))),
        _ => Err(ScaffoldError::Result(format!(
            "it should define exactly the jail {name}"
        ))),
    }
}

/// What other jails and the host already use.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Taken {
    names: BTreeMap<String, String>,
    addresses: BTreeMap<IpAddr, String>,
    epairs: BTreeMap<u32, String>,
    paths: BTreeMap<String, String>,
    datasets: BTreeMap<String, String>,
}

impl Taken {
    /// Everything the configuration and the running host use. `inside`
    /// holds addresses read inside running VNET jails (`jexec NAME
    /// ifconfig`), by jail name.
    pub fn from_host(
        input: &ConfigInput,
        observed: &Observed,
        inside: &[(String, IpAddr)],
    ) -> Taken {
        let mut taken = Taken::default();
        for root in &input.roots {
            for jail in &root.config.jails {
                let name = jail.name_str().into_owned();
                let owner = format!("{name} (configured in {})", root.path.display());
                taken.names.entry(name.clone()).or_insert(owner);
                for addr in jail_addresses(jail) {
                    taken.addresses.entry(addr).or_insert_with(|| name.clone());
                }
                for epair in jail_epairs(jail) {
                    taken.epairs.entry(epair).or_insert_with(|| name.clone());
                }
                if let Some(path) = single_value(jail, "path") {
                    taken.paths.entry(path).or_insert_with(|| name.clone());
                }
            }
        }
        for running in &observed.jails {
            let owner = format!("{} (running, jid {})", running.name, running.jid);
            taken.names.entry(running.name.clone()).or_insert(owner);
            for key in ["ip4.addr", "ip6.addr"] {
                if let Some(ObservedValue::List(list)) = running.params.get(key) {
                    for addr in list.iter().filter_map(|a| parse_address(a)) {
                        taken
                            .addresses
                            .entry(addr)
                            .or_insert_with(|| running.name.clone());
                    }
                }
            }
            if let Some(ObservedValue::Text(path)) = running.params.get("path") {
                taken
                    .paths
                    .entry(path.clone())
                    .or_insert_with(|| running.name.clone());
            }
        }
        for (jail, addr) in inside {
            taken.addresses.entry(*addr).or_insert_with(|| jail.clone());
        }
        for interface in &observed.interfaces {
            let owner = format!("the host ({})", interface.name);
            for addr in interface.inet.iter().chain(&interface.inet6) {
                if let Some(addr) = parse_address(addr) {
                    taken.addresses.entry(addr).or_insert_with(|| owner.clone());
                }
            }
            if let Some(number) = epair_number(&interface.name) {
                taken
                    .epairs
                    .entry(number)
                    .or_insert_with(|| format!("the host ({})", interface.name));
            }
        }
        for dataset in &observed.datasets {
            taken.datasets.insert(
                dataset.name.clone(),
                dataset.mountpoint.clone().unwrap_or_default(),
            );
        }
        taken
    }

    /// Whether a dataset exists, for `--clone`.
    pub fn dataset_mountpoint(&self, dataset: &str) -> Option<&str> {
        self.datasets.get(dataset).map(String::as_str)
    }

    /// Whether the new jail's name is taken.
    pub fn check_name(&self, name: &str) -> Result<(), ScaffoldError> {
        match self.names.get(name) {
            Some(owner) => Err(ScaffoldError::Conflicts(vec![format!(
                "the name {name} is used by {owner}"
            )])),
            None => Ok(()),
        }
    }

    /// Everything the new jail would share with another jail or the host.
    pub fn check(&self, jail: &Jail) -> Result<(), ScaffoldError> {
        let mut conflicts = Vec::new();
        if let Err(ScaffoldError::Conflicts(found)) = self.check_name(&jail.name_str()) {
            conflicts.extend(found);
        }
        for addr in jail_addresses(jail) {
            if let Some(owner) = self.addresses.get(&addr) {
                conflicts.push(format!("the address {addr} is used by {owner}"));
            }
        }
        for epair in jail_epairs(jail) {
            if let Some(owner) = self.epairs.get(&epair) {
                conflicts.push(format!(
                    "epair{epair} is used by {owner} (choose another --id)"
                ));
            }
        }
        if let Some(path) = single_value(jail, "path") {
            if let Some(owner) = self.paths.get(&path) {
                conflicts.push(format!("the path {path} is used by {owner}"));
            }
        }
        if conflicts.is_empty() {
            Ok(())
        } else {
            Err(ScaffoldError::Conflicts(conflicts))
        }
    }
}

/// Writes `dir/NAME.conf` atomically (a temporary file renamed into
/// place), never replacing an existing file.
pub fn write_new(dir: &Path, name: &str, text: &[u8]) -> io::Result<PathBuf> {
    let target = dir.join(format!("{name}.conf"));
    if target.exists() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} already exists", target.display()),
        ));
    }
    let mut file = tempfile::Builder::new()
        .prefix(&format!(".{name}.conf."))
        .tempfile_in(dir)?;
    file.write_all(text)?;
    file.as_file().sync_all()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    file.persist_noclobber(&target).map_err(|e| e.error)?;
    Ok(target)
}

// ---------------------------------------------------------------------------
// Syntax tree helpers
// ---------------------------------------------------------------------------

/// The top-level jail blocks of a file.
fn jail_blocks(tree: &SyntaxTree) -> Vec<NodeId> {
    tree.child_nodes(tree.root())
        .filter(|&n| tree.kind(n) == NodeKind::JailBlock)
        .collect()
}

fn block_own_name(tree: &SyntaxTree, block: NodeId) -> Option<Vec<u8>> {
    block_name(tree, jailconf_parser::source::FileId(0), block).map(|(name, _)| name)
}

/// A statement's name as written: `ip4.addr`, or `$id` for a variable.
fn statement_name(tree: &SyntaxTree, statement: NodeId) -> Option<String> {
    let name = tree.child_node(statement, NodeKind::ParamName)?;
    let index = tree.token_range(name).start;
    let token = tree.tokens().get(index)?;
    let value = piece_value(token.kind, tree.token_text(index as u32));
    let value = String::from_utf8_lossy(&value).into_owned();
    Some(if token.kind.is_variable() {
        format!("${value}")
    } else {
        value
    })
}

/// The block's own statements named `name` (`$id` for a variable).
fn find_statements(tree: &SyntaxTree, block: NodeId, name: &str) -> Vec<NodeId> {
    tree.child_nodes(block)
        .filter(|&n| tree.kind(n) == NodeKind::Statement)
        .filter(|&n| statement_name(tree, n).as_deref() == Some(name))
        .collect()
}

fn has_statement(tree: &SyntaxTree, block: NodeId, name: &str) -> bool {
    !find_statements(tree, block, name).is_empty()
}

/// A statement's values as written (quotes and escapes removed; variable
/// references kept as `${name}`).
fn statement_value_text(tree: &SyntaxTree, statement: NodeId) -> String {
    let Some(list) = tree.child_node(statement, NodeKind::ValueList) else {
        return String::new();
    };
    let mut out = Vec::new();
    for index in tree.token_range(list) {
        let Some(token) = tree.tokens().get(index) else {
            break;
        };
        if token.kind.is_variable() {
            out.extend_from_slice(tree.token_text(index as u32));
        } else if token.kind.is_piece() || token.kind == TokenKind::Comma {
            out.extend(piece_value(token.kind, tree.token_text(index as u32)));
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Byte edits on one block, applied back to front.
struct Edits<'t> {
    tree: &'t SyntaxTree,
    block: NodeId,
    edits: Vec<(Range<usize>, String)>,
}

impl<'t> Edits<'t> {
    fn new(tree: &'t SyntaxTree, block: NodeId) -> Self {
        Edits {
            tree,
            block,
            edits: Vec::new(),
        }
    }

    fn push(&mut self, range: Range<usize>, text: String) {
        self.edits.push((range, text));
    }

    /// The one statement named `name` in the block; an error when there
    /// are several (the edit would be ambiguous).
    fn single(&self, name: &str, jail: &str) -> Result<Option<NodeId>, ScaffoldError> {
        let found = find_statements(self.tree, self.block, name);
        match found.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            _ => Err(ScaffoldError::Template(format!(
                "{jail} sets {name} in {} statements; edit the new file by hand",
                found.len()
            ))),
        }
    }

    /// Replaces a statement's value list with `value` (already quoted).
    fn replace_value(&mut self, statement: NodeId, value: String) -> Result<(), ScaffoldError> {
        let list = self
            .tree
            .child_node(statement, NodeKind::ValueList)
            .ok_or_else(|| ScaffoldError::Template("a statement without a value".into()))?;
        let range = self.tree.byte_range(list);
        self.push(range, value);
        Ok(())
    }

    /// `$name = VALUE;` in the block, keeping double quotes if the
    /// template used them.
    fn replace_variable(
        &mut self,
        name: &str,
        value: &str,
        jail: &str,
    ) -> Result<(), ScaffoldError> {
        let statement = self.single(&format!("${name}"), jail)?.ok_or_else(|| {
            ScaffoldError::Template(format!(
                "{jail} has no ${name} variable of its own; edit the new file by hand"
            ))
        })?;
        let list = self.tree.child_node(statement, NodeKind::ValueList);
        let was_quoted = list.is_some_and(|l| self.tree.node_text(l).starts_with(b"\""));
        let quoted = if was_quoted {
            double_quote(value.as_bytes())
        } else {
            quote(value.as_bytes())
        };
        self.replace_value(statement, quoted)
    }

    /// Replaces the `ip4.addr` or `ip6.addr` value (by the address's
    /// family), keeping an `IFACE|` prefix and the template's mask.
    fn replace_address(
        &mut self,
        addr: IpAddr,
        prefix: Option<u8>,
        jail: &str,
    ) -> Result<(), ScaffoldError> {
        let param = if addr.is_ipv4() {
            "ip4.addr"
        } else {
            "ip6.addr"
        };
        let statement = self.single(param, jail)?;
        let old = statement
            .map(|s| statement_value_text(self.tree, s))
            .unwrap_or_default();
        if old.contains(',') {
            return Err(ScaffoldError::Template(format!(
                "{jail} has several {param} values; edit the new file by hand"
            )));
        }
        let first = old.split(' ').next().unwrap_or_default();
        let (iface, rest) = match first.split_once('|') {
            Some((iface, rest)) => (format!("{iface}|"), rest),
            None => (String::new(), first),
        };
        let mask = prefix
            .map(|p| format!("/{p}"))
            .or_else(|| rest.split_once('/').map(|(_, m)| format!("/{m}")))
            .unwrap_or_default();
        let value = quote(format!("{iface}{addr}{mask}").as_bytes());
        match statement {
            Some(statement) => self.replace_value(statement, value),
            None => self.insert(&format!("{param} = {value};")),
        }
    }

    /// Sets a parameter: replaces its one statement's value, or adds one.
    fn set_param(&mut self, param: &str, value: &str, jail: &str) -> Result<(), ScaffoldError> {
        match self.single(param, jail)? {
            Some(statement) => self.replace_value(statement, value.to_string()),
            None => self.insert(&format!("{param} = {value};")),
        }
    }

    /// Adds a statement before the block's closing brace, indented like
    /// the block's last statement.
    fn insert(&mut self, statement: &str) -> Result<(), ScaffoldError> {
        let tree = self.tree;
        let close = tree
            .child_token(self.block, TokenKind::RBrace)
            .and_then(|i| tree.tokens().get(i as usize))
            .ok_or_else(|| ScaffoldError::Template("the template block is not closed".into()))?;
        let text = tree.text();
        let close_at = close.start as usize;
        let indent = tree
            .child_nodes(self.block)
            .filter(|&n| tree.kind(n) == NodeKind::Statement)
            .last()
            .map(|n| {
                let start = tree.byte_range(n).start;
                let line_start = text[..start]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |p| p + 1);
                String::from_utf8_lossy(&text[line_start..start]).into_owned()
            })
            .unwrap_or_else(|| "    ".to_string());
        // Insert at the start of the closing brace's line when it is alone
        // on it, else right before the brace.
        let line_start = text[..close_at]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        if text[line_start..close_at]
            .iter()
            .all(u8::is_ascii_whitespace)
            && line_start > 0
        {
            self.push(line_start..line_start, format!("{indent}{statement}\n"));
        } else {
            self.push(close_at..close_at, format!(" {statement} "));
        }
        Ok(())
    }

    fn apply(mut self, text: &[u8]) -> Vec<u8> {
        self.edits
            .sort_by_key(|(range, _)| std::cmp::Reverse(range.start));
        let mut out = text.to_vec();
        for (range, replacement) in self.edits {
            out.splice(range, replacement.into_bytes());
        }
        out
    }
}

// ---------------------------------------------------------------------------
// Addresses and epairs of a jail
// ---------------------------------------------------------------------------

/// `ADDR[/N]` as given on the command line.
fn split_address(text: &str) -> Result<(IpAddr, Option<u8>), ScaffoldError> {
    let bad = || ScaffoldError::Invalid(format!("bad address {text:?}: want ADDR or ADDR/N"));
    let (addr, prefix) = match text.split_once('/') {
        Some((addr, prefix)) => (addr, Some(prefix.parse::<u8>().map_err(|_| bad())?)),
        None => (text, None),
    };
    let addr: IpAddr = addr.parse().map_err(|_| bad())?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    if prefix.is_some_and(|p| p > max) {
        return Err(bad());
    }
    Ok((addr, prefix))
}

/// The `/N` at the end of a value, if any.
fn trailing_prefix(value: &str) -> Option<u8> {
    value.rsplit_once('/')?.1.parse().ok()
}

/// An address as jail(8) reads `ip4.addr` values:
/// `[IFACE|]ADDR[/MASK][ OPTIONS]`.
pub fn parse_address(value: &str) -> Option<IpAddr> {
    let value = value.split_once('|').map_or(value, |(_, rest)| rest);
    let value = value.split_whitespace().next()?;
    let value = value.split_once('/').map_or(value, |(addr, _)| addr);
    // Link-local IPv6 addresses carry a zone (`fe80::1%lo0`).
    let value = value.split_once('%').map_or(value, |(addr, _)| addr);
    value.parse().ok()
}

/// A jail's parameters as (name, value) text pairs, one per value.
fn param_pairs(jail: &Jail) -> Vec<(String, String)> {
    jail.params
        .iter()
        .flat_map(|p| {
            p.values.iter().map(move |v| {
                (
                    p.name_str().into_owned(),
                    String::from_utf8_lossy(&v.text).into_owned(),
                )
            })
        })
        .collect()
}

/// The addresses a jail uses: `ip4.addr`/`ip6.addr`, and for a VNET jail
/// the addresses its hooks give interfaces (`ifconfig epair60b
/// 20.0.0.60/24 up`).
pub fn jail_addresses(jail: &Jail) -> Vec<IpAddr> {
    let pairs = param_pairs(jail);
    addresses_of(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())))
}

/// The addresses named by a jail's parameters, given as (name, value)
/// pairs: `ip4.addr`/`ip6.addr` values (`[IFACE|]ADDR[/MASK]`), and the
/// addresses in `exec.*` commands that run ifconfig. Loopback addresses
/// are left out.
pub fn addresses_of<'v>(params: impl IntoIterator<Item = (&'v str, &'v str)>) -> Vec<IpAddr> {
    let mut out = Vec::new();
    for (name, value) in params {
        if name == "ip4.addr" || name == "ip6.addr" {
            out.extend(parse_address(value));
        } else if name.starts_with("exec.") {
            let mut words = value.split_whitespace();
            if words
                .next()
                .is_some_and(|w| w == "ifconfig" || w.ends_with("/ifconfig"))
            {
                out.extend(words.filter_map(parse_address));
            }
        }
    }
    out.retain(|a| !a.is_loopback() && !a.is_unspecified());
    out.sort();
    out.dedup();
    out
}

/// The epair numbers a jail uses (`vnet.interface`, and interfaces named
/// in its hooks).
pub fn jail_epairs(jail: &Jail) -> Vec<u32> {
    let mut out: Vec<u32> = param_pairs(jail)
        .iter()
        .filter(|(name, _)| name == "vnet.interface" || name.starts_with("exec."))
        .flat_map(|(_, value)| {
            value
                .split_whitespace()
                .filter_map(epair_number)
                .collect::<Vec<_>>()
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// `epair60`, `epair60a`, `epair60b` → 60.
fn epair_number(name: &str) -> Option<u32> {
    let rest = name.strip_prefix("epair")?;
    let digits = rest.trim_end_matches(['a', 'b']);
    if digits.is_empty() || rest.len() - digits.len() > 1 {
        return None;
    }
    digits.parse().ok()
}

/// A parameter with exactly one value, as text.
fn single_value(jail: &Jail, name: &str) -> Option<String> {
    match jail.param(name)?.values.as_slice() {
        [one] => Some(String::from_utf8_lossy(&one.text).into_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::input::load_roots;
    use crate::state::{Dataset, Interface, RunningJail};
    use jailconf_parser::NoFiles;

    const CLASSIC: &str = include_str!("../../fixtures/seed/jail.conf.d/classic.conf");
    const VNET: &str = include_str!("../../fixtures/seed/jail.conf.d/vnet.conf");

    fn template(path: &str, text: &str) -> TemplateFile {
        TemplateFile {
            path: PathBuf::from(path),
            text: text.as_bytes().to_vec(),
        }
    }

    fn request(name: &str, from: &str) -> Request {
        Request {
            name: name.to_string(),
            template: from.to_string(),
            ..Request::default()
        }
    }

    fn text(bytes: Vec<u8>) -> String {
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn classic_becomes_shadow_like_the_article() {
        let mut req = request("shadow", "classic");
        req.ip = Some("20.0.0.51".to_string());
        let out = text(derive(&template("classic.conf", CLASSIC), &req, Target::V15).unwrap());
        // The article's `sed -e s|classic|shadow|g -e s|20.0.0.50|20.0.0.51|g`.
        let expected = CLASSIC
            .replace("classic", "shadow")
            .replace("20.0.0.50", "20.0.0.51");
        assert_eq!(out, expected);
        assert_eq!(
            out,
            include_str!("../../fixtures/seed/jail.conf.d/shadow.conf")
        );
        let jail = evaluate(
            Path::new("shadow.conf"),
            out.as_bytes(),
            "shadow",
            Target::V15,
        )
        .unwrap();
        assert_eq!(single_value(&jail, "path").unwrap(), "/jail/shadow");
    }

    #[test]
    fn only_the_block_name_is_renamed_not_every_occurrence() {
        let src = "# classic is the template\nclassic {\n    path = \"/jail/classic\";\n    host.hostname = classic-host;\n}\n";
        let out = text(
            derive(
                &template("c.conf", src),
                &request("web", "classic"),
                Target::V15,
            )
            .unwrap(),
        );
        assert_eq!(
            out,
            "# classic is the template\nweb {\n    path = \"/jail/classic\";\n    host.hostname = classic-host;\n}\n"
        );
    }

    #[test]
    fn vnet_template_gets_new_id_and_bridge() {
        let mut req = request("vnet2", "vnet");
        req.vnet = Some(Vnet {
            bridge: Some("bridge1".to_string()),
            id: Some(61),
        });
        req.ip = Some("20.0.0.61".to_string());
        let out = text(derive(&template("vnet.conf", VNET), &req, Target::V15).unwrap());
        assert!(out.starts_with("vnet2 {\n"));
        assert!(out.contains("$id = \"61\";"));
        assert!(out.contains("$br = \"bridge1\";"));
        assert!(out.contains("$ip = \"20.0.0.61/24\";"));
        let jail = evaluate(
            Path::new("vnet2.conf"),
            out.as_bytes(),
            "vnet2",
            Target::V15,
        )
        .unwrap();
        assert_eq!(jail_epairs(&jail), vec![61]);
        assert_eq!(
            jail_addresses(&jail),
            vec!["20.0.0.61".parse::<IpAddr>().unwrap()]
        );
    }

    #[test]
    fn vnet_flags_need_a_vnet_template() {
        let mut req = request("x", "classic");
        req.vnet = Some(Vnet {
            bridge: None,
            id: Some(3),
        });
        let err = derive(&template("classic.conf", CLASSIC), &req, Target::V15).unwrap_err();
        assert!(err.to_string().contains("not a VNET jail"));
    }

    #[test]
    fn address_keeps_interface_and_mask_and_can_be_added() {
        let src = "a {\n  ip4.addr = \"em0|10.0.0.1/24\";\n}\n";
        let mut req = request("b", "a");
        req.ip = Some("10.0.0.2".to_string());
        let out = text(derive(&template("a.conf", src), &req, Target::V15).unwrap());
        assert_eq!(out, "b {\n  ip4.addr = \"em0|10.0.0.2/24\";\n}\n");

        req.ip = Some("2001:db8::2/64".to_string());
        let out = text(derive(&template("a.conf", src), &req, Target::V15).unwrap());
        assert_eq!(
            out,
            "b {\n  ip4.addr = \"em0|10.0.0.1/24\";\n  ip6.addr = \"2001:db8::2/64\";\n}\n"
        );
    }

    #[test]
    fn names_are_quoted_and_checked() {
        let src = "a { persist; }\n";
        let out = text(
            derive(
                &template("a.conf", src),
                &request("x y;$z", "a"),
                Target::V15,
            )
            .unwrap(),
        );
        assert_eq!(out, "\"x y;\\$z\" { persist; }\n");
        for bad in ["", "12", "a.b", "a/b", "x\ny"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn shared_file_copies_only_the_template_block() {
        let src = "b { persist; }\n# web\nweb {\n  path = /j/web;\n}\nc { persist; }\n";
        let out = text(
            derive(
                &template("jail.conf", src),
                &request("api", "web"),
                Target::V15,
            )
            .unwrap(),
        );
        assert_eq!(out, "api {\n  path = /j/web;\n}\n");
        let err = derive(
            &template("jail.conf", src),
            &request("x", "nope"),
            Target::V15,
        )
        .unwrap_err();
        assert!(matches!(err, ScaffoldError::Template(_)));
    }

    #[test]
    fn set_path_replaces_or_adds() {
        let out = set_path(CLASSIC.as_bytes(), "classic", "/pool/x y", Target::V15).unwrap();
        assert!(text(out).contains("path = \"/pool/x y\";"));
        let out = text(set_path(b"a {\n    persist;\n}\n", "a", "/j/a", Target::V15).unwrap());
        assert_eq!(out, "a {\n    persist;\n    path = \"/j/a\";\n}\n");
        let out = text(set_path(b"a { persist; }", "a", "/j/a", Target::V15).unwrap());
        assert_eq!(out, "a { persist;  path = \"/j/a\"; }");
    }

    #[test]
    fn several_statements_are_ambiguous() {
        let src = "a {\n  ip4.addr = 10.0.0.1;\n  ip4.addr += 10.0.0.3;\n}\n";
        let mut req = request("b", "a");
        req.ip = Some("10.0.0.2".to_string());
        assert!(derive(&template("a.conf", src), &req, Target::V15).is_err());
    }

    #[test]
    fn clone_dataset_is_a_sibling() {
        assert_eq!(
            clone_dataset("zroot/jail/classic@template", "shadow").unwrap(),
            "zroot/jail/shadow"
        );
        for bad in ["zroot/jail/classic", "classic@t", "zroot/x@", "a/b@c@d"] {
            assert!(clone_dataset(bad, "s").is_err(), "{bad}");
        }
    }

    fn seed_input() -> ConfigInput {
        let mains = [("classic", CLASSIC), ("vnet", VNET)]
            .iter()
            .map(|(name, text)| {
                MainFile::from_path(
                    format!("/etc/jail.conf.d/{name}.conf"),
                    text.as_bytes().to_vec(),
                )
            })
            .collect();
        load_roots(mains, &NoFiles, Target::V15)
    }

    fn running(name: &str, jid: u32, addr: &str) -> RunningJail {
        RunningJail {
            jid,
            name: name.to_string(),
            dying: false,
            params: [
                (
                    "ip4.addr".to_string(),
                    ObservedValue::List(vec![addr.to_string()]),
                ),
                (
                    "path".to_string(),
                    ObservedValue::Text(format!("/jail/{name}")),
                ),
            ]
            .into(),
        }
    }

    #[test]
    fn taken_names_addresses_epairs_and_paths_are_refused() {
        let observed = Observed {
            jails: vec![running("old", 7, "20.0.0.70")],
            interfaces: vec![Interface {
                name: "bridge0".to_string(),
                inet: vec!["20.0.0.20/24".to_string()],
                ..Interface::default()
            }],
            datasets: vec![Dataset {
                name: "zroot/jail/classic".to_string(),
                mountpoint: Some("/jail/classic".to_string()),
                origin: None,
            }],
        };
        let inside = [("vnet".to_string(), "20.0.0.60".parse().unwrap())];
        let taken = Taken::from_host(&seed_input(), &observed, &inside);
        assert_eq!(
            taken.dataset_mountpoint("zroot/jail/classic"),
            Some("/jail/classic")
        );
        assert!(taken.check_name("classic").is_err());
        assert!(taken.check_name("old").is_err());
        assert!(taken.check_name("new").is_ok());

        let check = |src: &str| {
            let jail = evaluate(Path::new("n.conf"), src.as_bytes(), "n", Target::V15).unwrap();
            taken.check(&jail)
        };
        assert!(check("n { path = /jail/n; ip4.addr = 20.0.0.99; }").is_ok());
        let err = check("n { path = /jail/classic; ip4.addr = 20.0.0.50; }").unwrap_err();
        assert_eq!(
            err,
            ScaffoldError::Conflicts(vec![
                "the address 20.0.0.50 is used by classic".to_string(),
                "the path /jail/classic is used by classic".to_string(),
            ])
        );
        assert!(check("n { ip4.addr = 20.0.0.70; }").is_err());
        assert!(check("n { ip4.addr = 20.0.0.20; }").is_err());
        let err = check("n { vnet; vnet.interface = epair60b; }").unwrap_err();
        assert!(err.to_string().contains("epair60 is used by vnet"));
    }

    #[test]
    fn epair_numbers() {
        assert_eq!(epair_number("epair60b"), Some(60));
        assert_eq!(epair_number("epair7"), Some(7));
        assert_eq!(epair_number("epair"), None);
        assert_eq!(epair_number("epairab"), None);
        assert_eq!(epair_number("em0"), None);
    }

    #[test]
    fn write_new_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_new(dir.path(), "web", b"web { persist; }\n").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"web { persist; }\n");
        let err = write_new(dir.path(), "web", b"other").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&path).unwrap(), b"web { persist; }\n");
        // No temporary files left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
