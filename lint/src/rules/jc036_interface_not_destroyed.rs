//! JC036 `interface-not-destroyed`: an interface created by a host hook
//! before the jail starts and never destroyed when it stops.

use std::collections::{BTreeMap, HashSet};

use jailconf_parser::diag::Severity;
use jailconf_parser::source::Span;

use crate::commands::{epair_base, hook_side, runs_opaque, NetAction, Side};
use crate::context::{Context, JailRef};
use crate::rule::{Category, Report, Rule};

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
    check,
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

fn check(context: &Context<'_>, report: &mut Report<'_>) {
    // The destroy may be in the part jail(8) could not read.
    if context.config.fatal {
        return;
    }
    // One finding per thing and place (wildcard sections apply to many jails).
    let mut found: BTreeMap<(u32, u32, String), (Created, Vec<String>)> = BTreeMap::new();
    // The jails already listed at each place and key.
    let mut listed: crate::hash::FastSet<((u32, u32), String, std::borrow::Cow<'_, str>)> =
        crate::hash::FastSet::default();
    for jail in context.jails() {
        if stops_with_script(context, jail) {
            continue;
        }
        let destroyed = destroyed(context, jail);
        for (key, created) in created(context, jail) {
            if destroyed.contains(&key) {
                continue;
            }
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
    }
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
}

/// Whether a hook run at stop calls a script that may destroy things.
fn stops_with_script(context: &Context<'_>, jail: &JailRef<'_>) -> bool {
    AT_STOP.iter().any(|hook| {
        hook_side(hook) == Some(Side::Host)
            && jail
                .values(hook)
                .iter()
                .any(|v| runs_opaque(context.commands(v).get()))
    })
}

/// What the jail's hooks create before it starts, keyed by what destroys
/// it (the epair pair, the interface, `jib:NAME`, `jng:NAME`).
fn created(context: &Context<'_>, jail: &JailRef<'_>) -> Vec<(String, Created)> {
    let mut out = Vec::new();
    for action in &context.net(jail).actions {
        if action.side != Side::Host || !BEFORE_START.contains(&action.hook) {
            continue;
        }
        let (key, shown, fix) = match &action.action {
            NetAction::Create(name) if !action.action.created_interfaces().is_empty() => {
                if guarded(jail, action.hook, &action.span) {
                    continue;
                }
                match epair_base(name) {
                    Some(base) => (
                        base.to_string(),
                        format!("epair `{base}`"),
                        format!("ifconfig {base}a destroy"),
                    ),
                    None => (
                        name.clone(),
                        format!("interface `{name}`"),
                        format!("ifconfig {name} destroy"),
                    ),
                }
            }
            NetAction::Jib { name, .. } => (
                format!("jib:{name}"),
                format!("the epair `e0a_{name}`/`e0b_{name}` of `jib addm {name}`"),
                format!("jib destroy {name}"),
            ),
            NetAction::Jng { name, .. } => (
                format!("jng:{name}"),
                format!("the interface `ng0_{name}` of `jng bridge {name}`"),
                format!("jng shutdown {name}"),
            ),
            _ => continue,
        };
        out.push((
            key,
            Created {
                shown,
                hook: action.hook,
                span: action.span.clone(),
                fix,
            },
        ));
    }
    out
}

/// Whether the command at `span` in `hook` tolerates failure (`||`), as an
/// idempotent "create unless it exists" does.
fn guarded(jail: &JailRef<'_>, hook: &str, span: &Span) -> bool {
    jail.values(hook)
        .iter()
        .filter(|v| v.span.as_ref() == Some(span))
        .any(|v| v.text.windows(2).any(|w| w == b"||"))
}

/// What the jail's stop hooks destroy, keyed as in [`created`].
fn destroyed(context: &Context<'_>, jail: &JailRef<'_>) -> HashSet<String> {
    let mut out = HashSet::new();
    for action in &context.net(jail).actions {
        if let NetAction::Destroy(name) = &action.action {
            if AT_STOP.contains(&action.hook) {
                out.insert(epair_base(name).unwrap_or(name).to_string());
            }
        }
    }
    for hook in AT_STOP {
        for value in jail.values(hook) {
            for words in context.commands(value).get().iter() {
                let program = words[0].rsplit('/').next().unwrap_or(&words[0]);
                match (program, words.get(1).map(AsRef::as_ref), words.get(2)) {
                    ("jib", Some("destroy"), Some(name)) => out.insert(format!("jib:{name}")),
                    ("jng", Some("shutdown"), Some(name)) => out.insert(format!("jng:{name}")),
                    _ => continue,
                };
            }
        }
    }
    out
}
