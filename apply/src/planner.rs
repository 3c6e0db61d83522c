//! The plan: a pure function of the desired state, the observed state and
//! the record of what was last applied.
//!
//! Per jail:
//!
//! * **create**: configured, not running: `jail -f CONF -c NAME`;
//! * **modify**: running, differing kernel parameters all changeable at
//!   run time: `jail -f CONF -m NAME`;
//! * **restart**: a create-only parameter differs (`path`, `vnet`, `ip4`,
//!   …): `jail -f CONF -r NAME`, then `jail -f CONF -c NAME` (never `-rc`,
//!   which breaks `vnet.interface`);
//! * **remove**: running, not configured, with `--prune`: `jail -R NAME`;
//!   without it the jail is **unmanaged** and left alone;
//! * **ephemeral**: a single-process jail, never started by apply;
//! * **unchanged**.
//!
//! Pseudo-parameters (hooks, mounts, interfaces) cannot be read back from
//! the kernel: they are compared with the record, and a difference is
//! *deferred* (takes effect on the next restart) unless
//! `restart_on_config_change` makes it a restart.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;

use jailconf_lint::commands::{epair_base, hook_side, net_actions, NetAction, Side};
use jailconf_parser::Target;

use crate::compare::compare;
use crate::desired::{Desired, DesiredJail};
use crate::fingerprint::fingerprint;
use crate::order::{CycleError, Graph};
use crate::plan::{Action, ActionKind, Change, Plan, StaleInterface, PLAN_SCHEMA};
use crate::record::Record;
use crate::state::{Observed, RunningJail};

/// What to plan for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// The FreeBSD release the configuration was evaluated for.
    pub target: Target,
    /// Remove running jails that are not configured.
    pub prune: bool,
    /// Restart a running jail whose pseudo-parameters changed since they
    /// were applied (instead of deferring the change).
    pub restart_on_config_change: bool,
    /// Destroy stale interfaces before applying (for the executor; the
    /// plan lists them either way).
    pub cleanup_stale: bool,
    /// Only these jails (and what they depend on); empty = every jail.
    pub jails: Vec<String>,
}

/// Why no plan could be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanError {
    /// The configuration's `depend`/hierarchy graph has a cycle.
    Cycle(CycleError),
    /// `--jail NAME` names a jail that is neither configured nor running.
    UnknownJail(String),
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::Cycle(cycle) => cycle.fmt(f),
            PlanError::UnknownJail(name) => {
                write!(f, "jail `{name}` is neither configured nor running")
            }
        }
    }
}

impl std::error::Error for PlanError {}

impl From<CycleError> for PlanError {
    fn from(error: CycleError) -> Self {
        PlanError::Cycle(error)
    }
}

/// Hooks that run on the host while a jail starts: interfaces they create
/// belong to the jail.
const START_HOOKS: [&str; 4] = [
    "exec.prepare",
    "exec.prestart",
    "exec.created",
    "exec.poststart",
];

/// Plans the convergence of `observed` to `desired`.
pub fn plan(
    desired: &Desired,
    observed: &Observed,
    record: &Record,
    options: &PlanOptions,
) -> Result<Plan, PlanError> {
    let graph = Graph::of_jails(
        desired
            .jails
            .iter()
            .map(|j| (j.name.as_str(), j.depend.as_slice())),
    );
    let order = graph.topological()?;

    let mut running: HashMap<&str, &RunningJail> = HashMap::new();
    let mut dying: HashSet<&str> = HashSet::new();
    for jail in &observed.jails {
        if jail.dying {
            dying.insert(jail.name.as_str());
        } else {
            running.entry(jail.name.as_str()).or_insert(jail);
        }
    }
    let configured: HashMap<&str, usize> = desired
        .jails
        .iter()
        .enumerate()
        .map(|(i, j)| (j.name.as_str(), i))
        .collect();

    let (selected, named_unconfigured) = selection(desired, &graph, &running, options)?;

    // Configured jails, in topological order.
    let mut configured_actions: Vec<(usize, Action)> = Vec::new();
    for &index in &order {
        if !selected[index] {
            continue;
        }
        let jail = &desired.jails[index];
        let action = jail_action(
            jail,
            running.get(jail.name.as_str()).copied(),
            dying.contains(jail.name.as_str()),
            record,
            options,
        );
        configured_actions.push((index, action));
    }

    // Running jails that are not configured, in jls order.
    let unconfigured: Vec<&RunningJail> = observed
        .jails
        .iter()
        .filter(|j| !j.dying && !configured.contains_key(j.name.as_str()))
        .filter(|j| options.jails.is_empty() || named_unconfigured.contains(j.name.as_str()))
        .collect();

    let mut actions = Vec::new();
    let mut batches = Vec::new();

    // Removals first, dependents and children before what they need.
    let removals: Vec<&RunningJail> = if options.prune {
        unconfigured.clone()
    } else {
        Vec::new()
    };
    let removal_graph = removal_graph(&removals, record);
    let removal_order = removal_graph.topological()?;
    let removal_batches = removal_graph.batches(&removal_order, &vec![true; removals.len()]);
    push_batched(
        &mut actions,
        &mut batches,
        removal_order.iter().map(|&i| {
            let jail = &removals[i];
            (removal_batches[i], remove_action(&jail.name))
        }),
    );

    // Then creates, restarts and modifies in dependency order.
    let execute: Vec<bool> = {
        let mut execute = vec![false; desired.jails.len()];
        for (index, action) in &configured_actions {
            execute[*index] = action.kind.changes_host();
        }
        execute
    };
    let configured_batches = graph.batches(&order, &execute);
    let (executing, idle): (Vec<_>, Vec<_>) = configured_actions
        .into_iter()
        .partition(|(_, action)| action.kind.changes_host());
    push_batched(
        &mut actions,
        &mut batches,
        executing
            .into_iter()
            .map(|(index, action)| (configured_batches[index], action)),
    );

    // Then what does not run anything, in configuration and jls order.
    let mut idle: Vec<(usize, Action)> = idle;
    idle.sort_by_key(|(index, _)| *index);
    actions.extend(idle.into_iter().map(|(_, action)| action));
    if !options.prune {
        actions.extend(unconfigured.iter().map(|jail| unmanaged_action(&jail.name)));
    }

    let stale = stale_interfaces(desired, &selected, &running, observed);
    Ok(Plan {
        schema: PLAN_SCHEMA.to_string(),
        target: options.target.to_string(),
        fingerprint: fingerprint(observed, &desired.config_digest),
        actions,
        batches,
        stale,
    })
}

/// Which configured jails are planned (by index), and which running,
/// unconfigured jails were named.
fn selection<'a>(
    desired: &Desired,
    graph: &Graph,
    running: &HashMap<&str, &RunningJail>,
    options: &'a PlanOptions,
) -> Result<(Vec<bool>, HashSet<&'a str>), PlanError> {
    let n = desired.jails.len();
    if options.jails.is_empty() {
        return Ok((vec![true; n], HashSet::new()));
    }
    let mut selected = vec![false; n];
    let mut named_unconfigured = HashSet::new();
    let mut stack = Vec::new();
    for name in &options.jails {
        match desired.jails.iter().position(|j| &j.name == name) {
            Some(index) => stack.push(index),
            None if running.contains_key(name.as_str()) => {
                named_unconfigured.insert(name.as_str());
            }
            None => return Err(PlanError::UnknownJail(name.clone())),
        }
    }
    // What the named jails need comes along, as with `jail -c NAME`.
    while let Some(index) = stack.pop() {
        if !std::mem::replace(&mut selected[index], true) {
            stack.extend(graph.after[index].iter().copied());
        }
    }
    Ok((selected, named_unconfigured))
}

/// Appends `(batch, action)` pairs (in order; batches ascending within
/// each group) and their batch index lists.
fn push_batched(
    actions: &mut Vec<Action>,
    batches: &mut Vec<Vec<usize>>,
    items: impl Iterator<Item = (Option<usize>, Action)>,
) {
    let mut items: Vec<(usize, Action)> = items
        .map(|(batch, action)| (batch.unwrap_or(0), action))
        .collect();
    // Stable: keeps the topological order within a batch.
    items.sort_by_key(|(batch, _)| *batch);
    let first = batches.len();
    for (batch, action) in items {
        while batches.len() <= first + batch {
            batches.push(Vec::new());
        }
        batches[first + batch].push(actions.len());
        actions.push(action);
    }
    // A batch number with no member (cannot happen with contiguous
    // levels, but keep the list clean).
    batches.retain(|batch| !batch.is_empty());
}

fn jail_command(flag: &str, jail: &DesiredJail) -> Vec<String> {
    vec![
        "jail".to_string(),
        "-f".to_string(),
        jail.config_file.clone(),
        flag.to_string(),
        jail.name.clone(),
    ]
}

/// The action for one configured jail.
fn jail_action(
    jail: &DesiredJail,
    running: Option<&RunningJail>,
    dying: bool,
    record: &Record,
    options: &PlanOptions,
) -> Action {
    let mut action = Action {
        jail: jail.name.clone(),
        kind: ActionKind::Unchanged,
        reason: String::new(),
        config_file: Some(jail.config_file.clone()),
        changes: Vec::new(),
        deferred: Vec::new(),
        commands: Vec::new(),
    };
    if jail.ephemeral {
        action.kind = ActionKind::Ephemeral;
        action.reason = if running.is_some() {
            "single-process jail, running now".to_string()
        } else {
            "single-process jail".to_string()
        };
        return action;
    }
    let Some(running) = running else {
        action.kind = ActionKind::Create;
        action.reason = if dying {
            "not running (a dying jail of that name still exists)".to_string()
        } else {
            "not running".to_string()
        };
        action.commands = vec![jail_command("-c", jail)];
        return action;
    };

    let diffs = compare(jail, running);
    let mut deferred = pseudo_changes(jail, running, record);
    // `jail -m` changes the addresses but not the interface aliases.
    let manages_aliases = jail.pseudo.contains_key("interface")
        || ["ip4.addr", "ip6.addr"].iter().any(|p| {
            jail.kernel
                .get(*p)
                .is_some_and(|k| k.values.iter().any(|v| v.contains('|')))
        });
    if manages_aliases {
        for diff in &diffs {
            if matches!(diff.change.param.as_str(), "ip4.addr" | "ip6.addr") {
                deferred.push(Change {
                    param: format!("{} (interface aliases)", diff.change.param),
                    ..diff.change.clone()
                });
            }
        }
    }
    let restart_for: Vec<&str> = diffs
        .iter()
        .filter(|d| d.needs_restart)
        .map(|d| d.change.param.as_str())
        .collect();
    let changes: Vec<Change> = diffs.iter().map(|d| d.change.clone()).collect();

    if !restart_for.is_empty() || (options.restart_on_config_change && !deferred.is_empty()) {
        action.kind = ActionKind::Restart;
        action.reason = if restart_for.is_empty() {
            let params: Vec<&str> = deferred.iter().map(|c| c.param.as_str()).collect();
            format!("{} changed; --restart-on-config-change", params.join(", "))
        } else {
            format!("{} changed", restart_for.join(", "))
        };
        action.changes = changes;
        action.changes.append(&mut deferred);
        action.commands = vec![jail_command("-r", jail), jail_command("-c", jail)];
    } else if !changes.is_empty() {
        action.kind = ActionKind::Modify;
        let params: Vec<&str> = changes.iter().map(|c| c.param.as_str()).collect();
        action.reason = format!("{} changed", params.join(", "));
        action.changes = changes;
        action.deferred = deferred;
        action.commands = vec![jail_command("-m", jail)];
    } else {
        action.reason = if deferred.is_empty() {
            "matches the configuration".to_string()
        } else {
            "running; configuration changes take effect on next restart".to_string()
        };
        action.deferred = deferred;
    }
    action
}

/// Pseudo-parameter differences between the configuration and the record
/// of what was applied to this running jail (none when there is no record
/// of it, or the record is of an earlier jail with another jid).
fn pseudo_changes(jail: &DesiredJail, running: &RunningJail, record: &Record) -> Vec<Change> {
    let Some(applied) = record.jails.get(&jail.name) else {
        return Vec::new();
    };
    if applied.jid != running.jid {
        return Vec::new();
    }
    let names: BTreeSet<&String> = jail.pseudo.keys().chain(applied.pseudo.keys()).collect();
    names
        .into_iter()
        .filter_map(|name| {
            let new = jail.pseudo.get(name);
            let old = applied.pseudo.get(name);
            (new != old).then(|| Change {
                param: name.clone(),
                old: old.map(|values| list_text(values)),
                new: new.map(|values| list_text(values)),
            })
        })
        .collect()
}

/// A pseudo-parameter's values for display: each quoted, comma-separated.
fn list_text(values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!("{v:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn remove_action(name: &str) -> Action {
    Action {
        jail: name.to_string(),
        kind: ActionKind::Remove,
        reason: "not in the configuration; --prune".to_string(),
        config_file: None,
        changes: Vec::new(),
        deferred: Vec::new(),
        commands: vec![vec!["jail".to_string(), "-R".to_string(), name.to_string()]],
    }
}

fn unmanaged_action(name: &str) -> Action {
    Action {
        jail: name.to_string(),
        kind: ActionKind::Unmanaged,
        reason: "running, not in the configuration".to_string(),
        config_file: None,
        changes: Vec::new(),
        deferred: Vec::new(),
        commands: Vec::new(),
    }
}

/// The order of removals: a jail is removed after its children and after
/// the jails that (by the record) depend on it.
fn removal_graph(removals: &[&RunningJail], record: &Record) -> Graph {
    let index: HashMap<&str, usize> = removals
        .iter()
        .enumerate()
        .map(|(i, j)| (j.name.as_str(), i))
        .collect();
    let mut after = vec![Vec::new(); removals.len()];
    for (i, jail) in removals.iter().enumerate() {
        // Children first.
        let mut ancestor = jail.name.as_str();
        while let Some((parent, _)) = ancestor.rsplit_once('.') {
            if let Some(&p) = index.get(parent) {
                after[p].push(i);
                break;
            }
            ancestor = parent;
        }
        // Dependents first.
        let depend = record
            .jails
            .get(&jail.name)
            .and_then(|applied| applied.pseudo.get("depend"));
        for dependency in depend.into_iter().flatten() {
            if let Some(&d) = index.get(dependency.trim()) {
                after[d].push(i);
            }
        }
    }
    Graph {
        names: removals.iter().map(|j| j.name.clone()).collect(),
        after,
    }
}

/// Interfaces that the start hooks of configured, stopped jails create
/// and that already exist: left over by a failed start (the walk-back does
/// not run `exec.poststop`), they make the next `ifconfig … create` fail.
/// Only per-jail interfaces count: epairs (and jib's pairs), or interfaces
/// the jail's own hooks also destroy; interfaces that a running jail's
/// hooks create are in use.
fn stale_interfaces(
    desired: &Desired,
    selected: &[bool],
    running: &HashMap<&str, &RunningJail>,
    observed: &Observed,
) -> Vec<StaleInterface> {
    if observed.interfaces.is_empty() {
        return Vec::new();
    }
    let exists: HashSet<&str> = observed
        .interfaces
        .iter()
        .map(|i| i.name.as_str())
        .collect();
    // Only computed when some interface is a candidate: on a large host,
    // splitting every running jail's hooks is the expensive part.
    let mut in_use: Option<HashSet<String>> = None;
    let mut used = |name: &str| {
        in_use
            .get_or_insert_with(|| {
                desired
                    .jails
                    .iter()
                    .filter(|j| running.contains_key(j.name.as_str()))
                    .flat_map(|j| hook_actions(j, &START_HOOKS))
                    .flat_map(|action| action.created_interfaces())
                    .collect()
            })
            .contains(name)
    };
    let mut stale = Vec::new();
    for (jail, _) in desired
        .jails
        .iter()
        .zip(selected)
        .filter(|(j, &selected)| selected && !running.contains_key(j.name.as_str()))
    {
        let all_hooks: Vec<&str> = jail
            .pseudo
            .keys()
            .map(String::as_str)
            .filter(|name| hook_side(name) == Some(Side::Host))
            .collect();
        let destroyed: HashSet<String> = hook_actions(jail, &all_hooks)
            .into_iter()
            .filter_map(|action| match action {
                NetAction::Destroy(name) => Some(name.into_owned()),
                _ => None,
            })
            .collect();
        for action in hook_actions(jail, &START_HOOKS) {
            let created = action.created_interfaces();
            let paired = matches!(&action, NetAction::Jib { .. })
                || matches!(&action, NetAction::Create(name) if epair_base(name) == Some(&**name));
            let groups: Vec<&[String]> = if paired {
                created.chunks(2).collect()
            } else {
                created.chunks(1).collect()
            };
            for group in groups {
                let own = paired
                    || group.iter().any(|name| {
                        destroyed.contains(name)
                            || epair_base(name).is_some_and(|base| destroyed.contains(base))
                    });
                // Destroying one end of a pair destroys both.
                let leftover = group
                    .iter()
                    .find(|name| exists.contains(name.as_str()) && !used(name));
                if let (true, Some(name)) = (own, leftover) {
                    if !stale.iter().any(|s: &StaleInterface| &s.interface == name) {
                        stale.push(StaleInterface {
                            jail: jail.name.clone(),
                            interface: name.clone(),
                            command: vec![
                                "ifconfig".to_string(),
                                name.clone(),
                                "destroy".to_string(),
                            ],
                        });
                    }
                }
            }
        }
    }
    stale
}

/// The network actions of a jail's hooks among `hooks`.
fn hook_actions<'j>(jail: &'j DesiredJail, hooks: &[&str]) -> Vec<NetAction<'j>> {
    hooks
        .iter()
        .filter_map(|hook| jail.pseudo.get(*hook))
        .flatten()
        .flat_map(|command| net_actions(command))
        .collect()
}
