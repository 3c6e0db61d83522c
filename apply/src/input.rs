//! The configuration of a host, read as jail(8) and rc.d read it.
//!
//! `-f PATH` names a file, or a directory meaning its `*.conf` files
//! (sorted); without it, `/etc/jail.conf` and `/etc/jail.conf.d/*.conf`.
//! Each of these root files is loaded on its own, as rc.d passes each to
//! `jail -f`; a root that another root already pulls in through `.include`
//! is not loaded again.

use std::fmt;
use std::path::{Path, PathBuf};

use jailconf_lint::{lint, HostFacts, LintOptions};
use jailconf_parser::diag::{Diagnostic, Severity};
use jailconf_parser::model::io_message;
use jailconf_parser::{Config, FileLoader, MainFile, Target};

/// The system configuration file.
pub const DEFAULT_CONF: &str = "/etc/jail.conf";
/// The system folder of per-jail configuration files.
pub const DEFAULT_CONF_DIR: &str = "/etc/jail.conf.d";

/// Why the configuration could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputError {
    /// A file or directory could not be read.
    Read(String),
    /// Nothing to read: no file given and no system configuration.
    NoConfiguration,
    /// jail(8) cannot read a root file (a syntax error, a missing include).
    Refused(String),
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::Read(message) => write!(f, "cannot read {message}"),
            InputError::NoConfiguration => write!(
                f,
                "no configuration: neither {DEFAULT_CONF} nor {DEFAULT_CONF_DIR}/*.conf exists"
            ),
            InputError::Refused(file) => {
                write!(
                    f,
                    "jail(8) cannot read {file}: it has syntax or include errors"
                )
            }
        }
    }
}

impl std::error::Error for InputError {}

/// One root file and its model.
#[derive(Debug)]
pub struct RootConfig {
    /// The path jail(8) is given with `-f` for this file's jails.
    pub path: PathBuf,
    /// The model of the file and everything it includes.
    pub config: Config,
}

/// The whole configuration of a host.
#[derive(Debug)]
pub struct ConfigInput {
    /// The release the models follow.
    pub target: Target,
    /// The root files, in order.
    pub roots: Vec<RootConfig>,
}

/// The lint findings of one root file.
#[derive(Debug)]
pub struct LintFindings<'a> {
    /// The root whose model the spans refer to.
    pub root: &'a RootConfig,
    /// Its findings (errors and warnings).
    pub diagnostics: Vec<Diagnostic>,
}

impl LintFindings<'_> {
    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

/// The root files for `path`: the file itself, a directory's `*.conf`
/// files (sorted), or without `path` the system default (a missing
/// `/etc/jail.conf` is fine when `/etc/jail.conf.d` has files).
pub fn root_files(path: Option<&Path>) -> Result<Vec<PathBuf>, InputError> {
    match path {
        Some(path) if path.is_dir() => conf_files_in(path),
        Some(path) => Ok(vec![path.to_path_buf()]),
        None => {
            let mut files = Vec::new();
            if Path::new(DEFAULT_CONF).exists() {
                files.push(PathBuf::from(DEFAULT_CONF));
            }
            if Path::new(DEFAULT_CONF_DIR).is_dir() {
                files.extend(conf_files_in(Path::new(DEFAULT_CONF_DIR))?);
            }
            if files.is_empty() {
                return Err(InputError::NoConfiguration);
            }
            Ok(files)
        }
    }
}

/// The `*.conf` files of a directory, sorted.
fn conf_files_in(dir: &Path) -> Result<Vec<PathBuf>, InputError> {
    let entries = std::fs::read_dir(dir).map_err(|e| InputError::Read(read_message(dir, &e)))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "conf") && path.is_file())
        .collect();
    files.sort();
    Ok(files)
}

fn read_message(path: &Path, error: &std::io::Error) -> String {
    format!("{}: {}", path.display(), io_message(error))
}

/// Reads `files` from disk and loads them with `loader` (see
/// [`load_roots`]).
pub fn load_files(
    files: &[PathBuf],
    loader: &dyn FileLoader,
    target: Target,
) -> Result<ConfigInput, InputError> {
    let mut mains = Vec::with_capacity(files.len());
    for file in files {
        let text = std::fs::read(file).map_err(|e| InputError::Read(read_message(file, &e)))?;
        mains.push(MainFile::from_path(file, text));
    }
    Ok(load_roots(mains, loader, target))
}

/// Loads each root file on its own with [`Config::load`], then drops the
/// roots another root includes (their jails are that root's jails, as
/// jail(8) sees them when given the including file).
pub fn load_roots(mains: Vec<MainFile>, loader: &dyn FileLoader, target: Target) -> ConfigInput {
    let roots: Vec<RootConfig> = mains
        .into_iter()
        .map(|main| RootConfig {
            path: main.path.clone(),
            config: Config::load(main, loader, target),
        })
        .collect();
    let included: Vec<Vec<PathBuf>> = roots.iter().map(included_files).collect();
    let keep: Vec<bool> = (0..roots.len())
        .map(|i| {
            let me = canonical(&roots[i].path);
            !(0..roots.len()).any(|j| {
                j != i
                    && included[j].contains(&me)
                    // Two roots that include each other: keep both (jail(8)
                    // refuses both anyway).
                    && !included[i].contains(&canonical(&roots[j].path))
            })
        })
        .collect();
    let roots = roots
        .into_iter()
        .zip(keep)
        .filter_map(|(root, keep)| keep.then_some(root))
        .collect();
    ConfigInput { target, roots }
}

/// The files a root pulled in through `.include`, canonicalised.
fn included_files(root: &RootConfig) -> Vec<PathBuf> {
    let config = &root.config;
    config
        .includes
        .iter()
        .flat_map(|include| include.files.iter())
        .map(|&file| canonical(&config.sources.get(file).path))
        .collect()
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

impl ConfigInput {
    /// The first root file that jail(8) would refuse to read, if any.
    pub fn refused(&self) -> Option<&RootConfig> {
        self.roots.iter().find(|root| root.config.fatal)
    }

    /// Lints each root with `options` and no host facts; only roots with
    /// findings are returned.
    pub fn lint(&self, options: &LintOptions) -> Vec<LintFindings<'_>> {
        let facts = HostFacts::default();
        self.roots
            .iter()
            .map(|root| LintFindings {
                root,
                diagnostics: lint(&root.config, &facts, options),
            })
            .filter(|findings| !findings.diagnostics.is_empty())
            .collect()
    }

    /// Every file read (roots and includes) with its text, for the
    /// fingerprint.
    pub fn texts(&self) -> Vec<(String, &[u8])> {
        self.roots
            .iter()
            .flat_map(|root| {
                root.config
                    .sources
                    .iter()
                    .map(|(_, file)| (file.path.to_string_lossy().into_owned(), file.text()))
            })
            .collect()
    }

    /// Whether any configured jail has a `path` or `zfs.dataset` that may
    /// live on ZFS, so that reading datasets is worthwhile.
    pub fn wants_datasets(&self) -> bool {
        self.roots.iter().any(|root| {
            root.config
                .jails
                .iter()
                .any(|jail| jail.param("path").is_some() || jail.param("zfs.dataset").is_some())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jailconf_parser::NoFiles;

    #[test]
    fn roots_load_separately() {
        let input = load_roots(
            vec![
                MainFile::from_path("/x/a.conf", b"a { persist; }".to_vec()),
                MainFile::from_path("/x/b.conf", b"b { persist; }".to_vec()),
            ],
            &NoFiles,
            Target::V15,
        );
        assert_eq!(input.roots.len(), 2);
        assert_eq!(input.roots[1].config.jails.len(), 1);
        assert!(input.refused().is_none());
        assert!(!input.wants_datasets());
        assert_eq!(input.texts().len(), 2);
    }

    #[test]
    fn missing_file_is_an_error() {
        let error = load_files(
            &[PathBuf::from("/nonexistent/jail.conf")],
            &NoFiles,
            Target::V15,
        )
        .unwrap_err();
        assert!(error
            .to_string()
            .starts_with("cannot read /nonexistent/jail.conf"));
    }
}
