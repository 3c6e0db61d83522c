//! JC071 `jail-conf-d-file-name`: a file in a `jail.conf.d` folder that
//! rc.d/jail does not find: its name does not end in `.conf`, or it is not
//! named after the jail it defines.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use jailconf_parser::diag::Severity;
use jailconf_parser::source::FileId;

use crate::context::{Context, JailRef};
use crate::hash::FastMap;
use crate::rule::{Category, Check, Report, Rule};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC071",
    name: "jail-conf-d-file-name",
    category: Category::Operations,
    severity: Severity::Warning,
    summary: "a jail.conf.d file that rc.d/jail does not find by its name",
    docs: r#"## What it does
Checks the names of files in a `jail.conf.d` folder:

* a file linted on its own (not included by another file) whose name does
  not end in `.conf`;
* a file linted on its own, `NAME.conf`, that defines a jail not called
  `NAME`;
* a file in a `jail.conf.d` folder next to the files an `.include
  "…/jail.conf.d/*.conf"` reads, that defines jails but whose name does
  not end in `.conf`, so the pattern skips it (the folder is listed for
  this; backups such as `web.conf.bak` or `web.conf.disabled` are not
  reported).

A file that another file includes by its exact name, or by a pattern that
matches it, is read through that include whatever its name, and is not
reported.

## Why
rc.d/jail starts a jail listed in `jail_list` from
`/etc/jail.conf.d/NAME.conf` (when /etc/jail.conf does not include the
folder), so a jail in `web.conf` called `www`, or a file called `web`
without `.conf`, is not found there: rc.d/jail falls back to
/etc/jail.conf, and the jail does not start at boot. An
`.include "/etc/jail.conf.d/*.conf"` only reads names ending in `.conf`.

## Example
```
# /etc/jail.conf.d/web.conf
www {
    path = "/jails/www";
}
```

## Fix
Name each file after the one jail it defines, with `.conf`
(`/etc/jail.conf.d/www.conf`), or include the folder from /etc/jail.conf
(`.include "/etc/jail.conf.d/*.conf";`)."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Config(check),
};

const FOLDER: &str = "jail.conf.d";

fn check(context: &Context<'_>, report: &mut Report<'_>) {
    let mut by_file: FastMap<FileId, Vec<&JailRef<'_>>> = FastMap::default();
    for jail in context.jails() {
        if let Some(span) = jail.span() {
            by_file.entry(span.file).or_default().push(jail);
        }
    }
    for &root in &context.config.roots {
        let source = context.config.sources.get(root);
        if !in_folder(&source.path) {
            continue;
        }
        let Some(file_name) = source.path.file_name().map(|n| n.to_string_lossy()) else {
            continue;
        };
        let jails = by_file.get(&root).map_or(&[][..], Vec::as_slice);
        match file_name.strip_suffix(".conf") {
            None => {
                let Some((first, span)) = jails.first().and_then(|j| Some((j, j.span()?))) else {
                    continue;
                };
                let finding = report
                    .finding(
                        format!(
                            "`{file_name}` is in a `{FOLDER}` folder but its name does not end in `.conf`: rc.d/jail never reads it"
                        ),
                        span,
                    )
                    .with_label(format!("jail `{}` is defined here", first.name()))
                    .with_help(format!(
                        "rename it to `{}.conf`: for a jail in `jail_list` rc.d/jail reads `/etc/{FOLDER}/NAME.conf`, and `.include \"/etc/{FOLDER}/*.conf\"` matches only names ending in `.conf`",
                        first.name()
                    ));
                report.push(finding);
            }
            Some(stem) => {
                for jail in jails {
                    let name = jail.name();
                    if name == stem || name.contains('.') {
                        continue;
                    }
                    let Some(span) = jail.span() else {
                        continue;
                    };
                    let finding = report
                        .finding(
                            format!(
                                "jail `{name}` is defined in `{file_name}`, but rc.d/jail looks for it in `{FOLDER}/{name}.conf`"
                            ),
                            span,
                        )
                        .with_label("not found by its name at boot")
                        .with_help(format!(
                            "rename the file to `{name}.conf` (one jail per file), or include the folder from /etc/jail.conf (`.include \"/etc/{FOLDER}/*.conf\";`)"
                        ));
                    report.push(finding);
                }
            }
        }
    }
    check_include_globs(context, report);
}

/// Whether a file is directly in a `jail.conf.d` folder.
fn in_folder(path: &Path) -> bool {
    path.parent()
        .and_then(Path::file_name)
        .is_some_and(|n| n == FOLDER)
}

/// Files an `.include "…/jail.conf.d/*.conf"` skips although they define
/// jails.
fn check_include_globs(context: &Context<'_>, report: &mut Report<'_>) {
    let mut seen: BTreeSet<PathBuf> = BTreeSet::new();
    for include in context.config.includes.iter().filter(|i| i.is_glob) {
        let pattern = PathBuf::from(crate::context::lossy(&include.pattern).into_owned());
        let matches_conf_only = pattern
            .file_name()
            .is_some_and(|n| n.to_string_lossy().ends_with(".conf"));
        let Some(dir) = pattern
            .parent()
            .filter(|d| d.file_name().is_some_and(|n| n == FOLDER))
        else {
            continue;
        };
        if !matches_conf_only || !seen.insert(dir.to_path_buf()) {
            continue;
        }
        for skipped in skipped_jail_files(dir) {
            let finding = report
                .finding(
                    format!(
                        "`{FOLDER}/{skipped}` is never read: its name does not end in `.conf`"
                    ),
                    include.span.clone(),
                )
                .with_label("this pattern does not match it")
                .with_help(format!(
                    "rename it to `{skipped}.conf` (to disable a jail on purpose, a name such as `{skipped}.conf.disabled` says so)"
                ));
            report.push(finding);
        }
    }
}

/// Suffixes of names that are deliberately not read: backups, disabled
/// and sample files.
const SET_ASIDE: &[&str] = &[
    "~",
    ".bak",
    ".orig",
    ".old",
    ".disabled",
    ".disable",
    ".off",
    ".sample",
    ".dist",
    ".example",
    ".swp",
    ".save",
    ".rej",
    ".tmp",
    ".new",
    ".rpmnew",
    ".pkgsave",
];

/// The files of `dir` whose names do not end in `.conf` but that look like
/// jail definitions (they contain a block), sorted.
fn skipped_jail_files(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let set_aside = name.starts_with('.')
                || name.ends_with(".conf")
                || name.contains(".conf.")
                || SET_ASIDE.iter().any(|s| name.ends_with(s));
            (!set_aside && defines_block(&e.path())).then_some(name)
        })
        .collect();
    out.sort();
    out
}

/// Whether a file's start has a `{` (a jail block), read with a limit.
fn defines_block(path: &Path) -> bool {
    use std::io::Read;
    let mut head = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(64 * 1024).read_to_end(&mut head))
        .is_ok_and(|_| head.contains(&b'{'))
}

#[cfg(test)]
mod tests {
    use jailconf_parser::{Config, DiskLoader, MainFile, Target};

    use crate::{lint, HostFacts, LintOptions};

    fn run(mains: &[std::path::PathBuf]) -> Vec<String> {
        let mains = mains
            .iter()
            .map(|p| MainFile::from_path(p, std::fs::read(p).unwrap()))
            .collect();
        let config = Config::load_many(mains, &DiskLoader, Target::default());
        let options = LintOptions {
            select: Some(vec!["JC071".into()]),
            ..LintOptions::default()
        };
        lint(&config, &HostFacts::default(), &options)
            .into_iter()
            .map(|d| d.message)
            .collect()
    }

    #[test]
    fn include_pattern_skips_files_without_conf() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("jail.conf.d");
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(folder.join("web.conf"), "web { persist; }\n").unwrap();
        std::fs::write(folder.join("db"), "db { persist; }\n").unwrap();
        std::fs::write(folder.join("old.conf.bak"), "old { persist; }\n").unwrap();
        std::fs::write(folder.join("README"), "notes\n").unwrap();
        let main = dir.path().join("jail.conf");
        std::fs::write(&main, ".include \"jail.conf.d/*.conf\";\n").unwrap();
        assert_eq!(
            run(std::slice::from_ref(&main)),
            ["`jail.conf.d/db` is never read: its name does not end in `.conf`"]
        );
        // An exact include reads it, and a pattern matching everything too.
        std::fs::write(&main, ".include \"jail.conf.d/*\";\n").unwrap();
        assert!(run(&[main]).is_empty());
    }

    #[test]
    fn root_files_in_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("jail.conf.d");
        std::fs::create_dir(&folder).unwrap();
        let plain = folder.join("web");
        std::fs::write(&plain, "web { persist; }\n").unwrap();
        let named = folder.join("www.conf");
        std::fs::write(&named, "www { persist; }\nwww2 { persist; }\n").unwrap();
        assert_eq!(
            run(&[plain, named.clone()]),
            [
                "`web` is in a `jail.conf.d` folder but its name does not end in `.conf`: rc.d/jail never reads it",
                "jail `www2` is defined in `www.conf`, but rc.d/jail looks for it in `jail.conf.d/www2.conf`",
            ]
        );
        // Included from jail.conf, the names do not matter.
        let main = dir.path().join("jail.conf");
        std::fs::write(&main, ".include \"jail.conf.d/www.conf\";\n").unwrap();
        assert!(run(&[main, named]).is_empty());
    }
}
