//! JC050 `devfs-ruleset-zero`: `mount.devfs` with `devfs_ruleset = 0`,
//! or a devfs `mount` entry without a ruleset.

use jailconf_parser::diag::Severity;
use jailconf_parser::source::Span;

use crate::context::Context;
use crate::fstab::FstabLine;
use crate::rule::{place_check, Category, Check, JailCheck, Rule};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC050",
    name: "devfs-ruleset-zero",
    category: Category::Security,
    severity: Severity::Error,
    summary: "devfs is mounted in a jail with ruleset 0, which hides no device",
    docs: r#"## What it does
Reports jails with `mount.devfs` whose `devfs_ruleset` is 0, and `mount`
entries (fstab lines) that mount devfs without a `ruleset=` option or
with `ruleset=0`. Without `devfs_ruleset`, jail(8) mounts the jail's
`/dev` with ruleset 4 (`devfsrules_jail`), which is fine; a `mount` entry
gets no ruleset from jail(8) at all, whatever `devfs_ruleset` says
(`devfs_ruleset` applies to `mount.devfs` and to devfs mounted from inside
the jail). Files named by `mount.fstab` are not read.

## Why
Ruleset 0 means "no ruleset": the jail's `/dev` shows every device of the
host — the raw disks (`/dev/ada0`, `/dev/nvd0`), `/dev/zfs`, `/dev/pf`,
`/dev/bpf`. Root in the jail can open the host's disks directly and read
or change any file on them, which is a complete escape from the jail.
A devfs for a Linux userland inside the jail
(`devfs $path/compat/ubuntu/dev devfs rw 0 0`) is as open as the jail's
own `/dev` would be.

## Example
```
web {
    path = "/jails/web";
    mount.devfs;
    devfs_ruleset = 0;
    mount += "devfs $path/compat/ubuntu/dev devfs rw 0 0";
}
```

## Fix
Use the jail ruleset `devfs_ruleset = 4` (or remove the line to get it),
or a ruleset of your own from `/etc/devfs.rules` that starts with
`add include $devfsrules_jail` and unhides only what the jail needs (for
example `bpf` for DHCP). Give a devfs `mount` entry the ruleset in its
options: `devfs $path/compat/ubuntu/dev devfs rw,ruleset=4 0 0`."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Jails(check),
};

/// How a jail's devfs shows every device.
enum Exposure {
    /// `mount.devfs` with `devfs_ruleset = 0`; the `mount.devfs`
    /// statement.
    RulesetZero { mount: Option<Span> },
    /// A `mount` entry mounting devfs at `mount_point` with no ruleset;
    /// the jail's `devfs_ruleset` statement, which does not apply to it.
    MountEntry {
        mount_point: String,
        devfs_ruleset: Option<Span>,
    },
}

/// The mount point of an fstab line that mounts devfs without a ruleset:
/// no `ruleset=` option, or only `ruleset=0`.
fn unrestricted_devfs(line: &str) -> Option<String> {
    let line = FstabLine::parse(line).filter(|line| line.fs_type == "devfs")?;
    let restricted = line
        .split_options()
        .filter_map(|option| option.strip_prefix("ruleset="))
        .any(|number| number.trim().parse::<u64>() != Ok(0));
    (!restricted).then_some(line.mount_point)
}

fn check<'c, 'a>(_: &'c Context<'a>) -> Box<dyn JailCheck<'c, 'a> + 'c> {
    // Key: a devfs entry's mount point, or empty for `devfs_ruleset = 0`.
    place_check(
        move |found, jail| {
            for value in jail.values("mount") {
                let text = crate::context::lossy(&value.text);
                if let (Some(mount_point), Some(span)) = (unrestricted_devfs(&text), &value.span) {
                    let devfs_ruleset = (jail.param("devfs_ruleset")).and_then(|p| p.span.clone());
                    let exposure = Exposure::MountEntry {
                        mount_point: mount_point.clone(),
                        devfs_ruleset,
                    };
                    found.add(span.clone(), mount_point, jail, exposure);
                }
            }
            if jail.flag("mount.devfs") != Some(true) {
                return;
            }
            let Some((0, value)) = jail.int("devfs_ruleset") else {
                return;
            };
            let Some(span) = value
                .span
                .clone()
                .or_else(|| jail.param_span("devfs_ruleset"))
            else {
                return;
            };
            let mount = jail.param_any("mount.devfs").and_then(|p| p.span.clone());
            found.add(span, String::new(), jail, Exposure::RulesetZero { mount });
        },
        move |place, report| {
            let Some((_, exposure)) = place.items.first() else {
                return;
            };
            let jails = place.jails_text();
            let (message, label, help, secondary) = match exposure {
                Exposure::RulesetZero { mount } => (
                    format!("`mount.devfs` with `devfs_ruleset = 0` shows every host device to {jails}"),
                    "0 means no ruleset",
                    "use `devfs_ruleset = 4` (devfsrules_jail, also the default when unset) or a ruleset of your own from /etc/devfs.rules",
                    mount.clone().map(|span| (span, "devfs is mounted here")),
                ),
                Exposure::MountEntry {
                    mount_point,
                    devfs_ruleset,
                } => (
                    format!("devfs at `{mount_point}` has no ruleset: it shows every host device to {jails}"),
                    "devfs mounted with no ruleset",
                    "add the ruleset to the entry's options (`devfs … devfs rw,ruleset=4 0 0`); jail(8) applies `devfs_ruleset` only to `mount.devfs`",
                    devfs_ruleset.clone().map(|span| {
                        (span, "this does not apply to a devfs mounted by a `mount` entry")
                    }),
                ),
            };
            let mut finding = report
                .finding(message, place.span.clone())
                .with_label(label)
                .with_help(help);
            if let Some((span, text)) = secondary {
                finding = finding.with_secondary(span, text);
            }
            report.push(finding);
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devfs_entries_without_a_ruleset() {
        let unrestricted = unrestricted_devfs;
        assert_eq!(
            unrestricted("devfs $path/compat/ubuntu/dev devfs rw 0 0").as_deref(),
            Some("$path/compat/ubuntu/dev")
        );
        assert!(unrestricted("devfs /j/dev devfs").is_some());
        assert!(unrestricted("devfs /j/dev devfs rw,ruleset=0 0 0").is_some());
        assert!(unrestricted("devfs /j/dev devfs rw,ruleset=4 0 0").is_none());
        assert!(unrestricted("devfs /j/dev devfs ruleset=0,ruleset=5").is_none());
        assert!(unrestricted("tmpfs /j/tmp tmpfs rw 0 0").is_none());
        assert!(unrestricted("/dev /j/dev nullfs ro 0 0").is_none());
    }
}
