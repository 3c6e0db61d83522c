//! JC036 `interface-not-destroyed`: an interface created by a host hook
//! before the jail starts and never destroyed when it stops.

use std::borrow::Cow;
use std::collections::BTreeMap;

use jailconf_parser::diag::Severity;
use jailconf_parser::source::Span;

use crate::commands::{epair_base, program_name, runs_opaque, NetAction, Side};
use crate::context::{Batch, Context, HookAction, JailRef};
use crate::rule::{batch_check, Category, Check, JailCheck, Rule};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC036",
    name: "interface-not-destroyed",
    category: Category::Networking,
    severity: Severity::Warning,
    summary: "an interface created for a jail is never destroyed",
    docs: r#"## What it does
Finds interfaces a host-side hook creates before the jail starts
(`ifconfig epair60 create` or `ifconfig bridge7 create` in
`exec.prepare`, `exec.prestart` or `exec.created`; `jib addm NAME …`;
`jng bridge NAME …`) and checks that a hook run when the jail stops
destroys them (`exec.prestop`, `exec.stop`, `exec.poststop` or
`exec.release`: `ifconfig epair60a destroy`, `jib destroy NAME`, `jng
shutdown NAME`). Destroying either end of an epair destroys the pair.
A create guarded with `||` (`ifconfig bridge0 create || true`) is taken
as deliberate. The rule stays silent when a stop hook runs a script
whose effect cannot be seen, and on a configuration jail(8) refuses to
read (a syntax error or a missing include may hide the destroy).

## Why
Interfaces outlive the jail: when it stops, its `vnet.interface` returns
to the host and stays there. The next start then fails at `ifconfig
epair60 create` (`SIOCIFCREATE2: File exists`), and stopped jails leave
a growing pile of epairs on the host.

## Example
```
web {
    vnet;
    vnet.interface = "epair60b";
    exec.prestart += "ifconfig epair60 create up";
    exec.prestart += "ifconfig bridge0 addm epair60a up";
}
```

## Fix
Destroy what the jail created when it stops:
`exec.poststop += "ifconfig epair60a destroy";` (or `jib destroy NAME`,
`jng shutdown NAME`)."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Jails(check),
};

/// Hooks that run before the jail starts.
const BEFORE_START: [&str; 3] = ["exec.prepare", "exec.prestart", "exec.created"];
/// Hooks that run when the jail stops.
const AT_STOP: [&str; 4] = ["exec.prestop", "exec.stop", "exec.poststop", "exec.release"];

/// Something created before the start.
struct Created {
    /// What is shown: `epair60`, `bridge7`, `e0a_web`/`e0b_web`…
    shown: String,
    /// The hook.
    hook: &'static str,
    /// The command.
    span: Span,
    /// What destroys it.
    fix: String,
}

/// What destroys something created: a prefix (`jib:`, `jng:` or none) and
/// a name (the epair pair, the interface, the jib or jng name). Two keys
/// are the same when the prefix and name written together are.
#[derive(Clone, Debug)]
struct Key<'n>(&'static str, Cow<'n, str>);

impl Key<'_> {
    fn same(&self, other: &Key<'_>) -> bool {
        self.0.len() + self.1.len() == other.0.len() + other.1.len()
            && self
                .0
                .bytes()
                .chain(self.1.bytes())
                .eq(other.0.bytes().chain(other.1.bytes()))
    }

    fn text(&self) -> String {
        format!("{}{}", self.0, self.1)
    }
}

fn check<'c, 'a>(context: &'c Context<'a>) -> Box<dyn JailCheck<'c, 'a> + 'c> {
    // One finding per thing and place (wildcard sections apply to many jails).
    let found: BTreeMap<(u32, u32, String), (Created, Vec<String>)> = BTreeMap::new();
    // The jails already listed at each place and key.
    let listed: crate::hash::FastSet<((u32, u32), String, std::borrow::Cow<'_, str>)> =
        crate::hash::FastSet::default();
    batch_check(
        (found, listed),
        move |(found, listed), jail, batch, _| {
            // The destroy may be in the part jail(8) could not read.
            if context.config.fatal {
                return;
            }
            if stops_with_script(batch, jail) {
                return;
            }
            for (key, action) in created(batch, jail) {
                if destroyed_by(batch, jail).any(|d| key.same(&d)) {
                    continue;
                }
                let created = describe(&key, action);
                let key = key.text();
                let place = (created.span.file.0, created.span.range.start);
                let name = jail.name();
                let new = listed.insert((place, key.clone(), name.clone()));
                let entry = found
                    .entry((place.0, place.1, key))
                    .or_insert_with(|| (created, Vec::new()));
                if new {
                    entry.1.push(name.into_owned());
                }
            }
        },
        move |(found, _), report| {
            for (created, jails) in found.into_values() {
                let names: Vec<String> = jails.iter().map(|j| format!("`{j}`")).collect();
                let which = if names.len() == 1 { "jail" } else { "jails" };
                let finding = report
                    .finding(
                        format!(
                            "{} is created in `{}` of {which} {} but never destroyed when it stops",
                            created.shown,
                            created.hook,
                            super::list(&names)
                        ),
                        created.span,
                    )
                    .with_label("created here")
                    .with_help(format!(
                        "destroy it when the jail stops: `exec.poststop += \"{}\";` (a leftover makes the next start fail or piles up on the host)",
                        created.fix
                    ));
                report.push(finding);
            }
        },
    )
}

/// Whether a hook run at stop calls a script that may destroy things.
fn stops_with_script<'a>(batch: &Batch<'_, 'a>, jail: &JailRef<'a>) -> bool {
    batch.hook_values(jail).any(|hook| {
        hook.side == Side::Host && AT_STOP.contains(&hook.hook) && runs_opaque(hook.commands)
    })
}

/// What the jail's hooks create before it starts, with what destroys it.
fn created<'n>(
    batch: &'n Batch<'_, '_>,
    jail: &'n JailRef<'_>,
) -> impl Iterator<Item = (Key<'n>, &'n HookAction<'n>)> {
    let before_start =
        |action: &&HookAction<'_>| action.side == Side::Host && BEFORE_START.contains(&action.hook);
    (batch.net(jail).actions.iter().filter(before_start)).filter_map(|action| {
        let key = match &action.action {
            NetAction::Create(name) if action.action.creates_interfaces() => {
                if guarded(jail, action.hook, &action.span) {
                    return None;
                }
                Key("", Cow::Borrowed(epair_base(name).unwrap_or(name)))
            }
            NetAction::Jib { name, .. } => Key("jib:", Cow::Borrowed(name.as_ref())),
            NetAction::Jng { name, .. } => Key("jng:", Cow::Borrowed(name.as_ref())),
            _ => return None,
        };
        Some((key, action))
    })
}

/// How a finding shows what `action` created.
fn describe(key: &Key<'_>, action: &HookAction) -> Created {
    let name = &key.1;
    let (shown, fix) = match &action.action {
        NetAction::Create(created) => match epair_base(created) {
            Some(base) => (
                format!("epair `{base}`"),
                format!("ifconfig {base}a destroy"),
            ),
            None => (
                format!("interface `{name}`"),
                format!("ifconfig {name} destroy"),
            ),
        },
        NetAction::Jib { .. } => (
            format!("the epair `e0a_{name}`/`e0b_{name}` of `jib addm {name}`"),
            format!("jib destroy {name}"),
        ),
        _ => (
            format!("the interface `ng0_{name}` of `jng bridge {name}`"),
            format!("jng shutdown {name}"),
        ),
    };
    Created {
        shown,
        hook: action.hook,
        span: action.span.clone(),
        fix,
    }
}

/// Whether the command at `span` in `hook` tolerates failure (`||`), as an
/// idempotent "create unless it exists" does.
fn guarded(jail: &JailRef<'_>, hook: &str, span: &Span) -> bool {
    jail.values(hook)
        .iter()
        .filter(|v| v.span.as_ref() == Some(span))
        .any(|v| v.text.windows(2).any(|w| w == b"||"))
}

/// What the jail's stop hooks destroy, keyed as in [`created`]. An
/// interface the hooks renamed (`ifconfig epair7a name e0a_web`, as jail
/// managers do) is destroyed under its new name.
fn destroyed_by<'n, 'a: 'n>(
    batch: &'n Batch<'_, 'a>,
    jail: &JailRef<'_>,
) -> impl Iterator<Item = Key<'n>> + use<'n, 'a> {
    let actions = batch.net(jail).actions;
    let destroyed = (actions.iter())
        .filter(|action| AT_STOP.contains(&action.hook))
        .filter_map(move |action| match &action.action {
            NetAction::Destroy(name) => {
                let name = name_before_renames(actions, name);
                Some(Key("", Cow::Borrowed(epair_base(name).unwrap_or(name))))
            }
            _ => None,
        });
    let helpers = (batch.hook_values(jail))
        .filter(|hook| AT_STOP.contains(&hook.hook))
        .flat_map(|hook| hook.commands.iter())
        .filter_map(|words| {
            let program = program_name(&words[0]);
            let prefix = match (program, words.get(1).map(AsRef::as_ref)) {
                ("jib", Some("destroy")) => "jib:",
                ("jng", Some("shutdown")) => "jng:",
                _ => return None,
            };
            let name = words.get(2)?;
            Some(Key(prefix, Cow::Borrowed(name.as_ref())))
        });
    destroyed.chain(helpers)
}

/// The name `name` had before the renames among `actions` (`ifconfig IF
/// name NEW`, followed back from the last).
fn name_before_renames<'n>(actions: &'n [HookAction<'_>], name: &'n str) -> &'n str {
    actions
        .iter()
        .rev()
        .fold(name, |name, action| match &action.action {
            NetAction::Rename { interface, to } if to == name => interface,
            _ => name,
        })
}
