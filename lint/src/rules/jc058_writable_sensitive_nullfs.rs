//! JC058 `writable-sensitive-nullfs`: a host system directory mounted
//! read-write into a jail.

use jailconf_parser::diag::Severity;

use crate::commands::{program_name, Commands, Side};
use crate::context::{Context, HookValue};
use crate::fstab::FstabLine;
use crate::rule::{batch_place_check, Category, Check, JailCheck, Rule};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC058",
    name: "writable-sensitive-nullfs",
    category: Category::Security,
    severity: Severity::Error,
    summary: "a host system directory is mounted read-write into a jail",
    docs: r#"## What it does
Reads the fstab lines of `mount` (`DEVICE MOUNTPOINT nullfs OPTIONS`) and
the `mount -t nullfs` / `mount_nullfs` commands of host hooks, and
reports read-write nullfs mounts (options without `ro`) of the host's
system directories into the jail: `/`, `/etc`, `/root`, `/usr/local/etc`,
`/boot`, `/var/db/pkg`, the program and library directories (`/bin`,
`/sbin`, `/lib`, `/libexec`, `/usr/bin`, `/usr/sbin`, `/usr/lib`,
`/usr/libexec`, `/usr/local/bin`, `/usr/local/sbin`, `/usr/local/lib`,
`/usr/local/libexec`), anything inside them, and any directory that
contains one of them (`/usr`, `/var`). Files named by `mount.fstab` are
not read.

## Why
Root in the jail can write through the mount to the host: add an SSH key
to `/root/.ssh`, change `/etc/rc.conf` or `/boot/loader.conf`, replace a
program the host runs as root, or plant a package script in the host's
package database. Any of these gives the jail root on the host.

## Example
```
web {
    path = "/jails/web";
    mount += "/usr/local/etc $path/usr/local/etc nullfs rw 0 0";
}
```

## Fix
Mount it read-only (`nullfs ro 0 0`), or mount only the directory the
jail needs (a subdirectory of its own, not the host's configuration)."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Jails(check),
};

/// Host directories that must not be writable from a jail.
const SENSITIVE: &[&str] = &[
    "/etc",
    "/root",
    "/boot",
    "/bin",
    "/sbin",
    "/lib",
    "/libexec",
    "/usr/bin",
    "/usr/sbin",
    "/usr/lib",
    "/usr/libexec",
    "/usr/local/etc",
    "/usr/local/bin",
    "/usr/local/sbin",
    "/usr/local/lib",
    "/usr/local/libexec",
    "/var/db/pkg",
];

/// Collapses repeated `/` and removes a trailing one.
fn normalize(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    while out.len() > 1 && out.ends_with('/') {
        out.pop();
    }
    out
}

/// `a` is `b` or below it.
fn within(a: &str, b: &str) -> bool {
    a == b || b == "/" || a.strip_prefix(b).is_some_and(|rest| rest.starts_with('/'))
}

/// Whether a host directory is, holds or lies in a sensitive one.
fn is_sensitive(dir: &str) -> bool {
    SENSITIVE.iter().any(|s| within(dir, s) || within(s, dir))
}

/// Whether mount options make the mount writable: the last of
/// `ro`/`rdonly`/`rw` wins; `None` when they say nothing.
fn options_writable(options: &str) -> Option<bool> {
    options.rsplit(',').find_map(|o| match o.trim() {
        "ro" | "rdonly" => Some(false),
        "rw" => Some(true),
        _ => None,
    })
}

/// A nullfs mount: host directory and mount point.
struct NullMount {
    source: String,
    target: String,
}

/// A read-write nullfs mount from an fstab line.
fn fstab_mount(line: &str) -> Option<NullMount> {
    let line = FstabLine::parse(line).filter(|line| line.fs_type == "nullfs")?;
    (options_writable(line.options) != Some(false)).then_some(NullMount {
        source: line.device,
        target: line.mount_point,
    })
}

/// [`command_mounts_of`] for a command string.
#[cfg(test)]
fn command_mounts(command: &str) -> Vec<NullMount> {
    command_mounts_of(crate::commands::split_commands(command).all())
}

/// Read-write nullfs mounts in host commands already split:
/// `mount [-rw…] -t nullfs [-o opts] SOURCE TARGET` or `mount_nullfs`.
fn command_mounts_of(commands: Commands<'_, '_>) -> Vec<NullMount> {
    let mut out = Vec::new();
    for words in commands.iter() {
        let program = program_name(&words[0]);
        let mut nullfs = program == "mount_nullfs";
        if !nullfs && program != "mount" {
            continue;
        }
        let mut write = true;
        let mut operands = Vec::new();
        let mut i = 1;
        while let Some(arg) = words.get(i) {
            i += 1;
            let Some(flags) = arg.strip_prefix('-').filter(|f| !f.is_empty()) else {
                operands.push(arg.to_string());
                continue;
            };
            // getopt: a run of flags; `-o`, `-t` and `-F` take the rest of
            // the word or the next one.
            for (at, flag) in flags.char_indices() {
                match flag {
                    'r' => write = false,
                    'w' => write = true,
                    'o' | 't' | 'F' => {
                        let inline = &flags[at + 1..];
                        let value = if inline.is_empty() {
                            i += 1;
                            words.get(i - 1).map_or("", AsRef::as_ref)
                        } else {
                            inline
                        };
                        match flag {
                            'o' => write = options_writable(value).unwrap_or(write),
                            't' => nullfs = value == "nullfs",
                            _ => {}
                        }
                        break;
                    }
                    _ => {}
                }
            }
        }
        if let (true, true, [source, target]) = (nullfs, write, operands.as_slice()) {
            out.push(NullMount {
                source: source.clone(),
                target: target.clone(),
            });
        }
    }
    out
}

fn check<'c, 'a>(_: &'c Context<'a>) -> Box<dyn JailCheck<'c, 'a> + 'c> {
    // Key: the host directory; data: where it is mounted and by what.
    batch_place_check(
        move |found, jail, batch| {
            // Only needed for a sensitive mount (rare).
            let root = std::cell::OnceCell::new();
            let root = || {
                root.get_or_init(|| {
                    jail.last_value("path")
                        .map(|p| normalize(&crate::context::lossy(&p.text)))
                })
            };
            let mut consider = |mount: NullMount, span, hook: Option<String>| {
                let source = normalize(&mount.source);
                let target = normalize(&mount.target);
                // Only host directories, and only mounts into this jail.
                if !source.starts_with('/') || !is_sensitive(&source) {
                    return;
                }
                if root()
                    .as_ref()
                    .is_some_and(|r| r != "/" && !within(&target, r))
                {
                    return;
                }
                found.add(span, source.clone(), jail, (source, hook));
            };
            for value in jail.values("mount") {
                if let (Some(mount), Some(span)) = (
                    fstab_mount(&crate::context::lossy(&value.text)),
                    value.span.clone(),
                ) {
                    consider(mount, span, None);
                }
            }
            for HookValue {
                hook,
                side,
                value,
                commands,
            } in batch.hook_values(jail)
            {
                if side != Side::Host {
                    continue;
                }
                let Some(span) = value.span.clone() else {
                    continue;
                };
                for mount in command_mounts_of(commands) {
                    consider(mount, span.clone(), Some(hook.to_string()));
                }
            }
        },
        move |place, report| {
            let Some((_, (source, hook))) = place.items.first() else {
                return;
            };
            let message = match hook {
                Some(hook) => format!(
                    "`{hook}` mounts the host's `{source}` read-write into {}",
                    place.jails_text()
                ),
                None => format!(
                    "the host's `{source}` is mounted read-write into {}",
                    place.jails_text()
                ),
            };
            let (label, help) = match hook {
                Some(_) => (
                    "nullfs mount without `-o ro`",
                    "add `-o ro` (`mount -t nullfs -o ro …`), or mount only a directory the jail may change",
                ),
                None => (
                    "nullfs without `ro`",
                    "mount it read-only (`nullfs ro 0 0`), or mount only a directory the jail may change",
                ),
            };
            let finding = report
                .finding(message, place.span.clone())
                .with_label(label)
                .with_help(help);
            report.push(finding);
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fstab_lines() {
        assert!(fstab_mount("/etc /j/etc nullfs rw 0 0").is_some());
        assert!(fstab_mount("/etc /j/etc nullfs").is_some());
        assert!(fstab_mount("/etc /j/etc nullfs ro 0 0").is_none());
        assert!(fstab_mount("/etc /j/etc nullfs rw,ro 0 0").is_none());
        assert!(fstab_mount("/etc /j/etc tmpfs rw 0 0").is_none());
        assert_eq!(
            fstab_mount("/My\\040Dir /j nullfs rw").unwrap().source,
            "/My Dir"
        );
    }

    #[test]
    fn reads_mount_commands() {
        assert_eq!(command_mounts("mount -t nullfs /etc /j/etc").len(), 1);
        assert_eq!(
            command_mounts("/sbin/mount -t nullfs -o ro /etc /j/etc").len(),
            0
        );
        assert_eq!(command_mounts("mount -r -t nullfs /etc /j/etc").len(), 0);
        assert_eq!(command_mounts("mount -rt nullfs /etc /j/etc").len(), 0);
        assert_eq!(command_mounts("mount_nullfs /etc /j/etc").len(), 1);
        assert_eq!(command_mounts("mount -t devfs devfs /j/dev").len(), 0);
    }

    #[test]
    fn sensitive_directories() {
        assert!(is_sensitive("/"));
        assert!(is_sensitive("/usr"));
        assert!(is_sensitive("/etc/ssh"));
        assert!(is_sensitive("/usr/local/etc"));
        assert!(!is_sensitive("/usr/home"));
        assert!(!is_sensitive("/tmp"));
        assert!(!is_sensitive("/etcetera"));
        assert!(!is_sensitive("/usr/local/www"));
    }
}
