//! `jailconf destroy`: stop a jail and, when asked, remove its files — the
//! seed article's `service jail stop`, `chflags -R 0`, `rm -rf` and
//! `rm jail.conf.d/NAME.conf`, with guard rails.
//!
//! A jail whose path is a ZFS dataset's mountpoint (a clone) is removed
//! with `zfs destroy DATASET`; otherwise its file flags are cleared with
//! `chflags -R 0 PATH` and the tree is removed in-process without ever
//! following a symbolic link (a link is removed, not descended into).
//! `/`, relative paths, paths with `.`/`..` components, the host's system
//! directories and paths shared with another jail are refused.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::runner::Runner;
use crate::state::Dataset;

/// Directories whose removal would break the host, as absolute paths.
const SYSTEM_DIRS: &[&str] = &[
    "/bin",
    "/boot",
    "/compat",
    "/dev",
    "/etc",
    "/home",
    "/lib",
    "/libexec",
    "/media",
    "/mnt",
    "/net",
    "/proc",
    "/rescue",
    "/root",
    "/sbin",
    "/sys",
    "/tmp",
    "/usr",
    "/var",
    "/usr/bin",
    "/usr/home",
    "/usr/include",
    "/usr/lib",
    "/usr/lib32",
    "/usr/libexec",
    "/usr/local",
    "/usr/obj",
    "/usr/ports",
    "/usr/sbin",
    "/usr/share",
    "/usr/src",
    "/var/db",
    "/var/log",
    "/var/run",
    "/var/tmp",
    "/var/mail",
    "/var/empty",
];

/// Why a destroy cannot go ahead or stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DestroyError {
    /// The jail's path may not be removed.
    UnsafePath {
        /// The path.
        path: String,
        /// Why.
        reason: String,
    },
    /// `--data` but the jail has no path to remove.
    NoPath(String),
}

impl fmt::Display for DestroyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DestroyError::UnsafePath { path, reason } => {
                write!(f, "refusing to remove {path:?}: {reason}")
            }
            DestroyError::NoPath(jail) => {
                write!(f, "{jail} has no path, so there are no files to remove")
            }
        }
    }
}

impl std::error::Error for DestroyError {}

/// One step of a destroy, in the order they run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Stop the running jail (`jail -f CONF -r NAME`, or `jail -R NAME`
    /// for a jail that is not configured).
    Stop {
        /// The argv.
        argv: Vec<String>,
    },
    /// `zfs destroy DATASET` for a jail whose path is a dataset's
    /// mountpoint.
    DestroyDataset {
        /// The dataset.
        dataset: String,
        /// The argv.
        argv: Vec<String>,
    },
    /// `chflags -R 0 PATH`.
    ClearFlags {
        /// The argv.
        argv: Vec<String>,
    },
    /// Remove the tree (in-process, never following symbolic links).
    RemoveFiles {
        /// The jail's path on the host.
        path: String,
        /// Where that is for this process (below `--root`).
        on_disk: PathBuf,
    },
    /// Remove the jail's own configuration file.
    RemoveConfig {
        /// The file.
        file: PathBuf,
    },
}

impl Step {
    /// One line saying what the step does, for the confirmation prompt.
    pub fn describe(&self) -> String {
        match self {
            Step::Stop { argv } => format!("stop the jail ({})", argv.join(" ")),
            Step::DestroyDataset { dataset, .. } => {
                format!("destroy the ZFS dataset {dataset} (zfs destroy)")
            }
            Step::ClearFlags { argv } => {
                format!("clear file flags ({})", argv.join(" "))
            }
            Step::RemoveFiles { path, .. } => format!("remove every file under {path}"),
            Step::RemoveConfig { file } => format!("remove {}", file.display()),
        }
    }

    /// Whether the step destroys data (and so needs confirmation).
    pub fn is_destructive(&self) -> bool {
        !matches!(self, Step::Stop { .. })
    }
}

/// What to destroy.
#[derive(Clone, Debug)]
pub struct Request<'a> {
    /// The jail.
    pub name: &'a str,
    /// The configuration file jail(8) reads the jail from, if configured.
    pub config_file: Option<&'a str>,
    /// Whether the jail is running.
    pub running: bool,
    /// The jail's path (configured, else as running).
    pub path: Option<&'a str>,
    /// Remove the jail's files (`--data`).
    pub data: bool,
    /// The jail's own configuration file to remove (`--config`).
    pub config_to_remove: Option<PathBuf>,
    /// ZFS datasets of the host.
    pub datasets: &'a [Dataset],
    /// The paths of every other jail, configured or running.
    pub other_paths: &'a [(String, String)],
    /// Where the host's root is for this process (`/`).
    pub fs_root: &'a Path,
}

/// The steps of a destroy; refuses unsafe paths before anything runs.
pub fn plan(request: &Request<'_>) -> Result<Vec<Step>, DestroyError> {
    let mut steps = Vec::new();
    if request.running {
        let argv = match request.config_file {
            Some(conf) => vec!["jail", "-f", conf, "-r", request.name],
            None => vec!["jail", "-R", request.name],
        };
        steps.push(Step::Stop {
            argv: argv.into_iter().map(str::to_string).collect(),
        });
    }
    if request.data {
        let path = request
            .path
            .ok_or_else(|| DestroyError::NoPath(request.name.to_string()))?;
        let path = check_path(path)?;
        for (jail, other) in request.other_paths {
            let other = normalize(other);
            if other == path || is_below(&other, &path) || is_below(&path, &other) {
                return Err(DestroyError::UnsafePath {
                    path,
                    reason: format!("jail {jail} uses {other}"),
                });
            }
        }
        let dataset = request
            .datasets
            .iter()
            .find(|d| d.mountpoint.as_deref().map(normalize).as_deref() == Some(path.as_str()));
        match dataset {
            Some(dataset) => steps.push(Step::DestroyDataset {
                dataset: dataset.name.clone(),
                argv: vec!["zfs".into(), "destroy".into(), dataset.name.clone()],
            }),
            None => {
                steps.push(Step::ClearFlags {
                    argv: vec!["chflags".into(), "-R".into(), "0".into(), path.clone()],
                });
                let on_disk = request.fs_root.join(path.trim_start_matches('/'));
                steps.push(Step::RemoveFiles { path, on_disk });
            }
        }
    }
    if let Some(file) = &request.config_to_remove {
        steps.push(Step::RemoveConfig { file: file.clone() });
    }
    Ok(steps)
}

/// What a destroy did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// One line per step done.
    pub done: Vec<String>,
    /// The step that failed and why; later steps did not run.
    pub failed: Option<(String, String)>,
}

/// Runs the steps in order, stopping at the first failure. `fs_root` is
/// where the host's root is for this process.
pub fn run(steps: &[Step], runner: &dyn Runner, fs_root: &Path) -> Report {
    let mut report = Report::default();
    for step in steps {
        let result = match step {
            Step::Stop { argv } | Step::DestroyDataset { argv, .. } | Step::ClearFlags { argv } => {
                run_argv(runner, argv)
            }
            Step::RemoveFiles { path, on_disk } => {
                remove_tree(on_disk, fs_root).map_err(|e| format!("{path}: {e}"))
            }
            Step::RemoveConfig { file } => {
                fs::remove_file(file).map_err(|e| format!("{}: {e}", file.display()))
            }
        };
        match result {
            Ok(()) => report.done.push(done_line(step)),
            Err(message) => {
                report.failed = Some((step.describe(), message));
                break;
            }
        }
    }
    report
}

fn done_line(step: &Step) -> String {
    match step {
        Step::Stop { .. } => "stopped the jail".to_string(),
        Step::DestroyDataset { dataset, .. } => format!("destroyed the dataset {dataset}"),
        Step::ClearFlags { argv } => {
            format!(
                "cleared file flags under {}",
                argv.last().cloned().unwrap_or_default()
            )
        }
        Step::RemoveFiles { path, .. } => format!("removed {path}"),
        Step::RemoveConfig { file } => format!("removed {}", file.display()),
    }
}

fn run_argv(runner: &dyn Runner, argv: &[String]) -> Result<(), String> {
    match runner.run(argv) {
        Ok(output) if output.success() => Ok(()),
        Ok(output) => {
            let stderr = output.stderr_text();
            Err(if stderr.is_empty() {
                format!("{} exited with status {:?}", argv.join(" "), output.status)
            } else {
                stderr
            })
        }
        Err(e) => Err(format!(
            "cannot run {}: {e}",
            argv.first().map_or("", String::as_str)
        )),
    }
}

/// Checks that `path` may be removed: absolute, without `.` or `..`
/// components, not `/` and not a system directory. Returns it normalised
/// (no duplicate or trailing slashes).
pub fn check_path(path: &str) -> Result<String, DestroyError> {
    let refuse = |reason: &str| DestroyError::UnsafePath {
        path: path.to_string(),
        reason: reason.to_string(),
    };
    if !path.starts_with('/') {
        return Err(refuse("not an absolute path"));
    }
    if Path::new(path)
        .components()
        .any(|c| matches!(c, Component::CurDir | Component::ParentDir))
        || path.split('/').any(|part| part == "." || part == "..")
    {
        return Err(refuse("it has `.` or `..` components"));
    }
    let normal = normalize(path);
    if normal == "/" {
        return Err(refuse("it is the root directory"));
    }
    if SYSTEM_DIRS.contains(&normal.as_str()) {
        return Err(refuse("it is a system directory"));
    }
    Ok(normal)
}

/// `path` without duplicate or trailing slashes.
fn normalize(path: &str) -> String {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    format!("/{}", parts.join("/"))
}

/// Whether normalised `path` is strictly below normalised `dir`.
fn is_below(path: &str, dir: &str) -> bool {
    dir == "/" || path.starts_with(&format!("{dir}/"))
}

/// Removes the directory tree at `on_disk` without following symbolic
/// links: links (to files or directories, inside or outside the tree) are
/// removed themselves, never their targets. Refuses a tree that is itself
/// a link, is not a directory, or that resolves (through links among its
/// ancestors) outside `fs_root` or onto a system directory.
pub fn remove_tree(on_disk: &Path, fs_root: &Path) -> io::Result<()> {
    let refuse = |why: String| io::Error::new(io::ErrorKind::InvalidInput, why);
    let meta = fs::symlink_metadata(on_disk)?;
    if meta.file_type().is_symlink() {
        return Err(refuse(
            "it is a symbolic link; refusing to follow it".to_string(),
        ));
    }
    if !meta.is_dir() {
        return Err(refuse("not a directory".to_string()));
    }
    let real = fs::canonicalize(on_disk)?;
    let root = fs::canonicalize(fs_root)?;
    let inside = real.strip_prefix(&root).map_err(|_| {
        refuse(format!(
            "it resolves to {}, outside {}",
            real.display(),
            root.display()
        ))
    })?;
    let host_path = format!("/{}", inside.to_string_lossy());
    check_path(&host_path).map_err(|e| refuse(format!("it resolves to {host_path}: {e}")))?;
    // std's remove_dir_all never follows symbolic links (it unlinks them)
    // and walks with directory descriptors, so a link swapped in during
    // the walk is not followed either.
    fs::remove_dir_all(&real)
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::os::unix::fs::symlink;
    use std::sync::Mutex;

    use super::*;
    use crate::runner::Output;

    #[test]
    fn unsafe_paths_are_refused() {
        for bad in [
            "",
            "jail/x",
            "/",
            "//",
            "/usr",
            "/usr/",
            "/etc",
            "/var/db",
            "/jail/../etc",
            "/jail/./x",
            "/usr/local",
        ] {
            assert!(check_path(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(check_path("/jail//classic/").unwrap(), "/jail/classic");
        assert_eq!(check_path("/usr/jails/web").unwrap(), "/usr/jails/web");
    }

    #[test]
    fn removal_never_follows_links_out_of_the_tree() {
        let root = tempfile::tempdir().unwrap();
        let outside = root.path().join("precious");
        fs::create_dir_all(outside.join("sub")).unwrap();
        fs::write(outside.join("sub/file"), "keep").unwrap();
        fs::write(root.path().join("keep.txt"), "keep").unwrap();

        let jail = root.path().join("jail/web");
        fs::create_dir_all(jail.join("etc/deep")).unwrap();
        fs::write(jail.join("etc/rc.conf"), "x").unwrap();
        symlink(&outside, jail.join("etc/deep/to-precious")).unwrap();
        symlink(root.path().join("keep.txt"), jail.join("keep-link")).unwrap();
        symlink("/", jail.join("slash")).unwrap();
        symlink("../../precious", jail.join("relative")).unwrap();

        remove_tree(&jail, root.path()).unwrap();
        assert!(!jail.exists());
        assert_eq!(
            fs::read_to_string(outside.join("sub/file")).unwrap(),
            "keep"
        );
        assert_eq!(
            fs::read_to_string(root.path().join("keep.txt")).unwrap(),
            "keep"
        );
    }

    #[test]
    fn a_tree_that_is_a_link_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let real = root.path().join("real");
        fs::create_dir_all(&real).unwrap();
        fs::write(real.join("f"), "keep").unwrap();
        fs::create_dir_all(root.path().join("jail")).unwrap();
        let link = root.path().join("jail/web");
        symlink(&real, &link).unwrap();
        let err = remove_tree(&link, root.path()).unwrap_err();
        assert!(err.to_string().contains("symbolic link"));
        assert!(real.join("f").exists());
    }

    #[test]
    fn an_ancestor_link_to_a_system_dir_or_outside_is_refused() {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir_all(root.path().join("usr/local")).unwrap();
        fs::write(root.path().join("usr/local/f"), "keep").unwrap();
        symlink(root.path().join("usr"), root.path().join("jail")).unwrap();
        let err = remove_tree(&root.path().join("jail/local"), root.path()).unwrap_err();
        assert!(err.to_string().contains("/usr/local"), "{err}");
        assert!(root.path().join("usr/local/f").exists());

        let elsewhere = tempfile::tempdir().unwrap();
        fs::create_dir_all(elsewhere.path().join("web")).unwrap();
        symlink(elsewhere.path(), root.path().join("j2")).unwrap();
        let err = remove_tree(&root.path().join("j2/web"), root.path()).unwrap_err();
        assert!(err.to_string().contains("outside"), "{err}");
        assert!(elsewhere.path().join("web").exists());
    }

    /// Answers every argv with the next queued output.
    struct Scripted {
        outputs: Mutex<VecDeque<Output>>,
        log: Mutex<Vec<Vec<String>>>,
    }

    impl Scripted {
        fn new(outputs: Vec<Output>) -> Self {
            Scripted {
                outputs: Mutex::new(outputs.into()),
                log: Mutex::new(Vec::new()),
            }
        }
    }

    impl Runner for Scripted {
        fn run(&self, argv: &[String]) -> io::Result<Output> {
            self.log.lock().unwrap().push(argv.to_vec());
            Ok(self.outputs.lock().unwrap().pop_front().unwrap_or(Output {
                status: Some(0),
                ..Output::default()
            }))
        }
    }

    fn request<'a>(root: &'a Path, datasets: &'a [Dataset]) -> Request<'a> {
        Request {
            name: "web",
            config_file: Some("/etc/jail.conf.d/web.conf"),
            running: true,
            path: Some("/jail/web"),
            data: true,
            config_to_remove: None,
            datasets,
            other_paths: &[],
            fs_root: root,
        }
    }

    #[test]
    fn plain_directory_stop_chflags_remove() {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir_all(root.path().join("jail/web/etc")).unwrap();
        let conf = root.path().join("web.conf");
        fs::write(&conf, "web {}").unwrap();
        let mut req = request(root.path(), &[]);
        req.config_to_remove = Some(conf.clone());
        let steps = plan(&req).unwrap();
        assert_eq!(steps.len(), 4);
        assert!(!steps[0].is_destructive());
        assert!(steps[3].describe().ends_with("web.conf"));
        let runner = Scripted::new(Vec::new());
        let report = run(&steps, &runner, root.path());
        assert_eq!(report.failed, None);
        assert_eq!(
            *runner.log.lock().unwrap(),
            vec![
                vec!["jail", "-f", "/etc/jail.conf.d/web.conf", "-r", "web"],
                vec!["chflags", "-R", "0", "/jail/web"],
            ]
        );
        assert!(!root.path().join("jail/web").exists());
        assert!(!conf.exists());
        assert_eq!(report.done[1], "cleared file flags under /jail/web");
    }

    #[test]
    fn clone_is_destroyed_with_zfs() {
        let root = tempfile::tempdir().unwrap();
        let datasets = [Dataset {
            name: "zroot/jail/web".into(),
            mountpoint: Some("/jail/web/".into()),
            origin: Some("zroot/jail/classic@template".into()),
        }];
        let mut req = request(root.path(), &datasets);
        req.running = false;
        req.config_file = None;
        let steps = plan(&req).unwrap();
        assert_eq!(
            steps,
            vec![Step::DestroyDataset {
                dataset: "zroot/jail/web".into(),
                argv: vec!["zfs".into(), "destroy".into(), "zroot/jail/web".into()],
            }]
        );
    }

    #[test]
    fn unconfigured_running_jail_is_removed_without_config() {
        let root = tempfile::tempdir().unwrap();
        let mut req = request(root.path(), &[]);
        req.config_file = None;
        req.data = false;
        assert_eq!(
            plan(&req).unwrap(),
            vec![Step::Stop {
                argv: vec!["jail".into(), "-R".into(), "web".into()]
            }]
        );
    }

    #[test]
    fn shared_and_missing_paths_are_refused() {
        let root = tempfile::tempdir().unwrap();
        let others = [("db".to_string(), "/jail/web/db".to_string())];
        let mut req = request(root.path(), &[]);
        req.other_paths = &others;
        assert!(plan(&req).unwrap_err().to_string().contains("jail db uses"));
        let others = [("host".to_string(), "/jail".to_string())];
        req.other_paths = &others;
        assert!(plan(&req).is_err());
        req.other_paths = &[];
        req.path = Some("/usr");
        assert!(plan(&req).is_err());
        req.path = None;
        assert_eq!(plan(&req).unwrap_err(), DestroyError::NoPath("web".into()));
    }

    #[test]
    fn a_failed_stop_stops_everything() {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir_all(root.path().join("jail/web")).unwrap();
        let steps = plan(&request(root.path(), &[])).unwrap();
        let runner = Scripted::new(vec![Output {
            status: Some(1),
            stdout: Vec::new(),
            stderr: b"jail: web: exec.stop failed\n".to_vec(),
        }]);
        let report = run(&steps, &runner, root.path());
        assert!(report.done.is_empty());
        assert_eq!(
            report.failed.as_ref().map(|f| f.1.as_str()),
            Some("jail: web: exec.stop failed")
        );
        assert!(root.path().join("jail/web").exists());
        assert_eq!(runner.log.lock().unwrap().len(), 1);
    }
}
