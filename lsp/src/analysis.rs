//! One analysed configuration: the model of its top-level files and
//! everything they include (open buffers overriding the disk), the lint
//! findings, the settings from `jailconf.toml`, and the semantic index.
//! Built once per change and shared by every request until the next one.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

use jailconf_fmt::FormatOptions;
use jailconf_lint::facts::RcFacts;
use jailconf_lint::rc_conf::RcConf;
use jailconf_lint::{lint, HostFacts, LintOptions};
use jailconf_parser::diag::Diagnostic;
use jailconf_parser::glob::{self, GlobError, GlobResult};
use jailconf_parser::settings;
use jailconf_parser::source::FileId;
use jailconf_parser::{Config, FileLoader, MainFile, Target};

use crate::convert::{normalize, LineIndex};

/// Reads files from open buffers first, then from the disk.
pub struct OverlayLoader<'a> {
    /// Open buffers by normalised path.
    pub overlays: &'a HashMap<PathBuf, Vec<u8>>,
}

impl FileLoader for OverlayLoader<'_> {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        match self.overlays.get(&normalize(path)) {
            Some(text) => Ok(text.clone()),
            None => std::fs::read(path),
        }
    }

    /// The disk's matches plus open buffers that match but are not saved
    /// yet.
    fn glob(&self, pattern: &[u8]) -> Result<GlobResult, GlobError> {
        let mut result = glob::glob(pattern)?;
        if !result.has_magic {
            return Ok(result);
        }
        use std::os::unix::ffi::OsStrExt;
        let pattern_parts: Vec<&[u8]> = pattern.split(|&b| b == b'/').collect();
        for path in self.overlays.keys() {
            let bytes = path.as_os_str().as_bytes();
            let parts: Vec<&[u8]> = bytes.split(|&b| b == b'/').collect();
            let matches = parts.len() == pattern_parts.len()
                && parts
                    .iter()
                    .zip(&pattern_parts)
                    .all(|(name, pat)| glob::match_component(pat, name));
            let known = result
                .matches
                .iter()
                .any(|m| normalize(Path::new(std::ffi::OsStr::from_bytes(m))) == *path);
            if matches && !known {
                result.matches.push(bytes.to_vec());
            }
        }
        result.matches.sort();
        Ok(result)
    }
}

/// The analysis of one configuration.
pub struct Analysis {
    /// The model (with every file read).
    pub config: Config,
    /// Parse, model and lint findings, as `jailconf lint` reports them.
    pub diagnostics: Vec<Diagnostic>,
    /// The semantic index (built once the diagnostics are out, or on
    /// first use).
    index: OnceLock<crate::index::Index>,
    /// Held while the index is built (so that a request waits for the
    /// build under way rather than starting another).
    indexing: Mutex<()>,
    /// Set when a change replaced this analysis: its index is not needed
    /// any more.
    replaced: AtomicBool,
    /// Formatter options from `jailconf.toml`.
    pub format: FormatOptions,
    /// A problem with `jailconf.toml`, if any.
    pub settings_error: Option<String>,
    /// The top-level files, normalised.
    pub roots: Vec<PathBuf>,
    lines: Vec<OnceLock<LineIndex>>,
}

impl Analysis {
    /// Analyses the configuration formed by `roots` (read through
    /// `overlays` first). Settings come from the `jailconf.toml` found
    /// upward from the first root's folder.
    pub fn build(roots: &[PathBuf], overlays: &HashMap<PathBuf, Vec<u8>>) -> Analysis {
        let loader = OverlayLoader { overlays };
        let dir = roots
            .first()
            .and_then(|r| r.parent())
            .filter(|d| d.is_absolute())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let (loaded, settings_error) = match settings::discover(&dir) {
            Ok(loaded) => (loaded, None),
            Err(error) => (None, Some(error.to_string())),
        };
        let settings = loaded.as_ref().map(|l| &l.settings);
        let target: Target = settings.and_then(|s| s.target).unwrap_or_default();
        let options = settings
            .map(|s| LintOptions::from_settings(&s.lint))
            .unwrap_or_default();
        let format = settings
            .map(|s| FormatOptions::from_settings(&s.format))
            .unwrap_or_default();
        let facts = HostFacts {
            rc_conf: loaded.as_ref().and_then(|l| {
                let path = l.resolve(l.settings.host.rc_conf.as_ref()?);
                let text = std::fs::read(&path).ok()?;
                Some(RcFacts {
                    conf: RcConf::parse(&String::from_utf8_lossy(&text)),
                    path,
                })
            }),
            live: None,
        };
        let mains = roots
            .iter()
            .filter_map(|root| {
                let text = loader.read(root).ok()?;
                Some(MainFile::from_path(root.clone(), text))
            })
            .collect();
        let config = Config::load_many(mains, &loader, target);
        // The semantic index is built after the diagnostics are published
        // (see `Workspace::after_publish`), or on first use.
        let diagnostics = lint(&config, &facts, &options);
        let lines = (0..config.sources.len()).map(|_| OnceLock::new()).collect();
        Analysis {
            config,
            diagnostics,
            index: OnceLock::new(),
            indexing: Mutex::new(()),
            replaced: AtomicBool::new(false),
            format,
            settings_error,
            roots: roots.to_vec(),
            lines,
        }
    }

    /// The semantic index.
    pub fn index(&self) -> &crate::index::Index {
        if let Some(index) = self.index.get() {
            return index;
        }
        let _indexing = self.indexing.lock().unwrap_or_else(PoisonError::into_inner);
        self.index
            .get_or_init(|| crate::index::Index::build(&self.config))
    }

    /// Builds the semantic index ahead of its first use, unless a change
    /// replaces this analysis first (see [`Analysis::mark_replaced`]).
    pub fn prepare_index(&self) {
        let _indexing = self.indexing.lock().unwrap_or_else(PoisonError::into_inner);
        if self.index.get().is_some() {
            return;
        }
        if let Some(index) = crate::index::Index::build_unless(&self.config, &self.replaced) {
            let _ = self.index.set(index);
        }
    }

    /// Records that a change replaced this analysis: an index build under
    /// way for it stops.
    pub fn mark_replaced(&self) {
        self.replaced.store(true, Ordering::Relaxed);
    }

    /// Whether the semantic index is built.
    pub fn has_index(&self) -> bool {
        self.index.get().is_some()
    }

    /// The FreeBSD release followed.
    pub fn target(&self) -> Target {
        self.config.target
    }

    /// A file's text.
    pub fn text(&self, file: FileId) -> &[u8] {
        self.config.sources.get(file).text()
    }

    /// A file's path, normalised.
    pub fn path(&self, file: FileId) -> PathBuf {
        normalize(&self.config.sources.get(file).path)
    }

    /// A file's line index (built on first use).
    pub fn lines(&self, file: FileId) -> &LineIndex {
        self.lines[file.0 as usize].get_or_init(|| LineIndex::new(self.text(file)))
    }

    /// The first file read from `path` (a file included twice is read
    /// twice; positions refer to its first reading).
    pub fn file_of(&self, path: &Path) -> Option<FileId> {
        self.config
            .sources
            .iter()
            .find(|(_, f)| normalize(&f.path) == path)
            .map(|(id, _)| id)
    }

    /// Whether `path` was read.
    pub fn contains(&self, path: &Path) -> bool {
        self.file_of(path).is_some()
    }

    /// Every distinct path read.
    pub fn paths(&self) -> Vec<PathBuf> {
        let mut paths: Vec<PathBuf> = self
            .config
            .sources
            .iter()
            .map(|(_, f)| normalize(&f.path))
            .collect();
        paths.sort();
        paths.dedup();
        paths
    }
}
