//! JC050 `devfs-ruleset-zero`: `mount.devfs` with `devfs_ruleset = 0`,
//! a devfs `mount` entry without a ruleset, or a jail that may mount devfs
//! itself under ruleset 0.

use jailconf_parser::diag::Severity;
use jailconf_parser::source::Span;

use crate::context::{Context, JailRef};
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
Reports jails with `mount.devfs` whose `devfs_ruleset` is 0, `mount`
entries (fstab lines) that mount devfs without a `ruleset=` option or
with `ruleset=0`, and jails allowed to mount devfs themselves
(`allow.mount`, `allow.mount.devfs` and `enforce_statfs` below 2) whose
`devfs_ruleset` is 0 or, for a top-level jail, not set.

Without `devfs_ruleset`, jail(8) mounts the jail's `/dev` with ruleset 4
(`devfsrules_jail`), which is fine; a `mount` entry gets no ruleset from
jail(8) at all, whatever `devfs_ruleset` says. The kernel applies the
jail's `devfs_ruleset` to every devfs mounted from inside the jail; that
parameter starts as the parent jail's, which is 0 for a top-level jail,
and the 4 that jail(8) uses for `mount.devfs` does not set it. Files named
by `mount.fstab` are not read.

## Why
Ruleset 0 means "no ruleset": the jail's `/dev` shows every device of the
host — the raw disks (`/dev/ada0`, `/dev/nvd0`), `/dev/zfs`, `/dev/pf`,
`/dev/bpf`. Root in the jail can open the host's disks directly and read
or change any file on them, which is a complete escape from the jail.
A devfs for a Linux userland inside the jail
(`devfs $path/compat/ubuntu/dev devfs rw 0 0`) is as open as the jail's
own `/dev` would be, and so is any devfs that root in a jail allowed to
mount devfs mounts under ruleset 0 (`mount -t devfs devfs /mnt`).

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
options: `devfs $path/compat/ubuntu/dev devfs rw,ruleset=4 0 0`. A jail
that mounts devfs itself needs `devfs_ruleset` set explicitly."#,
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
    /// The jail may mount devfs itself and its `devfs_ruleset` is 0 (the
    /// statement) or not set (`None`).
    JailMounts { devfs_ruleset: Option<Span> },
}

/// For a jail allowed to mount devfs itself (`allow.mount`,
/// `allow.mount.devfs`, `enforce_statfs` below 2), the ruleset the kernel
/// gives those mounts when it is 0: `Some` with the `devfs_ruleset`
/// statement that sets 0, or with `None` when a top-level jail leaves it
/// unset. A nested jail without its own starts from its parent's.
fn jail_mounts_under_ruleset_zero(jail: &JailRef<'_>) -> Option<Option<Span>> {
    let may_mount = jail.flag("allow.mount") == Some(true)
        && jail.flag("allow.mount.devfs") == Some(true)
        && jail
            .int("enforce_statfs")
            .is_some_and(|(level, _)| level < 2);
    if !may_mount {
        return None;
    }
    match jail.int("devfs_ruleset") {
        Some((0, value)) => Some(
            value
                .span
                .clone()
                .or_else(|| jail.param_span("devfs_ruleset")),
        ),
        None if jail.last_value("devfs_ruleset").is_none() && !jail.name().contains('.') => {
            Some(None)
        }
        _ => None,
    }
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
            if let Some(devfs_ruleset) = jail_mounts_under_ruleset_zero(jail) {
                let allow = jail
                    .param_any("allow.mount.devfs")
                    .and_then(|p| p.span.clone());
                if let Some(span) = allow {
                    let exposure = Exposure::JailMounts { devfs_ruleset };
                    found.add(span, "allow.mount.devfs", jail, exposure);
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
                Exposure::JailMounts { devfs_ruleset } => (
                    format!(
                        "{jails} may mount devfs under ruleset 0, which shows every host device: {}",
                        match devfs_ruleset {
                            Some(_) => "`devfs_ruleset` is 0",
                            None => "`devfs_ruleset` is not set",
                        }
                    ),
                    "allows mounting devfs from inside the jail",
                    "set `devfs_ruleset` (4, devfsrules_jail, or a ruleset of your own from /etc/devfs.rules): the kernel applies it to every devfs the jail mounts",
                    devfs_ruleset.clone().map(|span| (span, "0 means no ruleset")),
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
