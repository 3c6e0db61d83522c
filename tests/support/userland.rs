//! A FreeBSD host for end-to-end tests of the `jailconf` binary, with a
//! swappable userland:
//!
//! * **simulated** (the default): freebsd-sim's stand-ins (`jail`, `jls`,
//!   `jexec`, `ifconfig`, `zfs`, `chflags`, …) first on `PATH`, their
//!   state in a temporary directory;
//! * **real** (`JAILCONF_E2E_REAL=1`, on FreeBSD as root, see
//!   `ci/freebsd.sh`): FreeBSD's own programs, with everything the tests
//!   touch created for the test and destroyed when the [`Host`] is dropped
//!   (even when the test fails): a ZFS dataset
//!   `$JAILCONF_E2E_POOL/jailconf-e2e-PID-N` (pool default `zroot`)
//!   mounted in the temporary directory and holding the jails' roots, a
//!   test bridge with 192.0.2.20/24 (TEST-NET-1), a free epair number, and
//!   the jails' addresses from 192.0.2.0/24 as aliases on the uplink
//!   (`$JAILCONF_E2E_IFACE`, default the first interface of `ifconfig -l`
//!   that is not a loopback, bridge, epair or pf device).
//!
//! Both modes write the test configurations with [`test_conf`] from the
//! seed article's `fixtures/seed/jail.conf.d/*.conf`; on the simulated
//! host they are the seed files byte for byte (`/jail/NAME`, `zroot/jail`,
//! `em0`, `bridge0`, 20.0.0.0/24, epair 60). In real mode the tools are
//! reached through logging wrappers in `TMP/bin`, so [`Host::log`] works
//! in both modes (only for what is run through `PATH`: jail(8)'s own
//! `/sbin/ifconfig … alias` and `… vnet JID` calls are not recorded).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Whether the tests drive the real system (`JAILCONF_E2E_REAL=1`).
pub fn real_mode() -> bool {
    std::env::var("JAILCONF_E2E_REAL").as_deref() == Ok("1")
}

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

/// Where the test jails live and how they are connected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// The directory of the jails' roots (`/jail`).
    pub jail_dir: String,
    /// The parent dataset of the jails' datasets (`zroot/jail`), mounted
    /// at `jail_dir`.
    pub datasets: String,
    /// The interface classic and shadow put their address aliases on
    /// (`em0`).
    pub iface: String,
    /// The bridge the VNET jail's epair joins (`bridge0`).
    pub bridge: String,
    /// The first three octets of every address (`20.0.0`).
    pub net: String,
    /// The VNET jail's `$id`: its epair number and last octet (`60`);
    /// `id + 1` is free too.
    pub id: u32,
    /// Real mode: the seed's `/var/log` for console logs, and start
    /// commands that work in an empty root.
    pub real: Option<RealConf>,
}

/// What real mode changes in the seed files beyond names and addresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RealConf {
    /// Where `exec.consolelog` goes instead of `/var/log`.
    pub console_dir: String,
}

impl Layout {
    /// The seed article's host, as freebsd-sim sets it up.
    pub fn sim() -> Layout {
        Layout {
            jail_dir: "/jail".to_string(),
            datasets: "zroot/jail".to_string(),
            iface: "em0".to_string(),
            bridge: "bridge0".to_string(),
            net: "20.0.0".to_string(),
            id: 60,
            real: None,
        }
    }
}

/// The seed's `NAME.conf` text adapted to `layout`: the jail directory,
/// interface, bridge, network and epair number replaced (identity on the
/// simulated host). In real mode the jails' roots are empty directories,
/// so `exec.start = "/bin/sh /etc/rc"` / `exec.stop = "/bin/sh
/// /etc/rc.shutdown"` become `persist;` (the jail stays up without
/// processes; the VNET jail's own `exec.start +=` lines still run, with
/// `/sbin/ifconfig` and `/sbin/route` copied into its root), `exec.clean`
/// is dropped (it needs the jail's own password database and home
/// directory, which an empty root does not have), and console logs go to
/// the temporary directory instead of the host's `/var/log`.
pub fn test_conf(seed: &str, layout: &Layout) -> String {
    let mut text = seed
        .replace(
            "path = \"/jail/${name}\";",
            &format!("path = \"{}/${{name}}\";", layout.jail_dir),
        )
        .replace(
            "interface = em0;",
            &format!("interface = {};", layout.iface),
        )
        .replace("20.0.0.", &format!("{}.", layout.net))
        .replace("$id = \"60\";", &format!("$id = \"{}\";", layout.id))
        .replace(
            "$br = \"bridge0\";",
            &format!("$br = \"{}\";", layout.bridge),
        );
    if let Some(real) = &layout.real {
        text = text
            .replace(
                "\"/var/log/jail_console_${name}.log\"",
                &format!("\"{}/jail_console_${{name}}.log\"", real.console_dir),
            )
            .replace(
                "    exec.start = \"/bin/sh /etc/rc\";\n    exec.stop  = \"/bin/sh /etc/rc.shutdown\";\n",
                "    persist;\n",
            )
            .replace("    exec.clean;\n", "");
        // (em0 and bridge0 may be real names: not checked.)
        for seed_only in ["/jail/", "20.0.0.", "/etc/rc", "/var/log", "exec.clean"] {
            assert!(
                !text.contains(seed_only),
                "test_conf left {seed_only:?} in:\n{text}"
            );
        }
    }
    text
}

/// Something a test needs on the host besides the seed's jails.
#[derive(Clone, Copy, Debug)]
pub enum Extra<'a> {
    /// An empty directory at `path(NAME)`, a jail's root.
    Dir(&'a str),
    /// A root at `path(NAME)` for a jail whose `command` is `/sh` (real
    /// mode copies the host's /bin/sh and its libraries there).
    Shell(&'a str),
    /// `epairIDa` left on the host by a failed start (real mode: `ifconfig
    /// epairID create`, both ends).
    StaleEpair,
}

/// A host (simulated or real) and a configuration directory.
pub struct Host {
    layout: Layout,
    dir: PathBuf,
    tmp: Option<tempfile::TempDir>,
    real: Option<Real>,
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
    /// directory, a file flag on classic's libc; plus `extra`.
    /// `jail.conf.d` gets [`test_conf`] copies of the seed files named in
    /// `jails`.
    pub fn seed(jails: &[&str], extra: &[Extra<'_>]) -> Host {
        let host = Host::new();
        if host.real.is_some() {
            host.seed_real(extra);
        } else {
            host.seed_sim(extra);
        }
        for jail in jails {
            host.copy_seed(jail);
        }
        host
    }

    fn seed_sim(&self, extra: &[Extra<'_>]) {
        let mut init: Vec<String> = [
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
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for item in extra {
            match item {
                Extra::Dir(name) | Extra::Shell(name) => {
                    init.push("--dir".to_string());
                    init.push(self.path(name));
                }
                Extra::StaleEpair => {
                    init.push("--interface".to_string());
                    init.push(format!("epair{}a", self.layout.id));
                }
            }
        }
        let init: Vec<&str> = init.iter().map(String::as_str).collect();
        self.sim_ok("init", &init);
    }

    /// An empty host: an empty `jail.conf.d` and the tools (simulated:
    /// only the stand-ins and `lo0`; real: the throwaway dataset, test
    /// bridge and logging wrappers).
    pub fn new() -> Host {
        let tmp = tempfile::tempdir().expect("tempdir");
        if real_mode() {
            return Host::new_real(tmp);
        }
        std::fs::create_dir_all(tmp.path().join("jail.conf.d")).expect("mkdir jail.conf.d");
        std::fs::create_dir_all(tmp.path().join("work")).expect("mkdir work");
        let status = Command::new(sim_binary())
            .arg("install")
            .arg(tmp.path().join("bin"))
            .status()
            .expect("run freebsd-sim install");
        assert!(status.success(), "freebsd-sim install failed");
        Host {
            layout: Layout::sim(),
            dir: tmp.path().to_path_buf(),
            tmp: Some(tmp),
            real: None,
        }
    }

    /// Whether this is the simulated host.
    pub fn is_sim(&self) -> bool {
        self.real.is_none()
    }

    /// The names, paths, datasets and addresses of this host.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The temporary directory.
    pub fn dir(&self) -> &Path {
        &self.dir
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

    /// The host's root directory as seen by the tests (simulated:
    /// `STATE/root`, so `/jail/classic` is `ROOT/jail/classic`; real: `/`).
    pub fn root(&self) -> PathBuf {
        if self.real.is_some() {
            PathBuf::from("/")
        } else {
            self.state().join("root")
        }
    }

    /// Where the host's absolute `path` is for the tests.
    pub fn fs(&self, path: &str) -> PathBuf {
        self.root().join(path.trim_start_matches('/'))
    }

    /// A jail's root directory as the host sees it (`/jail/NAME`).
    pub fn path(&self, jail: &str) -> String {
        format!("{}/{jail}", self.layout.jail_dir)
    }

    /// A jail's dataset (`zroot/jail/NAME`).
    pub fn dataset(&self, jail: &str) -> String {
        format!("{}/{jail}", self.layout.datasets)
    }

    /// An address on the test network (`20.0.0.LAST`).
    pub fn ip(&self, last: u32) -> String {
        format!("{}.{last}", self.layout.net)
    }

    /// The VNET jail's `$id` (epair number and last octet, `60`).
    pub fn id(&self) -> u32 {
        self.layout.id
    }

    /// The apply lock file.
    pub fn lock_file(&self) -> PathBuf {
        self.dir().join("jailconf.lock")
    }

    /// The record of what apply applied.
    pub fn state_file(&self) -> PathBuf {
        self.dir().join("applied.json")
    }

    /// The seed's `NAME.conf` for this host ([`test_conf`]).
    pub fn seed_conf(&self, jail: &str) -> String {
        let seed = std::fs::read_to_string(seed_dir().join(format!("{jail}.conf")))
            .expect("read seed file");
        test_conf(&seed, &self.layout)
    }

    /// Writes the seed's `NAME.conf` for this host into `jail.conf.d`.
    pub fn copy_seed(&self, jail: &str) {
        self.write_conf(jail, &self.seed_conf(jail));
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
        let system = if self.real.is_some() {
            // FreeBSD's tools, inside jails too (`jexec NAME ifconfig`,
            // exec.start without exec.clean).
            "/sbin:/bin:/usr/sbin:/usr/bin:"
        } else {
            ""
        };
        format!(
            "{}:{system}{}",
            self.dir().join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        )
    }

    fn env(&self, command: &mut Command) {
        command
            .current_dir(self.dir().join("work"))
            .env("PATH", self.path_env())
            .env("JAILCONF_STATE_FILE", self.state_file())
            .env("NO_COLOR", "1")
            .env_remove("JAILCONF_SIM_JAIL")
            .env_remove("JAILCONF_SIM_DELAY_MS")
            .env_remove("IFCONFIG_FORMAT");
        if self.real.is_some() {
            command.env_remove("JAILCONF_SIM_STATE");
        } else {
            command.env("JAILCONF_SIM_STATE", self.state());
        }
    }

    /// `jailconf ARGS…` on this host (standard input closed: not a
    /// terminal).
    pub fn jailconf(&self, args: &[&str]) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_jailconf"));
        command.args(args).stdin(Stdio::null());
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

    /// Runs `freebsd-sim TOOL ARGS…` (`init`, `dump`, or a stand-in) and
    /// returns its standard output; panics when it fails. Simulated host
    /// only.
    pub fn sim_ok(&self, tool: &str, args: &[&str]) -> String {
        assert!(
            self.real.is_none(),
            "freebsd-sim {tool}: not on a real host"
        );
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

    /// Runs one of the host's tools (`jail`, `jls`, `zfs`, …: the
    /// stand-in, or FreeBSD's through its logging wrapper) and returns its
    /// standard output; panics when it fails. The call is in [`log`].
    ///
    /// [`log`]: Host::log
    pub fn tool_ok(&self, tool: &str, args: &[&str]) -> String {
        if self.real.is_none() {
            return self.sim_ok(tool, args);
        }
        let mut command = Command::new(self.dir().join("bin").join(tool));
        command.args(args).stdin(Stdio::null());
        self.env(&mut command);
        let output = command.output().expect("run tool");
        assert!(
            output.status.success(),
            "{tool} {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Names of the running jails, in jid order.
    pub fn running(&self) -> Vec<String> {
        self.tool_ok("jls", &["name"])
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// jls's value of one parameter of a running jail.
    pub fn param(&self, jail: &str, param: &str) -> String {
        self.tool_ok("jls", &["-j", jail, param]).trim().to_string()
    }

    /// Every tool invocation so far, as argv lists.
    pub fn log(&self) -> Vec<Vec<String>> {
        if self.real.is_some() {
            let bytes = std::fs::read(self.dir().join(WRAPPER_LOG)).unwrap_or_default();
            return parse_wrapper_log(&String::from_utf8_lossy(&bytes));
        }
        std::fs::read_to_string(self.state().join("commands.log"))
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).expect("commands.log line"))
            .collect()
    }

    /// The invocations of one tool since `from` (an index into the log).
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

    /// Whether the snapshot `name` is compared: on the simulated host. A
    /// real host's output differs in jids, epair numbers and the generated
    /// configurations' start commands, so there the text is printed (for
    /// the log) and the test's other assertions stand in for it.
    pub fn snapshots(&self, name: &str, text: &str) -> bool {
        if self.real.is_none() {
            return true;
        }
        eprintln!(
            "real mode: snapshot {name} not compared; output:\n{}",
            self.redact(text)
        );
        false
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

// ---------------------------------------------------------------------
// Real mode.

/// The tools jailconf and the tests run through `PATH`; each gets a
/// logging wrapper in `TMP/bin`.
const TOOLS: &[&str] = &[
    "jail", "jls", "jexec", "ifconfig", "route", "zfs", "chflags", "mount", "umount",
];

/// The wrappers' log in the temporary directory: per call, the tool's
/// name and each argument followed by US (0x1f), then RS (0x1e).
const WRAPPER_LOG: &str = "commands.log";

/// Interfaces never taken for the uplink.
const NOT_UPLINKS: &[&str] = &[
    "lo", "bridge", "epair", "pflog", "pfsync", "enc", "gif", "stf", "tun", "tap",
];

/// Throwaway datasets made by this process.
static DATASETS: AtomicUsize = AtomicUsize::new(0);

/// What a real host made for a test, torn down by `Drop`. Every field is
/// set as soon as the thing exists, so a panic half-way through setting
/// up still cleans up what was made.
#[derive(Debug, Default)]
struct Real {
    /// `POOL/jailconf-e2e-PID-N`, once created.
    dataset: Option<String>,
    /// Its mountpoint, the jails' directory.
    mountpoint: String,
    /// The test bridge, once created.
    bridge: Option<String>,
    /// The uplink the jails' aliases go on.
    uplink: String,
    /// epair numbers the tests may create (`id`, `id + 1`).
    epairs: Vec<u32>,
    /// The first three octets of the test network.
    net: String,
}

/// The absolute path of one of FreeBSD's tools.
fn find_tool(tool: &str) -> Option<PathBuf> {
    ["/sbin", "/bin", "/usr/sbin", "/usr/bin"]
        .iter()
        .map(|dir| Path::new(dir).join(tool))
        .find(|path| path.exists())
}

/// The absolute path of one of FreeBSD's tools; panics when it is missing.
fn system_tool(tool: &str) -> PathBuf {
    find_tool(tool)
        .unwrap_or_else(|| panic!("{tool} not found in /sbin, /bin, /usr/sbin or /usr/bin"))
}

/// Runs a FreeBSD tool directly (not logged); `None` when it cannot be
/// run. Never panics: the teardown uses it.
fn try_system(tool: &str, args: &[&str]) -> Option<Output> {
    let program = find_tool(tool).unwrap_or_else(|| PathBuf::from(tool));
    match Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
    {
        Ok(output) => Some(output),
        Err(e) => {
            eprintln!("jailconf e2e: cannot run {tool}: {e}");
            None
        }
    }
}

/// Runs a FreeBSD tool directly (not logged).
fn system(tool: &str, args: &[&str]) -> Output {
    try_system(tool, args).unwrap_or_else(|| panic!("cannot run {tool}"))
}

/// A tool's standard output for the teardown (empty when it failed).
fn teardown_output(tool: &str, args: &[&str]) -> String {
    try_system(tool, args)
        .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
        .unwrap_or_default()
}

/// Runs a FreeBSD tool directly and returns its output; panics when it
/// fails.
fn system_ok(tool: &str, args: &[&str]) -> String {
    let output = system(tool, args);
    assert!(
        output.status.success(),
        "{tool} {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr).trim()
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Runs a FreeBSD tool for the teardown: failures are reported, never
/// panicked on.
fn teardown_step(tool: &str, args: &[&str]) -> bool {
    match try_system(tool, args) {
        Some(output) if output.status.success() => true,
        Some(output) => {
            eprintln!(
                "jailconf e2e teardown: {tool} {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            );
            false
        }
        None => false,
    }
}

/// `'text'` for sh.
fn sh_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// Parses the wrappers' log.
pub fn parse_wrapper_log(text: &str) -> Vec<Vec<String>> {
    text.split('\u{1e}')
        .filter(|record| !record.is_empty())
        .map(|record| {
            let mut fields: Vec<String> = record.split('\u{1f}').map(str::to_string).collect();
            // Every field ends with US: the last piece is empty.
            fields.pop();
            fields
        })
        .collect()
}

/// Whether a running jail's path is below `mountpoint`.
fn below(path: &str, mountpoint: &str) -> bool {
    path == mountpoint || path.starts_with(&format!("{mountpoint}/"))
}

/// The interface names `ifconfig -l` lists.
fn interface_names() -> Vec<String> {
    system_ok("ifconfig", &["-l"])
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

impl Host {
    fn new_real(tmp: tempfile::TempDir) -> Host {
        preflight();
        let dir = std::fs::canonicalize(tmp.path()).expect("canonicalize the temporary directory");
        let dir_text = dir.to_str().expect("utf-8 temporary directory").to_string();
        assert!(
            !dir_text.contains(['\'', '"', ' ', '$', '\\']),
            "temporary directory {dir_text:?}: set TMPDIR to a plain path"
        );
        for sub in ["jail.conf.d", "work", "bin", "log"] {
            std::fs::create_dir_all(dir.join(sub)).expect("mkdir");
        }
        write_wrappers(&dir);

        let mountpoint = format!("{dir_text}/jails");
        let mut host = Host {
            layout: Layout {
                jail_dir: mountpoint.clone(),
                datasets: String::new(),
                iface: String::new(),
                bridge: String::new(),
                net: "192.0.2".to_string(),
                id: 0,
                real: Some(RealConf {
                    console_dir: format!("{dir_text}/log"),
                }),
            },
            dir,
            tmp: Some(tmp),
            real: Some(Real {
                mountpoint: mountpoint.clone(),
                net: "192.0.2".to_string(),
                ..Real::default()
            }),
        };

        let pool = std::env::var("JAILCONF_E2E_POOL").unwrap_or_else(|_| "zroot".to_string());
        let dataset = format!(
            "{pool}/jailconf-e2e-{}-{}",
            std::process::id(),
            DATASETS.fetch_add(1, Ordering::SeqCst)
        );
        assert!(
            !system("zfs", &["list", "-H", "-o", "name", &dataset])
                .status
                .success(),
            "{dataset} exists already: not touching it"
        );
        system_ok(
            "zfs",
            &[
                "create",
                "-o",
                &format!("mountpoint={mountpoint}"),
                "-o",
                "canmount=on",
                &dataset,
            ],
        );
        host.real_mut().dataset = Some(dataset.clone());
        host.layout.datasets = dataset;

        let uplink = uplink();
        host.real_mut().uplink = uplink.clone();
        host.layout.iface = uplink;

        let names = interface_names();
        let id = (60..=240)
            .step_by(10)
            .find(|n: &u32| {
                [n, &(n + 1)].iter().all(|k| {
                    !names.contains(&format!("epair{k}a")) && !names.contains(&format!("epair{k}b"))
                })
            })
            .expect("no free epair number among epair60..epair241");
        host.real_mut().epairs = vec![id, id + 1];
        host.layout.id = id;

        let bridge = system_ok("ifconfig", &["bridge", "create"])
            .trim()
            .to_string();
        assert!(
            bridge.starts_with("bridge"),
            "ifconfig bridge create printed {bridge:?}"
        );
        host.real_mut().bridge = Some(bridge.clone());
        system_ok("ifconfig", &[&bridge, "descr", "jailconf-e2e"]);
        system_ok("ifconfig", &[&bridge, "inet", "192.0.2.20/24", "up"]);
        host.layout.bridge = bridge;
        host
    }

    fn real_mut(&mut self) -> &mut Real {
        self.real.as_mut().expect("real host")
    }

    /// The seed's host on the real system: the classic dataset with
    /// etc/rc.conf, its @template snapshot, then a `schg` libc; the VNET
    /// jail's root with ifconfig and route.
    fn seed_real(&self, extra: &[Extra<'_>]) {
        let classic = self.dataset("classic");
        system_ok("zfs", &["create", &classic]);
        let root = PathBuf::from(self.path("classic"));
        std::fs::create_dir_all(root.join("etc")).expect("mkdir etc");
        std::fs::write(root.join("etc/rc.conf"), "sshd_enable=YES").expect("write rc.conf");
        system_ok("zfs", &["snapshot", &format!("{classic}@template")]);
        std::fs::create_dir_all(root.join("lib")).expect("mkdir lib");
        let libc = root.join("lib/libc.so.7");
        std::fs::write(&libc, "").expect("write libc.so.7");
        system_ok("chflags", &["schg", libc.to_str().expect("utf-8")]);

        let vnet = PathBuf::from(self.path("vnet"));
        std::fs::create_dir_all(&vnet).expect("mkdir vnet");
        copy_programs(
            &vnet,
            &[
                ("/sbin/ifconfig", "sbin/ifconfig"),
                ("/sbin/route", "sbin/route"),
            ],
        );

        for item in extra {
            match item {
                Extra::Dir(name) => {
                    std::fs::create_dir_all(self.path(name)).expect("mkdir");
                }
                Extra::Shell(name) => {
                    let root = PathBuf::from(self.path(name));
                    std::fs::create_dir_all(&root).expect("mkdir");
                    copy_programs(&root, &[("/bin/sh", "sh")]);
                }
                Extra::StaleEpair => {
                    system_ok("ifconfig", &[&format!("epair{}", self.layout.id), "create"]);
                }
            }
        }
    }
}

/// Refuses to drive a real host that is not FreeBSD, not root, has jails
/// running (apply --prune would remove them) or uses 192.0.2.0/24.
fn preflight() {
    if !cfg!(target_os = "freebsd") {
        panic!(
            "JAILCONF_E2E_REAL=1 drives FreeBSD's own jail, jls, ifconfig and zfs: \
             run it on a FreeBSD host as root (ci/freebsd.sh), not on {}",
            std::env::consts::OS
        );
    }
    let uid = Command::new("id").arg("-u").output().expect("run id -u");
    let uid = String::from_utf8_lossy(&uid.stdout).trim().to_string();
    assert!(
        uid == "0",
        "JAILCONF_E2E_REAL=1 creates jails, interfaces and datasets: run it as root (uid is {uid})"
    );
    let jails = system_ok("jls", &["name"]);
    assert!(
        jails.trim().is_empty(),
        "JAILCONF_E2E_REAL=1: jails are running on this host ({}); the tests \
         (apply --prune) would remove them — use a host without jails, and \
         --test-threads=1",
        jails.split_whitespace().collect::<Vec<_>>().join(", ")
    );
    let addresses = system_ok("ifconfig", &["-a"]);
    assert!(
        !addresses.contains("inet 192.0.2."),
        "JAILCONF_E2E_REAL=1: 192.0.2.0/24 is already in use on this host \
         (left by an interrupted run, or tests run in parallel: use \
         --test-threads=1); the tests need it"
    );
}

/// `$JAILCONF_E2E_IFACE`, else the first interface of `ifconfig -l` that
/// is not a loopback, bridge, epair or pseudo device.
fn uplink() -> String {
    if let Ok(name) = std::env::var("JAILCONF_E2E_IFACE") {
        if !name.is_empty() {
            assert!(
                system("ifconfig", &[&name]).status.success(),
                "JAILCONF_E2E_IFACE={name}: no such interface"
            );
            return name;
        }
    }
    interface_names()
        .into_iter()
        .find(|name| !NOT_UPLINKS.iter().any(|prefix| name.starts_with(prefix)))
        .expect("no uplink interface in `ifconfig -l`: set JAILCONF_E2E_IFACE")
}

/// `TMP/bin/TOOL` for every tool: see [`wrapper_script`].
fn write_wrappers(dir: &Path) {
    let log = dir.join(WRAPPER_LOG);
    for tool in TOOLS {
        write_wrapper(&dir.join("bin").join(tool), tool, &system_tool(tool), &log);
    }
}

/// Writes an executable wrapper script at `path`.
pub fn write_wrapper(path: &Path, tool: &str, real: &Path, log: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, wrapper_script(tool, real, log)).expect("write wrapper");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod wrapper");
}

/// A wrapper for `tool` that appends the call to `log` (the format
/// [`parse_wrapper_log`] reads), then runs `real` with the same
/// arguments. One `printf` per call, so parallel calls do not interleave.
pub fn wrapper_script(tool: &str, real: &Path, log: &Path) -> String {
    format!(
        "#!/bin/sh\n\
         # jailconf e2e: record the call, then run FreeBSD's {tool}.\n\
         rec=$(printf '%s\\037' {tool} \"$@\"; printf '\\036')\n\
         printf '%s' \"$rec\" >>{log}\n\
         exec {real} \"$@\"\n",
        tool = sh_quote(tool),
        log = sh_quote(log.to_str().expect("utf-8")),
        real = sh_quote(real.to_str().expect("utf-8")),
    )
}

/// Copies host programs into a jail root (`(FROM, TO below root)`), with
/// the shared libraries `ldd` names and the run-time linker, at the same
/// paths, so they run inside the jail.
fn copy_programs(root: &Path, programs: &[(&str, &str)]) {
    let mut files: Vec<(PathBuf, PathBuf)> = Vec::new();
    let mut libraries = vec!["/libexec/ld-elf.so.1".to_string()];
    for (from, to) in programs {
        files.push((PathBuf::from(from), root.join(to)));
        for line in system_ok("ldd", &[from]).lines() {
            // "\tlibc.so.7 => /lib/libc.so.7 (0x…)"
            if let Some((_, rest)) = line.split_once(" => ") {
                if let Some(path) = rest.split_whitespace().next() {
                    if path.starts_with('/') && !libraries.iter().any(|l| l == path) {
                        libraries.push(path.to_string());
                    }
                }
            }
        }
    }
    for library in libraries {
        let to = root.join(library.trim_start_matches('/'));
        files.push((PathBuf::from(library), to));
    }
    for (from, to) in files {
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).expect("mkdir in jail root");
        }
        std::fs::copy(&from, &to)
            .unwrap_or_else(|e| panic!("copy {} to {}: {e}", from.display(), to.display()));
    }
}

impl Real {
    /// Removes everything the test made; true when the dataset is gone
    /// (the temporary directory may then be removed).
    fn teardown(&self) -> bool {
        // Jails with their root below the dataset, dying ones included
        // (`jail -R` refuses those; they go away by themselves).
        for _ in 0..10 {
            let jails = self.jails();
            if jails.is_empty() {
                break;
            }
            for jid in &jails {
                let _ = try_system("jail", &["-R", jid]);
            }
            std::thread::sleep(Duration::from_millis(300));
        }
        // Mounts below the jails' directory (nullfs, devfs: jail -R does
        // not unmount), deepest first; the datasets' own go with zfs.
        let mut mounts: Vec<String> = teardown_output("mount", &["-p"])
            .lines()
            .filter_map(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                let (point, kind) = (fields.get(1)?, fields.get(2)?);
                let point = point.replace("\\040", " ");
                (below(&point, &self.mountpoint) && *kind != "zfs").then_some(point)
            })
            .collect();
        mounts.sort_by_key(|m| std::cmp::Reverse(m.len()));
        for point in mounts {
            teardown_step("umount", &["-f", &point]);
        }
        // Aliases jail(8) left on the uplink (jail -R does not remove them).
        if !self.uplink.is_empty() {
            let shown = teardown_output("ifconfig", &[&self.uplink]);
            for line in shown.lines() {
                let words: Vec<&str> = line.split_whitespace().collect();
                if let ["inet", address, ..] = words.as_slice() {
                    if address.starts_with(&format!("{}.", self.net)) {
                        teardown_step("ifconfig", &[&self.uplink, "inet", address, "-alias"]);
                    }
                }
            }
        }
        // epairs (jail -R does not run exec.poststop), then the bridge.
        let names = teardown_output("ifconfig", &["-l"]);
        let names: Vec<&str> = names.split_whitespace().collect();
        for number in &self.epairs {
            if let Some(end) = [format!("epair{number}a"), format!("epair{number}b")]
                .into_iter()
                .find(|end| names.contains(&end.as_str()))
            {
                teardown_step("ifconfig", &[&end, "destroy"]);
            }
        }
        if let Some(bridge) = &self.bridge {
            teardown_step("ifconfig", &[bridge, "destroy"]);
        }
        // The dataset, its snapshot and clones (-R: the clone of
        // classic@template is a dependent), forcibly unmounted. A dying
        // jail may keep a root busy for a moment: retry.
        let Some(dataset) = &self.dataset else {
            return true;
        };
        for attempt in 0..10 {
            let exists = try_system("zfs", &["list", "-H", "-o", "name", dataset])
                .is_none_or(|output| output.status.success());
            if !exists {
                return true;
            }
            if attempt > 0 {
                std::thread::sleep(Duration::from_secs(1));
            }
            if teardown_step("zfs", &["destroy", "-R", "-f", dataset]) {
                return true;
            }
        }
        eprintln!(
            "jailconf e2e teardown: {dataset} (mounted at {}) is left behind; \
             remove it with `zfs destroy -R -f {dataset}`",
            self.mountpoint
        );
        false
    }

    /// The jids of jails (alive or dying) whose root is below the
    /// jails' directory.
    fn jails(&self) -> Vec<String> {
        teardown_output("jls", &["-d", "jid", "path"])
            .lines()
            .filter_map(|line| {
                let (jid, path) = line.split_once(' ')?;
                below(path, &self.mountpoint).then(|| jid.to_string())
            })
            .collect()
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let Some(real) = self.real.take() else {
            return;
        };
        if !real.teardown() {
            if let Some(tmp) = self.tmp.take() {
                let kept = tmp.keep();
                eprintln!(
                    "jailconf e2e teardown: kept {} (the dataset is still mounted in it)",
                    kept.display()
                );
            }
        }
    }
}
