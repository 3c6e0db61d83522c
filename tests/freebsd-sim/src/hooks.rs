//! Running jail(8)'s commands (`exec.*`, `command`) the way command.c does
//! (spec §8.5): a string with any of ``!"$&'()*;<>?[\]`{|}~`` goes to
//! `/bin/sh -c STRING` (unless its only such character is a final `&`,
//! which means "split on whitespace and run in the background"); anything
//! else is split on whitespace and executed directly through PATH.
//!
//! Host commands really run. Commands "inside the jail" run with
//! `JAILCONF_SIM_JAIL=JID` when their program is one of the stand-ins (a
//! shell string only when every simple command in it is a stand-in);
//! anything else (`/bin/sh /etc/rc`) is only recorded in `commands.log`
//! and succeeds — the host's own programs are never run "in" a jail.
//! A program whose basename is a stand-in (`ifconfig`, `/sbin/ifconfig`)
//! always runs this binary, never the host's tool.

use std::ffi::OsString;
use std::fs::OpenOptions;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::state::{StateDir, JAIL_ENV};
use crate::{basename, TOOLS};

/// Where a command runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// On the host.
    Host,
    /// Inside the jail with this jid.
    Jail(u32),
}

/// How a command string is executed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plan {
    /// `/bin/sh -c STRING`.
    Shell(String),
    /// Direct execution of these words; `true` = in the background.
    Direct(Vec<String>, bool),
}

const SHELL_CHARS: &[char] = &[
    '!', '"', '$', '&', '\'', '(', ')', '*', ';', '<', '>', '?', '[', '\\', ']', '`', '{', '|',
    '}', '~',
];

/// How jail(8) would run `command`; `None` for an empty command.
pub fn plan(command: &str) -> Option<Plan> {
    if let Some(at) = command.find(SHELL_CHARS) {
        let lone_final_amp = &command[at..] == "&";
        if !lone_final_amp {
            return Some(Plan::Shell(command.to_string()));
        }
        let words = split_words(&command[..at]);
        return (!words.is_empty()).then_some(Plan::Direct(words, true));
    }
    let words = split_words(command);
    (!words.is_empty()).then_some(Plan::Direct(words, false))
}

fn split_words(text: &str) -> Vec<String> {
    text.split([' ', '\t', '\n', '\r', '\x0b', '\x0c'])
        .filter(|w| !w.is_empty())
        .map(String::from)
        .collect()
}

impl Plan {
    /// The argument vector jail(8) builds (for messages: `j->comline`).
    pub fn argv(&self) -> Vec<String> {
        match self {
            Plan::Shell(text) => vec!["/bin/sh".into(), "-c".into(), text.clone()],
            Plan::Direct(words, _) => words.clone(),
        }
    }
}

/// The stand-in a program name refers to, if any.
pub fn stand_in(program: &str) -> Option<&'static str> {
    let base = basename(program);
    TOOLS.iter().copied().find(|tool| *tool == base)
}

/// Whether every simple command of a shell string starts with a stand-in
/// (so it may run "inside" a simulated jail).
fn shell_only_stand_ins(text: &str) -> bool {
    let mut ok = true;
    for segment in text.split([';', '&', '|', '\n', '(', ')']) {
        let words = split_words(segment);
        let program = words.iter().find(|w| !w.contains('=')).map(String::as_str);
        match program {
            None => {}
            Some(word) if stand_in(word).is_some() => {}
            Some("true" | ":" | "exit" | "echo" | "grep" | "cat" | "sleep") => {}
            Some(_) => ok = false,
        }
    }
    ok
}

/// Everything needed to run commands for one jail.
pub struct Runner<'a> {
    /// The state directory.
    pub dir: &'a StateDir,
    /// This binary.
    pub exe: PathBuf,
    /// `exec.consolelog`, mapped below the simulated root.
    pub consolelog: Option<(String, PathBuf)>,
}

/// The outcome of a failed command: jail(8)'s messages, without the
/// `jail: NAME: ` prefix.
pub type Failure = Vec<String>;

impl Runner<'_> {
    /// The PATH for children: `$STATE/bin` (the stand-ins) first.
    fn child_path(&self) -> OsString {
        let mut path = OsString::from(self.dir.dir.join("bin"));
        if let Some(old) = std::env::var_os("PATH") {
            path.push(":");
            path.push(old);
        }
        path
    }

    fn command_for(&self, argv: &[String], place: Place) -> Option<Command> {
        let (program, args) = argv.split_first()?;
        let mut command = if let Some(tool) = stand_in(program) {
            let mut command = Command::new(&self.exe);
            command.arg(tool);
            command
        } else {
            Command::new(program)
        };
        command.args(args).env("PATH", self.child_path());
        match place {
            Place::Host => {
                command.env_remove(JAIL_ENV);
            }
            Place::Jail(jid) => {
                command.env(JAIL_ENV, jid.to_string());
            }
        }
        Some(command)
    }

    /// Runs `plan` at `place`; `Ok` on success.
    pub fn run(&self, plan: &Plan, place: Place) -> Result<(), Failure> {
        let argv = plan.argv();
        let comline = argv.join(" ");
        let background = matches!(plan, Plan::Direct(_, true));
        if let Place::Jail(_) = place {
            let runnable = match plan {
                Plan::Direct(words, _) => words.first().is_some_and(|p| stand_in(p).is_some()),
                Plan::Shell(text) => shell_only_stand_ins(text),
            };
            if !runnable {
                // Recorded, not run: the host's programs must not run "in"
                // a simulated jail.
                let _ = self.dir.log(&argv);
                return Ok(());
            }
        }
        let Some(mut command) = self.command_for(&argv, place) else {
            return Ok(());
        };
        if let (Place::Jail(_), Some((name, real))) = (place, &self.consolelog) {
            let file = OpenOptions::new().create(true).append(true).open(real);
            match file {
                Ok(file) => {
                    let copy = file.try_clone().map_err(|e| {
                        vec![format!("exec.consolelog: {}", crate::out::strerror(&e))]
                    })?;
                    command.stdout(Stdio::from(file)).stderr(Stdio::from(copy));
                }
                Err(e) => return Err(vec![format!("open {name}: {}", crate::out::strerror(&e))]),
            }
        }
        if !matches!(plan, Plan::Shell(_)) && stand_in(&argv[0]).is_none() && place == Place::Host {
            // Host programs that are not stand-ins are recorded too, so a
            // test sees every command jail(8) ran.
            let _ = self.dir.log(&argv);
        }
        if let Plan::Shell(_) = plan {
            let _ = self.dir.log(&argv);
        }
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(e) => {
                return Err(vec![
                    format!("exec {}: {}", argv[0], crate::out::strerror(&e)),
                    format!("{comline}: failed"),
                ])
            }
        };
        if background {
            return Ok(());
        }
        match child.wait() {
            Ok(status) if status.success() => Ok(()),
            Ok(status) => match status.signal() {
                Some(signal) => Err(vec![format!("{comline}: exited on signal {signal}")]),
                None => Err(vec![format!("{comline}: failed")]),
            },
            Err(e) => Err(vec![format!("{comline}: {}", crate::out::strerror(&e))]),
        }
    }

    /// Runs a stand-in directly with an argument vector (jail(8)'s own
    /// `ifconfig`/`mount` steps, which it runs as `/sbin/ifconfig …`).
    pub fn run_argv(&self, argv: &[String]) -> Result<(), Failure> {
        self.run(&Plan::Direct(argv.to_vec(), false), Place::Host)
    }
}

/// This binary's path (to run stand-ins).
pub fn this_exe() -> PathBuf {
    std::env::current_exe().unwrap_or_else(|_| Path::new("freebsd-sim").to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_like_command_c() {
        assert_eq!(
            plan("ifconfig epair60 create up"),
            Some(Plan::Direct(
                vec![
                    "ifconfig".into(),
                    "epair60".into(),
                    "create".into(),
                    "up".into()
                ],
                false
            ))
        );
        assert_eq!(plan("echo $x"), Some(Plan::Shell("echo $x".into())));
        assert_eq!(
            plan("daemon -f x &"),
            Some(Plan::Direct(
                vec!["daemon".into(), "-f".into(), "x".into()],
                true
            ))
        );
        assert_eq!(plan("a & b"), Some(Plan::Shell("a & b".into())));
        assert_eq!(plan("  "), None);
        assert_eq!(
            plan("/bin/sh /etc/rc").map(|p| p.argv().join(" ")),
            Some("/bin/sh /etc/rc".to_string())
        );
    }

    #[test]
    fn stand_ins() {
        assert_eq!(stand_in("/sbin/ifconfig"), Some("ifconfig"));
        assert_eq!(stand_in("route"), Some("route"));
        assert_eq!(stand_in("/bin/sh"), None);
        assert!(shell_only_stand_ins(
            "ifconfig a up && route add default 1.2.3.4"
        ));
        assert!(!shell_only_stand_ins("ifconfig a up; /etc/rc"));
    }
}
