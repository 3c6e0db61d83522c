//! A simulated FreeBSD host for end-to-end tests of the `jailconf` binary:
//! freebsd-sim's stand-ins (`jail`, `jls`, `jexec`, `ifconfig`, `zfs`,
//! `chflags`, …) first on `PATH`, their state in a temporary directory,
//! and the seed article's jail files copied into a temporary
//! `jail.conf.d`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The stand-ins' multi-call binary, built next to `jailconf` by
/// `cargo test --workspace` (or `cargo build -p freebsd-sim`).
pub fn sim_binary() -> PathBuf {
    let sim = Path::new(env!("CARGO_BIN_EXE_jailconf")).with_file_name("freebsd-sim");
    assert!(
        sim.exists(),
        "{} is missing: run `cargo build -p freebsd-sim` (cargo test --workspace builds it)",
        sim.display()
    );
    sim
}

/// The repository's seed fixtures.
pub fn seed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/seed/jail.conf.d")
}

/// A simulated host and a configuration directory.
pub struct Host {
    tmp: tempfile::TempDir,
}

/// What a command left behind.
pub struct Run {
    /// Exit status (-1 when killed).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Host {
    /// The article's host: em0 20.0.0.20/24 in bridge0, zroot/jail/classic
    /// mounted at /jail/classic with an @template snapshot, /jail/vnet a
    /// directory, a file flag on classic's libc; plus `init_extra`.
    /// `jail.conf.d` gets copies of the seed files named in `jails`.
    pub fn seed(jails: &[&str], init_extra: &[&str]) -> Host {
        let host = Host::new();
        let mut init = vec![
            "--interface",
            "em0=20.0.0.20/24",
            "--bridge",
            "bridge0:em0",
            "--dataset",
            "zroot/jail/classic=/jail/classic",
            "--file",
            "/jail/classic/etc/rc.conf=sshd_enable=YES",
            "--snapshot",
            "zroot/jail/classic@template",
            "--dir",
            "/jail/vnet",
            "--schg",
            "/jail/classic/lib/libc.so.7",
        ];
        init.extend_from_slice(init_extra);
        host.sim_ok("init", &init);
        for jail in jails {
            host.copy_seed(jail);
        }
        host
    }

    /// An empty host: only the stand-ins, `lo0`, and an empty
    /// `jail.conf.d`.
    pub fn new() -> Host {
        let tmp = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(tmp.path().join("jail.conf.d")).expect("mkdir jail.conf.d");
        std::fs::create_dir_all(tmp.path().join("work")).expect("mkdir work");
        let status = Command::new(sim_binary())
            .arg("install")
            .arg(tmp.path().join("bin"))
            .status()
            .expect("run freebsd-sim install");
        assert!(status.success(), "freebsd-sim install failed");
        Host { tmp }
    }

    /// The temporary directory.
    pub fn dir(&self) -> &Path {
        self.tmp.path()
    }

    /// The configuration directory (`-f` for every command).
    pub fn conf_dir(&self) -> PathBuf {
        self.dir().join("jail.conf.d")
    }

    /// `jail.conf.d/NAME.conf`.
    pub fn conf(&self, jail: &str) -> PathBuf {
        self.conf_dir().join(format!("{jail}.conf"))
    }

    /// The simulated host's state directory.
    pub fn state(&self) -> PathBuf {
        self.dir().join("state")
    }

    /// The simulated root directory (`/jail/classic` is `ROOT/jail/classic`).
    pub fn root(&self) -> PathBuf {
        self.state().join("root")
    }

    /// The apply lock file.
    pub fn lock_file(&self) -> PathBuf {
        self.dir().join("jailconf.lock")
    }

    /// The record of what apply applied.
    pub fn state_file(&self) -> PathBuf {
        self.dir().join("applied.json")
    }

    /// Copies the seed's `NAME.conf` into `jail.conf.d`.
    pub fn copy_seed(&self, jail: &str) {
        std::fs::copy(seed_dir().join(format!("{jail}.conf")), self.conf(jail))
            .expect("copy seed file");
    }

    /// Writes `jail.conf.d/NAME.conf`.
    pub fn write_conf(&self, jail: &str, text: &str) {
        std::fs::write(self.conf(jail), text).expect("write conf");
    }

    /// Reads `jail.conf.d/NAME.conf`.
    pub fn read_conf(&self, jail: &str) -> String {
        std::fs::read_to_string(self.conf(jail)).expect("read conf")
    }

    fn path_env(&self) -> String {
        format!(
            "{}:{}",
            self.dir().join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        )
    }

    fn env(&self, command: &mut Command) {
        command
            .current_dir(self.dir().join("work"))
            .env("PATH", self.path_env())
            .env("JAILCONF_SIM_STATE", self.state())
            .env("JAILCONF_STATE_FILE", self.state_file())
            .env("NO_COLOR", "1")
            .env_remove("JAILCONF_SIM_JAIL")
            .env_remove("JAILCONF_SIM_DELAY_MS")
            .env_remove("IFCONFIG_FORMAT");
    }

    /// `jailconf ARGS…` on this host (standard input closed: not a
    /// terminal).
    pub fn jailconf(&self, args: &[&str]) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_jailconf"));
        command.args(args).stdin(std::process::Stdio::null());
        self.env(&mut command);
        Run::from(command.output().expect("run jailconf"))
    }

    /// `jailconf apply -f CONF_DIR --lock-file … ARGS…`.
    pub fn apply(&self, args: &[&str]) -> Run {
        let conf = self.conf_dir();
        let lock = self.lock_file();
        let mut all = vec![
            "apply",
            "-f",
            conf.to_str().expect("utf-8"),
            "--lock-file",
            lock.to_str().expect("utf-8"),
        ];
        all.extend_from_slice(args);
        self.jailconf(&all)
    }

    /// `jailconf COMMAND -f CONF_DIR ARGS…`.
    pub fn with_conf(&self, command: &str, args: &[&str]) -> Run {
        let conf = self.conf_dir();
        let mut all = vec![command, "-f", conf.to_str().expect("utf-8")];
        all.extend_from_slice(args);
        self.jailconf(&all)
    }

    /// Runs a stand-in (`jls`, `zfs`, …) or `freebsd-sim` itself (`init`,
    /// `dump`) and returns its standard output; panics when it fails.
    pub fn sim_ok(&self, tool: &str, args: &[&str]) -> String {
        let mut command = Command::new(sim_binary());
        command.arg(tool).args(args);
        self.env(&mut command);
        let output = command.output().expect("run freebsd-sim");
        assert!(
            output.status.success(),
            "freebsd-sim {tool} {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Names of the running jails, in jid order.
    pub fn running(&self) -> Vec<String> {
        self.sim_ok("jls", &["name"])
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// jls's value of one parameter of a running jail.
    pub fn param(&self, jail: &str, param: &str) -> String {
        self.sim_ok("jls", &["-j", jail, param]).trim().to_string()
    }

    /// Every stand-in invocation so far, as argv lists.
    pub fn log(&self) -> Vec<Vec<String>> {
        std::fs::read_to_string(self.state().join("commands.log"))
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).expect("commands.log line"))
            .collect()
    }

    /// The invocations of one stand-in since `from` (an index into the
    /// log).
    pub fn log_of(&self, tool: &str, from: usize) -> Vec<Vec<String>> {
        self.log()
            .into_iter()
            .skip(from)
            .filter(|argv| argv.first().map(String::as_str) == Some(tool))
            .collect()
    }

    /// Text with this host's temporary directory shown as `[TMP]` and
    /// durations as `(N s)`, for snapshots.
    pub fn redact(&self, text: &str) -> String {
        let text = text.replace(&self.dir().display().to_string(), "[TMP]");
        redact_durations(&text)
    }
}

impl Default for Host {
    fn default() -> Self {
        Host::new()
    }
}

/// `(0.4 s)` → `(N s)`.
fn redact_durations(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('(') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let number: String = after
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        if !number.is_empty() && after[number.len()..].starts_with(" s)") {
            out.push_str("(N s)");
            rest = &after[number.len() + 3..];
        } else {
            out.push('(');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// argv from words.
pub fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}
