//! jail(8) in configuration mode: `jail [-qvi] [-f FILE] -c|-m [NAME]`,
//! `-r NAME…`, `-R NAME…` and the combinations `-rc`, `-cm`, `-mr`,
//! `-cmr`. The configuration is read with jailconf-parser (the same
//! effective parameters jail(8) computes); the create and remove
//! sequences follow usr.sbin/jail/jail.c and command.c (spec §8, §9).
//!
//! Messages checked against FreeBSD's sources: `"NAME" not found` and
//! `"NAME" already exists` (jail.c `jail_quoted_warnx`, state.c
//! `start_state`); `NAME: path P: STRERROR` (jail.c `create_jail`);
//! `NAME: P cannot be changed after creation` (jail.c `rdtun_params`);
//! `NAME: COMLINE: failed` / `exited on signal N` (command.c
//! `finish_command`, COMLINE being the argument vector joined by spaces,
//! e.g. `/bin/sh -c …` for shell strings); `NAME: created`, `updated`,
//! `removed` on stdout.

use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

use jailconf_parser::model::{is_wildcard_name, wildcard_matches};
use jailconf_parser::{Config, DiskLoader, Jail, MainFile, Target};

use crate::error::SimError;
use crate::hooks::{self, Place, Runner};
use crate::ifconfig::{make_iface, return_iface};
use crate::kparams::{self, CREATE_ONLY, READ_ONLY};
use crate::out;
use crate::paths;
use crate::state::{IfKind, KValue, MountRec, State, StateDir, DELAY_ENV};

/// Parsed command line.
#[derive(Debug, Default)]
struct Options {
    create: bool,
    modify: bool,
    remove: bool,
    kernel_only: bool,
    quiet: bool,
    verbose: bool,
    print_jid: bool,
    conf: Option<String>,
    names: Vec<String>,
}

const USAGE: &str = "usage: jail [-dhilqv] [-J jid_file] [-u username] [-U username]\n            \
-[cmr] param=value ... [command=command ...]\n       \
jail [-dqv] [-f file] -[cmr] [jail]\n       \
jail [-qv] [-f file] -[rR] ['*' | jail ...]\n       \
jail [-dhilqv] [-J jid_file] [-u username] [-U username]\n            \
[-n jailname] [-s securelevel]\n            \
path hostname [ip[,...]] command ...";

fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut options = Options::default();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        if arg == "--" {
            i += 1;
            break;
        }
        if !arg.starts_with('-') || arg.len() == 1 {
            break;
        }
        let chars: Vec<char> = arg[1..].chars().collect();
        let mut k = 0;
        while k < chars.len() {
            let flag = chars[k];
            let takes_value = matches!(flag, 'f' | 'J' | 'n' | 'p' | 's' | 'u' | 'U');
            let value = if takes_value {
                let rest: String = chars[k + 1..].iter().collect();
                k = chars.len();
                if rest.is_empty() {
                    i += 1;
                    Some(args.get(i).cloned().ok_or_else(|| {
                        format!("jail: option requires an argument -- {flag}\n{USAGE}")
                    })?)
                } else {
                    Some(rest)
                }
            } else {
                k += 1;
                None
            };
            match flag {
                'c' => options.create = true,
                'm' => options.modify = true,
                'r' => options.remove = true,
                'R' => {
                    options.remove = true;
                    options.kernel_only = true;
                }
                'q' => options.quiet = true,
                'v' => options.verbose = true,
                'i' => {
                    options.print_jid = true;
                    options.quiet = true;
                }
                'f' => options.conf = value,
                'd' | 'J' | 'p' => {}
                'h' | 'l' | 'n' | 's' | 'u' | 'U' => {
                    return Err(format!(
                        "jail: -{flag}: command-line jail parameters are not simulated (use -f)"
                    ))
                }
                other => return Err(format!("jail: illegal option -- {other}\n{USAGE}")),
            }
        }
        i += 1;
    }
    options.names = args[i..].to_vec();
    if !(options.create || options.modify || options.remove) {
        return Err(USAGE.to_string());
    }
    if options.names.iter().any(|n| n.contains('=')) {
        return Err("jail: command-line jail parameters are not simulated (use -f)".to_string());
    }
    if options.remove && !options.create && !options.modify && options.names.is_empty() {
        return Err(USAGE.to_string());
    }
    if (options.create || options.modify) && options.names.len() > 1 {
        // jail(8) would switch to command-line parameters (spec §15 note 1).
        return Err(format!("jail: unknown parameter: {}", options.names[0]));
    }
    Ok(options)
}

/// `jail ARGS…`.
pub fn main(args: &[String]) -> Result<i32, SimError> {
    let dir = StateDir::from_env()?;
    dir.require()?;
    let mut argv = vec!["jail".to_string()];
    argv.extend(args.iter().cloned());
    dir.log(&argv)?;
    let options = match parse_options(args) {
        Ok(options) => options,
        Err(message) => {
            out::err(&message);
            return Ok(1);
        }
    };
    let mut session = Session {
        dir: &dir,
        options,
        failed: false,
        created_this_run: Vec::new(),
    };
    session.run()
}

struct Session<'a> {
    dir: &'a StateDir,
    options: Options,
    failed: bool,
    created_this_run: Vec<String>,
}

/// A step of the create sequence that the walk-back undoes.
enum Done {
    Alias(Vec<String>),
    Mount(Vec<String>),
    Devfs(String),
    Jail(u32),
    Vnet(String, u32),
}

fn values(jail: &Jail, name: &str) -> Vec<String> {
    jail.param(name)
        .map(|p| {
            p.values
                .iter()
                .map(|v| String::from_utf8_lossy(&v.text).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn last(jail: &Jail, name: &str) -> Option<String> {
    values(jail, name).pop()
}

/// jail(8)'s `bool_param`: present without value or with a true value;
/// the `no` spelling means false.
fn flag(jail: &Jail, name: &str) -> bool {
    let negative = match name.rsplit_once('.') {
        Some((prefix, last)) => format!("{prefix}.no{last}"),
        None => format!("no{name}"),
    };
    for param in jail.params.iter().rev() {
        let pname = param.name_str();
        if pname == name || pname == negative {
            let value = param
                .values
                .last()
                .map(|v| String::from_utf8_lossy(&v.text).to_ascii_lowercase());
            let truth = match value.as_deref() {
                None | Some("") | Some("true") => true,
                Some("false") => false,
                Some(other) => other.parse::<i64>().map(|n| n != 0).unwrap_or(true),
            };
            return truth != (pname == negative);
        }
    }
    false
}

fn delay() {
    if let Some(ms) = std::env::var(DELAY_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        if ms > 0 {
            std::thread::sleep(Duration::from_millis(ms));
        }
    }
}

fn sbin(tool: &str, args: &[&str]) -> Vec<String> {
    std::iter::once(format!("/sbin/{tool}"))
        .chain(args.iter().map(|a| a.to_string()))
        .collect()
}

/// One fstab(5) line: device, mount point, type, options.
fn fstab_fields(line: &str) -> Vec<String> {
    line.split([' ', '\t', '\n', '\r', '\x0b', '\x0c'])
        .filter(|w| !w.is_empty())
        .take(4)
        .map(String::from)
        .collect()
}

/// The interface-alias commands (argument vectors, without the trailing
/// `alias`/`-alias`) of a jail, IPv4 first, in list order; with the extra
/// options for adding.
fn alias_commands(jail: &Jail) -> Vec<(Vec<String>, Vec<String>)> {
    let interface = last(jail, "interface");
    let mut commands = Vec::new();
    for (param, family) in [("ip4.addr", "inet"), ("ip6.addr", "inet6")] {
        for value in values(jail, param) {
            for item in value.split(',') {
                let item = item.trim();
                if item.is_empty() {
                    continue;
                }
                let (iface, rest) = match item.split_once('|') {
                    Some((iface, rest)) => (Some(iface.to_string()), rest),
                    None => (interface.clone(), item),
                };
                let Some(iface) = iface else { continue };
                let mut words = rest.split([' ', '\t']).filter(|w| !w.is_empty());
                let addr = words.next().unwrap_or_default().to_string();
                let extra: Vec<String> = words.map(String::from).collect();
                let mut argv = vec!["/sbin/ifconfig".to_string(), iface, family.to_string()];
                match addr.split_once('/') {
                    None if family == "inet" => {
                        argv.extend([addr, "netmask".into(), "255.255.255.255".into()])
                    }
                    None => argv.extend([addr, "prefixlen".into(), "128".into()]),
                    Some((a, mask)) if family == "inet" && mask.contains('.') => {
                        argv.extend([a.to_string(), "netmask".into(), mask.to_string()])
                    }
                    Some(_) => argv.push(addr),
                }
                commands.push((argv, extra));
            }
        }
    }
    commands
}

impl<'a> Session<'a> {
    fn note(&self, name: &str, what: &str) {
        if !self.options.quiet {
            out::out(&format!("{name}: {what}"));
        }
    }

    fn warn(&mut self, name: &str, message: &str) {
        out::err(&format!("jail: {name}: {message}"));
    }

    fn fail(&mut self, name: &str, message: &str) {
        self.warn(name, message);
        self.failed = true;
    }

    fn quoted_fail(&mut self, name: &str, what: &str) {
        out::err(&format!("jail: \"{name}\" {what}"));
        self.failed = true;
    }

    fn status(&self) -> i32 {
        i32::from(self.failed)
    }

    fn load_config(&mut self) -> Result<Option<Config>, i32> {
        let name = self
            .options
            .conf
            .clone()
            .unwrap_or_else(|| "/etc/jail.conf".to_string());
        let (main, display) = if name == "-" {
            let mut text = Vec::new();
            let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut text);
            (MainFile::stdin(text), name.clone())
        } else {
            // Without -f the simulated host's /etc/jail.conf is used.
            let real = if self.options.conf.is_some() {
                std::path::PathBuf::from(&name)
            } else {
                self.dir.map(&name)
            };
            match std::fs::read(&real) {
                Ok(text) => {
                    let mut main = MainFile::from_path(&real, text);
                    main.name = name.clone();
                    (main, name.clone())
                }
                Err(e) => {
                    if self.options.remove && !self.options.create {
                        // -r without a readable config: running jails only.
                        return Ok(None);
                    }
                    out::err(&format!(
                        "jail: {display}: {}",
                        out::strerror(&e),
                        display = name
                    ));
                    return Err(1);
                }
            }
        };
        let _ = display;
        let config = Config::load(main, &DiskLoader, Target::default());
        for diagnostic in &config.diagnostics {
            if let Some(message) = &diagnostic.jail_message {
                out::err(&format!("jail: {message}"));
            }
        }
        if config.fatal {
            return Err(1);
        }
        Ok(Some(config))
    }

    fn run(&mut self) -> Result<i32, SimError> {
        if self.options.kernel_only {
            let names = self.options.names.clone();
            let note = names.len() > 1 || names.iter().any(|n| is_wildcard_name(n.as_bytes()));
            for name in names {
                self.remove_kernel_only(&name, note)?;
            }
            return Ok(self.status());
        }
        let config = match self.load_config() {
            Ok(config) => config,
            Err(code) => return Ok(code),
        };
        let Some(config) = config else {
            let names = self.options.names.clone();
            let note = names.len() > 1 || names.iter().any(|n| is_wildcard_name(n.as_bytes()));
            for name in names {
                self.remove_kernel_only(&name, note)?;
            }
            return Ok(self.status());
        };
        let o = (
            self.options.create,
            self.options.modify,
            self.options.remove,
        );
        match o {
            (true, false, false) => self.op_create(&config)?,
            (false, true, false)
            | (true, true, false)
            | (false, true, true)
            | (true, true, true) => self.op_modify(&config)?,
            (false, false, true) => self.op_remove(&config)?,
            (true, false, true) => self.op_restart(&config)?,
            (false, false, false) => {}
        }
        Ok(self.status())
    }

    fn running(&self, name: &str) -> Result<Option<u32>, SimError> {
        let locked = self.dir.lock()?;
        Ok(locked.state.find_jail(name).map(|j| j.jid))
    }

    /// The config jails an argument selects; `None` (after the message)
    /// when a plain name is not in the config.
    fn select<'c>(&mut self, config: &'c Config, name: Option<&str>) -> Option<Vec<&'c Jail>> {
        match name {
            None => Some(config.jails.iter().collect()),
            Some(name) if is_wildcard_name(name.as_bytes()) => Some(
                config
                    .jails
                    .iter()
                    .filter(|j| wildcard_matches(&j.name, name.as_bytes()))
                    .collect(),
            ),
            Some(name) => match config.jails.iter().find(|j| j.name == name.as_bytes()) {
                Some(jail) => Some(vec![jail]),
                None => {
                    self.quoted_fail(name, "not found");
                    None
                }
            },
        }
    }

    // ----- -c -------------------------------------------------------------

    fn op_create(&mut self, config: &Config) -> Result<(), SimError> {
        let name = self.options.names.first().cloned();
        let explicit = name
            .as_deref()
            .is_some_and(|n| !is_wildcard_name(n.as_bytes()));
        let Some(selected) = self.select(config, name.as_deref()) else {
            return Ok(());
        };
        let mut failed: HashSet<String> = HashSet::new();
        for jail in selected {
            let mut visiting = BTreeSet::new();
            self.create_with_deps(config, jail, explicit, &mut failed, &mut visiting)?;
        }
        Ok(())
    }

    fn create_with_deps(
        &mut self,
        config: &Config,
        jail: &Jail,
        explicit: bool,
        failed: &mut HashSet<String>,
        visiting: &mut BTreeSet<String>,
    ) -> Result<bool, SimError> {
        let name = jail.name_str().into_owned();
        if failed.contains(&name) {
            return Ok(false);
        }
        if self.created_this_run.contains(&name) {
            return Ok(true);
        }
        if !visiting.insert(name.clone()) {
            self.fail(&name, "dependency loop");
            failed.insert(name);
            return Ok(false);
        }
        let mut deps: Vec<String> = values(jail, "depend")
            .iter()
            .flat_map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_string())
                    .collect::<Vec<_>>()
            })
            .filter(|s| !s.is_empty())
            .collect();
        if let Some((parent, _)) = name.rsplit_once('.') {
            deps.insert(0, parent.to_string());
        }
        let mut ok = true;
        for dep in deps {
            match config.jails.iter().find(|j| j.name == dep.as_bytes()) {
                Some(dep_jail) => {
                    if !self.create_with_deps(config, dep_jail, false, failed, visiting)? {
                        ok = false;
                    }
                }
                None if name.starts_with(&format!("{dep}.")) => {}
                None => {
                    self.fail(&name, &format!("depends on undefined jail \"{dep}\""));
                    ok = false;
                }
            }
        }
        visiting.remove(&name);
        if !ok {
            self.fail(&name, "skipped");
            failed.insert(name);
            return Ok(false);
        }
        if self.running(&name)?.is_some() {
            if explicit {
                self.quoted_fail(&name, "already exists");
                failed.insert(name);
                return Ok(false);
            }
            return Ok(true);
        }
        let created = self.create(jail)?;
        if created {
            self.created_this_run.push(name);
        } else {
            failed.insert(name);
        }
        Ok(created)
    }

    fn runner(&self, jail: &Jail) -> Runner<'a> {
        let dir: &'a StateDir = self.dir;
        let consolelog = last(jail, "exec.consolelog").map(|path| {
            let real = self.dir.map(&path);
            (path, real)
        });
        Runner {
            dir,
            exe: hooks::this_exe(),
            consolelog,
        }
    }

    fn run_list(&mut self, runner: &Runner<'_>, jail: &Jail, param: &str, place: Place) -> bool {
        let name = jail.name_str().into_owned();
        for command in values(jail, param) {
            let Some(plan) = hooks::plan(&command) else {
                continue;
            };
            if self.options.verbose {
                let where_ = if matches!(place, Place::Jail(_)) {
                    " in jail"
                } else {
                    ""
                };
                out::out(&format!(
                    "{name}: run command{where_}: {}",
                    plan.argv().join(" ")
                ));
            }
            if let Err(messages) = runner.run(&plan, place) {
                for message in messages {
                    self.warn(&name, &message);
                }
                self.failed = true;
                return false;
            }
        }
        true
    }

    fn run_internal(&mut self, runner: &Runner<'_>, name: &str, argv: &[String]) -> bool {
        if self.options.verbose {
            out::out(&format!("{name}: run command: {}", argv.join(" ")));
        }
        match runner.run_argv(argv) {
            Ok(()) => true,
            Err(messages) => {
                for message in messages {
                    self.warn(name, &message);
                }
                self.failed = true;
                false
            }
        }
    }

    /// The create sequence (spec §8.1). Returns whether the jail exists
    /// afterwards.
    fn create(&mut self, jail: &Jail) -> Result<bool, SimError> {
        let name = jail.name_str().into_owned();
        if jail.failed {
            self.failed = true;
            return Ok(false);
        }
        let desired = match kparams::desired(jail) {
            Ok(desired) => desired,
            Err(message) => {
                self.fail(&name, &message);
                return Ok(false);
            }
        };
        delay();
        let runner = self.runner(jail);
        let mut done: Vec<Done> = Vec::new();
        let ok = self.create_steps(jail, &desired, &runner, &mut done)?;
        if ok {
            return Ok(true);
        }
        self.walk_back(jail, &runner, done)?;
        Ok(false)
    }

    fn create_steps(
        &mut self,
        jail: &Jail,
        desired: &kparams::Desired,
        runner: &Runner<'_>,
        done: &mut Vec<Done>,
    ) -> Result<bool, SimError> {
        let name = jail.name_str().into_owned();
        let path = last(jail, "path");
        if !self.run_list(runner, jail, "exec.prepare", Place::Host) {
            return Ok(false);
        }
        for (argv, extra) in alias_commands(jail) {
            let mut add = argv.clone();
            add.extend(extra);
            add.push("alias".into());
            if !self.run_internal(runner, &name, &add) {
                return Ok(false);
            }
            let mut remove = argv;
            remove.push("-alias".into());
            done.push(Done::Alias(remove));
        }
        let mut lines: Vec<(String, String)> = values(jail, "mount")
            .into_iter()
            .map(|l| ("mount".to_string(), l))
            .collect();
        for file in values(jail, "mount.fstab") {
            match std::fs::read_to_string(self.dir.map(&file)) {
                Ok(text) => lines.extend(text.lines().map(|l| {
                    (
                        "mount.fstab".to_string(),
                        l.split('#').next().unwrap_or_default().to_string(),
                    )
                })),
                Err(e) => {
                    self.fail(
                        &name,
                        &format!("mount.fstab: {file}: {}", out::strerror(&e)),
                    );
                    return Ok(false);
                }
            }
        }
        for (param, line) in lines {
            let fields = fstab_fields(&line);
            if fields.is_empty() {
                continue;
            }
            if fields.len() < 3 {
                self.fail(&name, &format!("{param}: {line}: missing information"));
                return Ok(false);
            }
            if !fields[1].starts_with('/') {
                self.fail(
                    &name,
                    &format!("{param}: {}: not an absolute pathname", fields[1]),
                );
                return Ok(false);
            }
            let mut argv = vec!["/sbin/mount".to_string(), "-t".into(), fields[2].clone()];
            if let Some(options) = fields.get(3) {
                argv.extend(["-o".to_string(), options.clone()]);
            }
            argv.extend([fields[0].clone(), fields[1].clone()]);
            if !self.run_internal(runner, &name, &argv) {
                return Ok(false);
            }
            done.push(Done::Mount(sbin("umount", &["-t", &fields[2], &fields[1]])));
        }
        for (param, fstype, sub) in [
            ("mount.devfs", "devfs", "dev"),
            ("mount.fdescfs", "fdescfs", "dev/fd"),
            ("mount.procfs", "procfs", "proc"),
        ] {
            if !flag(jail, param) {
                continue;
            }
            let Some(path) = path.clone() else {
                self.fail(&name, &format!("{param}: no path"));
                return Ok(false);
            };
            let target = format!("{}/{sub}", path.trim_end_matches('/'));
            if !self.dir.map(&target).is_dir() {
                self.fail(
                    &name,
                    &format!("{param}: {target}: No such file or directory"),
                );
                return Ok(false);
            }
            if fstype == "devfs" {
                let ruleset = last(jail, "devfs_ruleset").unwrap_or_else(|| "4".to_string());
                let argv = vec![
                    "/bin/sh".to_string(),
                    "-c".into(),
                    format!(
                        ". /etc/rc.subr; load_rc_config .; devfs_mount_jail {target} {ruleset}"
                    ),
                ];
                self.dir.log(&argv)?;
                let mut locked = self.dir.lock()?;
                locked.state.mounts.push(MountRec {
                    fstype: "devfs".into(),
                    device: "devfs".into(),
                    mountpoint: paths::normalize(&target),
                    options: Some(format!("ruleset={ruleset}")),
                });
                locked.save()?;
                done.push(Done::Devfs(target));
            } else {
                let argv = sbin("mount", &["-t", fstype, ".", &target]);
                if !self.run_internal(runner, &name, &argv) {
                    return Ok(false);
                }
                done.push(Done::Mount(sbin("umount", &["-t", fstype, &target])));
            }
        }
        if !self.run_list(runner, jail, "exec.prestart", Place::Host) {
            return Ok(false);
        }
        // Step 6: the jail itself.
        if let Some(path) = &path {
            if !path.starts_with('/') {
                self.fail(&name, &format!("path {path}: not an absolute pathname"));
                return Ok(false);
            }
            match std::fs::metadata(self.dir.map(path)) {
                Err(e) => {
                    self.fail(&name, &format!("path {path}: {}", out::strerror(&e)));
                    return Ok(false);
                }
                Ok(meta) if !meta.is_dir() => {
                    self.fail(&name, &format!("path {path}: Not a directory"));
                    return Ok(false);
                }
                Ok(_) => {}
            }
        }
        let has_start =
            !values(jail, "exec.start").is_empty() || !values(jail, "command").is_empty();
        let persist = matches!(desired.values.get("persist"), Some(KValue::Bool(true)));
        let force_persist = !persist && (has_start || !values(jail, "exec.poststart").is_empty());
        let jid = {
            let mut locked = self.dir.lock()?;
            match make_jail(&mut locked.state, &name, desired, persist || force_persist) {
                Ok(jid) => {
                    locked.save()?;
                    jid
                }
                Err(message) => {
                    drop(locked);
                    self.fail(&name, &message);
                    return Ok(false);
                }
            }
        };
        done.push(Done::Jail(jid));
        if self.options.print_jid {
            out::out(&jid.to_string());
        }
        self.note(&name, "created");
        if !self.run_list(runner, jail, "exec.created", Place::Host) {
            return Ok(false);
        }
        for dataset in values(jail, "zfs.dataset") {
            // jail(8) attaches datasets with a small sh script around
            // `zfs jail`; failures are only printed. Recorded here.
            let _guard = self.dir.lock()?;
            self.dir
                .log(&["zfs".into(), "jail".into(), jid.to_string(), dataset])?;
        }
        for iface in values(jail, "vnet.interface") {
            for iface in iface.split(',').map(str::trim).filter(|i| !i.is_empty()) {
                let argv = sbin("ifconfig", &[iface, "vnet", &jid.to_string()]);
                if !self.run_internal(runner, &name, &argv) {
                    return Ok(false);
                }
                done.push(Done::Vnet(iface.to_string(), jid));
            }
        }
        for param in ["exec.start", "command"] {
            if !self.run_list(runner, jail, param, Place::Jail(jid)) {
                return Ok(false);
            }
        }
        if !self.run_list(runner, jail, "exec.poststart", Place::Host) {
            return Ok(false);
        }
        if force_persist {
            let mut locked = self.dir.lock()?;
            if let Some(rec) = locked.state.jails.iter_mut().find(|j| j.jid == jid) {
                rec.params.insert("persist".into(), KValue::Bool(false));
            }
            if !has_start {
                // No processes were left behind: the jail goes away.
                kernel_remove(&mut locked.state, jid);
            }
            locked.save()?;
        } else if !persist && !has_start {
            let mut locked = self.dir.lock()?;
            kernel_remove(&mut locked.state, jid);
            locked.save()?;
        }
        Ok(true)
    }

    /// Undoes the completed create steps in reverse (spec §8.6).
    fn walk_back(
        &mut self,
        jail: &Jail,
        runner: &Runner<'_>,
        done: Vec<Done>,
    ) -> Result<(), SimError> {
        let name = jail.name_str().into_owned();
        for step in done.into_iter().rev() {
            match step {
                Done::Alias(argv) | Done::Mount(argv) => {
                    self.run_internal(runner, &name, &argv);
                }
                Done::Vnet(iface, jid) => {
                    let argv = sbin("ifconfig", &[&iface, "-vnet", &jid.to_string()]);
                    self.run_internal(runner, &name, &argv);
                }
                Done::Devfs(target) => {
                    let mut locked = self.dir.lock()?;
                    self.dir.log(&sbin("umount", &[&target]))?;
                    let normal = paths::normalize(&target);
                    locked
                        .state
                        .mounts
                        .retain(|m| !(m.fstype == "devfs" && m.mountpoint == normal));
                    locked.save()?;
                }
                Done::Jail(jid) => {
                    let mut locked = self.dir.lock()?;
                    kernel_remove(&mut locked.state, jid);
                    locked.save()?;
                    drop(locked);
                    self.note(&name, "removed");
                }
            }
        }
        Ok(())
    }

    // ----- -m -------------------------------------------------------------

    fn op_modify(&mut self, config: &Config) -> Result<(), SimError> {
        let name = self.options.names.first().cloned();
        let Some(selected) = self.select(config, name.as_deref()) else {
            return Ok(());
        };
        for jail in selected {
            self.modify(jail)?;
        }
        Ok(())
    }

    fn modify(&mut self, jail: &Jail) -> Result<(), SimError> {
        let name = jail.name_str().into_owned();
        let may_create = self.options.create;
        let may_restart = self.options.remove;
        if jail.failed {
            self.failed = true;
            return Ok(());
        }
        let Some(jid) = self.running(&name)? else {
            if may_create {
                self.create(jail)?;
            } else {
                self.quoted_fail(&name, "not found");
            }
            return Ok(());
        };
        let desired = match kparams::desired(jail) {
            Ok(desired) => desired,
            Err(message) => {
                self.fail(&name, &message);
                return Ok(());
            }
        };
        let running = {
            let locked = self.dir.lock()?;
            locked
                .state
                .jail(jid)
                .map(|j| j.params.clone())
                .unwrap_or_default()
        };
        if let Some(param) = kparams::changed_create_only(jail, &desired, &running) {
            if may_restart {
                if self.remove_sequence(jail, jid, false)? {
                    self.create(jail)?;
                }
            } else {
                self.fail(&name, &format!("{param} cannot be changed after creation"));
            }
            return Ok(());
        }
        delay();
        let mut locked = self.dir.lock()?;
        if let Some(rec) = locked.state.jails.iter_mut().find(|j| j.jid == jid) {
            for (key, value) in &desired.values {
                if CREATE_ONLY.contains(&key.as_str())
                    || READ_ONLY.contains(&key.as_str())
                    || key == "name"
                {
                    continue;
                }
                rec.params.insert(key.clone(), value.clone());
            }
        }
        locked.save()?;
        drop(locked);
        self.note(&name, "updated");
        Ok(())
    }

    // ----- -r -------------------------------------------------------------

    fn op_remove(&mut self, config: &Config) -> Result<(), SimError> {
        let names = self.options.names.clone();
        let note = true; // a config file is in use
        for name in names {
            if is_wildcard_name(name.as_bytes()) {
                let matching: Vec<&Jail> = config
                    .jails
                    .iter()
                    .filter(|j| wildcard_matches(&j.name, name.as_bytes()))
                    .rev()
                    .collect();
                for jail in matching {
                    if let Some(jid) = self.running(&jail.name_str())? {
                        self.remove_sequence(jail, jid, note)?;
                    }
                }
                continue;
            }
            match config.jails.iter().find(|j| j.name == name.as_bytes()) {
                Some(jail) => match self.running(&name)? {
                    Some(jid) => {
                        self.remove_sequence(jail, jid, note)?;
                    }
                    None => self.quoted_fail(&name, "not found"),
                },
                None => self.remove_kernel_only(&name, note)?,
            }
        }
        Ok(())
    }

    fn op_restart(&mut self, config: &Config) -> Result<(), SimError> {
        let name = self.options.names.first().cloned();
        let Some(selected) = self.select(config, name.as_deref()) else {
            return Ok(());
        };
        for jail in selected {
            let jail_name = jail.name_str().into_owned();
            match self.running(&jail_name)? {
                Some(jid) => {
                    if self.remove_sequence(jail, jid, false)? {
                        self.create(jail)?;
                    }
                }
                None if name.is_some() && !is_wildcard_name(jail_name.as_bytes()) => {
                    self.quoted_fail(&jail_name, "not found")
                }
                None => {
                    self.create(jail)?;
                }
            }
        }
        Ok(())
    }

    /// `-R NAME` or `-r` of a running jail that is not in the config: the
    /// kernel removal only.
    fn remove_kernel_only(&mut self, name: &str, note: bool) -> Result<(), SimError> {
        let targets: Vec<(u32, String)> = {
            let locked = self.dir.lock()?;
            if is_wildcard_name(name.as_bytes()) {
                locked
                    .state
                    .jails
                    .iter()
                    .filter(|j| wildcard_matches(j.name.as_bytes(), name.as_bytes()))
                    .map(|j| (j.jid, j.name.clone()))
                    .collect()
            } else {
                match locked.state.find_jail(name) {
                    Some(j) => vec![(j.jid, j.name.clone())],
                    None => {
                        drop(locked);
                        self.quoted_fail(name, "not found");
                        return Ok(());
                    }
                }
            }
        };
        for (jid, jail_name) in targets {
            delay();
            let mut locked = self.dir.lock()?;
            kernel_remove(&mut locked.state, jid);
            locked.save()?;
            drop(locked);
            if note || self.options.verbose {
                self.note(&jail_name, "removed");
            }
        }
        Ok(())
    }

    /// The remove sequence (spec §8.2). Returns whether the jail is gone.
    fn remove_sequence(&mut self, jail: &Jail, jid: u32, note: bool) -> Result<bool, SimError> {
        let name = jail.name_str().into_owned();
        delay();
        let runner = self.runner(jail);
        if !self.run_list(&runner, jail, "exec.prestop", Place::Host) {
            return Ok(false);
        }
        if !self.run_list(&runner, jail, "exec.stop", Place::Jail(jid)) {
            return Ok(false);
        }
        {
            let mut locked = self.dir.lock()?;
            kernel_remove(&mut locked.state, jid);
            locked.save()?;
        }
        if note || self.options.verbose {
            self.note(&name, "removed");
        }
        let mut ok = self.run_list(&runner, jail, "exec.poststop", Place::Host);
        let path = last(jail, "path").unwrap_or_default();
        for (param, fstype, sub) in [
            ("mount.procfs", "procfs", "proc"),
            ("mount.fdescfs", "fdescfs", "dev/fd"),
            ("mount.devfs", "devfs", "dev"),
        ] {
            if !flag(jail, param) {
                continue;
            }
            let target = format!("{}/{sub}", path.trim_end_matches('/'));
            if fstype == "devfs" {
                let mut locked = self.dir.lock()?;
                self.dir.log(&sbin("umount", &[&target]))?;
                let normal = paths::normalize(&target);
                locked
                    .state
                    .mounts
                    .retain(|m| !(m.fstype == "devfs" && m.mountpoint == normal));
                locked.save()?;
            } else {
                ok &= self.run_internal(&runner, &name, &sbin("umount", &["-t", fstype, &target]));
            }
        }
        let mut lines: Vec<String> = Vec::new();
        for file in values(jail, "mount.fstab") {
            if let Ok(text) = std::fs::read_to_string(self.dir.map(&file)) {
                lines.extend(
                    text.lines()
                        .map(|l| l.split('#').next().unwrap_or_default().to_string()),
                );
            }
        }
        lines.extend(values(jail, "mount"));
        for line in lines {
            let fields = fstab_fields(&line);
            if fields.len() < 3 {
                continue;
            }
            ok &= self.run_internal(
                &runner,
                &name,
                &sbin("umount", &["-t", &fields[2], &fields[1]]),
            );
        }
        let mut aliases = alias_commands(jail);
        // IPv6 aliases go first on removal.
        aliases.sort_by_key(|(argv, _)| argv.get(2).map(|f| f != "inet6"));
        for (mut argv, _) in aliases {
            argv.push("-alias".into());
            ok &= self.run_internal(&runner, &name, &argv);
        }
        ok &= self.run_list(&runner, jail, "exec.release", Place::Host);
        if !ok {
            self.failed = true;
        }
        Ok(true)
    }
}

/// Creates the kernel side of a jail: next jid, every kernel parameter.
fn make_jail(
    state: &mut State,
    name: &str,
    desired: &kparams::Desired,
    persist: bool,
) -> Result<u32, String> {
    if state.jails.iter().any(|j| j.name == name) {
        return Err(format!("jail \"{name}\" already exists"));
    }
    let parent = match name.rsplit_once('.') {
        Some((parent, _)) => match state.jails.iter().find(|j| j.name == parent) {
            Some(p) => p.jid,
            None => return Err(format!("jail \"{parent}\" not found")),
        },
        None => 0,
    };
    let jid = match desired.values.get("jid").map(KValue::text) {
        Some(text) if text != "0" => {
            let jid: u32 = text
                .parse()
                .map_err(|_| format!("jid: non-integer value \"{text}\""))?;
            if state.jail(jid).is_some() {
                return Err(format!("jail {jid} already exists"));
            }
            jid
        }
        _ => {
            let mut jid = state.next_jid.max(1);
            while state.jail(jid).is_some() {
                jid += 1;
            }
            jid
        }
    };
    state.next_jid = state.next_jid.max(jid + 1);
    let mut params = kparams::for_new_jail(desired, &state.host);
    params.insert("persist".into(), KValue::Bool(persist));
    params.insert("parent".into(), KValue::Text(parent.to_string()));
    let cpuset = state.next_cpuset.max(3);
    state.next_cpuset = cpuset + 1;
    params.insert("cpuset.id".into(), KValue::Text(cpuset.to_string()));
    if let Some(KValue::Text(path)) = params.get("path").cloned() {
        params.insert("path".into(), KValue::Text(paths::normalize(&path)));
    }
    let vnet = matches!(params.get("vnet"), Some(KValue::Text(v)) if v == "new");
    state.jails.push(crate::state::JailRec {
        jid,
        name: name.to_string(),
        dying: false,
        params,
    });
    state.jails.sort_by_key(|j| j.jid);
    if vnet {
        state.interfaces.push(make_iface("lo0", Some(jid)));
    }
    Ok(jid)
}

/// jail_remove(2): removes the jail and its descendants; interfaces in
/// their VNETs return home (or are destroyed when they were created
/// there), their routes go.
pub fn kernel_remove(state: &mut State, jid: u32) {
    let mut doomed = vec![jid];
    let mut i = 0;
    while i < doomed.len() {
        let parent = doomed[i].to_string();
        for child in &state.jails {
            if child.text("parent") == parent && !doomed.contains(&child.jid) {
                doomed.push(child.jid);
            }
        }
        i += 1;
    }
    for jid in doomed.into_iter().rev() {
        let Some(rec) = state.jail(jid) else { continue };
        if rec.is_vnet() {
            let inside: Vec<(String, Option<u32>, IfKind)> = state
                .interfaces
                .iter()
                .filter(|i| i.vnet == Some(jid))
                .map(|i| (i.name.clone(), i.home, i.kind))
                .collect();
            for (name, home, kind) in inside {
                if home == Some(jid) {
                    let base = name.trim_end_matches(['a', 'b']).to_string();
                    state.interfaces.retain(|i| {
                        let same = i.vnet == Some(jid) && i.name == name;
                        let peer = kind == IfKind::Epair
                            && i.kind == IfKind::Epair
                            && i.name.trim_end_matches(['a', 'b']) == base;
                        !(same || peer)
                    });
                } else {
                    return_iface(state, Some(jid), &name, home);
                }
            }
            state.routes.retain(|r| r.vnet != Some(jid));
        }
        state.jails.retain(|j| j.jid != jid);
    }
}
