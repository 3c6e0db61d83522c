//! JC056 `host-hook-runs-jail-file`: a host-side hook executes a file that
//! lives inside the jail.

use jailconf_parser::diag::Severity;

use std::borrow::Cow;

use crate::commands::{program_name, split_commands, Commands, Side};
use crate::context::{Context, HookValue};
use crate::rule::{batch_place_check, Category, Check, JailCheck, Rule};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC056",
    name: "host-hook-runs-jail-file",
    category: Category::Security,
    severity: Severity::Error,
    summary: "a hook run on the host executes a file inside the jail",
    docs: r#"## What it does
Looks at the commands of the hooks jail(8) runs on the host
(`exec.prepare`, `exec.prestart`, `exec.created`, `exec.poststart`,
`exec.prestop`, `exec.poststop`, `exec.release`) and reports those that
execute a file under the jail's `path`: the program itself
(`/jails/web/usr/local/bin/setup`), a script given to a shell
(`sh ${path}/setup.sh`), a file sourced with `.`, or a program run with
`chroot ${path}`.

## Why
Host hooks run as root on the host. Everything under the jail's `path` is
writable by root in the jail, so whoever controls the jail can replace
the file and have their code run as root on the host at the next start
or stop — an escape from the jail.

## Example
```
web {
    path = "/jails/web";
    exec.prestart = "sh ${path}/usr/local/etc/prestart.sh";
}
```

## Fix
Keep host-side scripts on the host, outside every jail's path (for
example in `/usr/local/libexec/jails/`). Work that belongs inside the
jail goes into `exec.start` (or `jexec`), which runs in the jail."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Jails(check),
};

/// Shells whose first operand is a script (or with `-c`, a command).
const SHELLS: &[&str] = &["sh", "bash", "csh", "tcsh", "zsh", "ksh", "mksh", "dash"];
/// Commands that run their arguments as a command.
const WRAPPERS: &[&str] = &["env", "exec", "nohup", "command"];
/// How deep `sh -c '…'` is followed.
const MAX_DEPTH: u8 = 3;

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

/// The files a command string executes: each simple command's program,
/// the script given to a shell, a file sourced with `.` or `source`, and
/// the program `chroot` runs (under its new root).
fn executed_files(command: &str, depth: u8, out: &mut Vec<String>) {
    let mut found = Vec::new();
    executed_files_of(split_commands(command).all(), depth, &mut found);
    out.extend(found.into_iter().map(Cow::into_owned));
}

/// [`executed_files`] for a command string already split (the names
/// borrow its words where they can).
fn executed_files_of<'t>(commands: Commands<'_, 't>, depth: u8, out: &mut Vec<Cow<'t, str>>) {
    for words in commands.iter() {
        let mut rest = words;
        while let Some(word) = rest.first() {
            if is_assignment(word) {
                rest = &rest[1..];
            } else if WRAPPERS.contains(&program_name(word)) {
                rest = &rest[1..];
                while rest.first().is_some_and(|w| w.starts_with('-')) {
                    rest = &rest[1..];
                }
            } else {
                break;
            }
        }
        let Some((program, args)) = rest.split_first() else {
            continue;
        };
        out.push(program.clone());
        match program_name(program) {
            "." | "source" => out.extend(args.first().cloned()),
            "chroot" => chroot_program(args, out),
            name if SHELLS.contains(&name) => shell_operand(args, depth, out),
            _ => {}
        }
    }
}

/// `sh [-options] [-o name] script` or `sh -c command`.
fn shell_operand<'t>(args: &[Cow<'t, str>], depth: u8, out: &mut Vec<Cow<'t, str>>) {
    let mut command_mode = false;
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        if arg.as_ref() == "--" {
            i += 1;
            break;
        }
        if !(arg.starts_with('-') || arg.starts_with('+')) || arg.len() < 2 {
            break;
        }
        command_mode |= arg[1..].contains('c');
        // `-o name` takes the next word.
        i += 1 + arg[1..].matches('o').count();
    }
    match args.get(i) {
        Some(command) if command_mode && depth < MAX_DEPTH => {
            let mut nested = Vec::new();
            executed_files(command, depth + 1, &mut nested);
            out.extend(nested.into_iter().map(Cow::Owned));
        }
        Some(_) if command_mode => {}
        Some(script) => out.push(script.clone()),
        None => {}
    }
}

/// `chroot [-g group] [-G list] [-u user] [-n] newroot [command]`: the
/// program runs from under `newroot` (`/bin/sh` by default).
fn chroot_program<'t>(args: &[Cow<'_, str>], out: &mut Vec<Cow<'t, str>>) {
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        match arg.as_ref() {
            "-g" | "-G" | "-u" => i += 2,
            "-n" => i += 1,
            _ => break,
        }
    }
    let Some(root) = args.get(i) else {
        return;
    };
    let program = args.get(i + 1).map_or("/bin/sh", AsRef::as_ref);
    if program.starts_with('/') {
        out.push(Cow::Owned(format!(
            "{}{program}",
            root.trim_end_matches('/')
        )));
    }
}

/// Collapses repeated `/` and removes a trailing one (borrowing `path`
/// when it has neither).
fn normalize(path: &str) -> Cow<'_, str> {
    if !path.contains("//") && (path.len() <= 1 || !path.ends_with('/')) {
        return Cow::Borrowed(path);
    }
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    while out.len() > 1 && out.ends_with('/') {
        out.pop();
    }
    Cow::Owned(out)
}

fn check<'c, 'a>(_: &'c Context<'a>) -> Box<dyn JailCheck<'c, 'a> + 'c> {
    // Key: the hook and the file relative to the jail's path; data: the
    // hook and the file.
    // The files a hook value executes (one list, emptied for each value).
    let mut files = Vec::new();
    batch_place_check(
        move |found, jail, batch| {
            let Some(path) = jail.last_value("path") else {
                return;
            };
            let path = crate::context::lossy(&path.text);
            let root = normalize(&path);
            // A jail rooted at `/` (or nowhere) shares the host's files anyway.
            if !root.starts_with('/') || root == "/" {
                return;
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
                executed_files_of(commands, 0, &mut files);
                for file in files.drain(..) {
                    // Only an absolute path can be under the root.
                    if !file.starts_with('/') {
                        continue;
                    }
                    let file = normalize(&file);
                    let Some(inside) = file
                        .strip_prefix(&*root)
                        .filter(|rest| rest.starts_with('/'))
                    else {
                        continue;
                    };
                    let key = format!("{hook} {inside}");
                    found.add(
                        span.clone(),
                        key,
                        jail,
                        (hook.to_string(), file.to_string(), inside.to_string()),
                    );
                }
            }
        },
        move |place, report| {
            let Some((_, (hook, file, inside))) = place.items.first() else {
                return;
            };
            let (shown, each) = if place.items.len() == 1 {
                (file.clone(), "")
            } else {
                (format!("${{path}}{inside}"), "each of ")
            };
            let finding = report
                .finding(
                    format!(
                        "host hook `{hook}` runs `{shown}`, a file inside {each}{}",
                        place.jails_text()
                    ),
                    place.span.clone(),
                )
                .with_label("runs as root on the host")
                .with_help("root in the jail can replace that file: keep host scripts outside the jail's path, or run the work inside the jail from `exec.start`");
            report.push(finding);
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(command: &str) -> Vec<String> {
        let mut out = Vec::new();
        executed_files(command, 0, &mut out);
        out
    }

    #[test]
    fn finds_programs_scripts_and_sourced_files() {
        assert_eq!(files("/j/web/bin/setup -x"), ["/j/web/bin/setup"]);
        assert_eq!(files("sh /j/web/s.sh arg"), ["sh", "/j/web/s.sh"]);
        assert_eq!(files("/bin/sh -e -o errexit /j/s"), ["/bin/sh", "/j/s"]);
        assert_eq!(
            files("/bin/sh -c '/j/web/a; . /j/web/b'"),
            ["/bin/sh", "/j/web/a", ".", "/j/web/b"]
        );
        assert_eq!(files("FOO=1 env -i /j/x"), ["/j/x"]);
        assert_eq!(files("chroot -u www /j/web"), ["chroot", "/j/web/bin/sh"]);
        assert_eq!(files("cp /etc/resolv.conf /j/web/etc"), ["cp"]);
    }

    #[test]
    fn normalizes_paths() {
        assert_eq!(normalize("/jails//web/"), "/jails/web");
        assert_eq!(normalize("/"), "/");
    }
}
