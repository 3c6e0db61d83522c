//! Open documents and the configurations they belong to.
//!
//! A document belongs to a project: the set of top-level files jail(8)
//! (and `jailconf lint`) would read together.
//!
//! * A file in a `jail.conf.d` folder: every `*.conf` file of that folder,
//!   after the `jail.conf` beside the folder when there is one (as the CLI
//!   reads `/etc/jail.conf` and `/etc/jail.conf.d/*.conf`).
//! * A `jail.conf` with a `jail.conf.d` folder beside it: the same.
//! * A file another project includes: that project.
//! * Anything else: the file alone (with what it includes).
//!
//! Analyses are cached per project until a document changes.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::analysis::Analysis;

/// An open document.
pub struct Document {
    /// The text as the editor has it.
    pub text: String,
    /// The editor's version of it.
    pub version: i32,
}

/// A project: its top-level files.
pub type ProjectKey = Vec<PathBuf>;

/// Open documents and cached analyses.
#[derive(Default)]
pub struct Workspace {
    docs: BTreeMap<PathBuf, Document>,
    /// Buffers for the loader, kept in step with `docs`.
    overlays: HashMap<PathBuf, Vec<u8>>,
    analyses: HashMap<ProjectKey, Arc<Analysis>>,
    /// Analyses replaced by a change, dropped once the new diagnostics are
    /// out (freeing a large configuration takes a while).
    stale: Vec<Arc<Analysis>>,
    /// Included (non-root) files of analysed projects, to find the project
    /// of an included file opened on its own.
    included_by: HashMap<PathBuf, ProjectKey>,
}

impl Workspace {
    /// Opens (or reopens) a document; returns the open documents whose
    /// diagnostics may change.
    pub fn open(&mut self, path: PathBuf, text: String, version: i32) -> Vec<PathBuf> {
        self.overlays.insert(path.clone(), text.as_bytes().to_vec());
        self.docs.insert(path.clone(), Document { text, version });
        self.touch(&path)
    }

    /// A document by path.
    pub fn document(&mut self, path: &Path) -> Option<&mut Document> {
        self.docs.get_mut(path)
    }

    /// Replaces a document's text after the editor changed it; returns the
    /// open documents whose diagnostics may change.
    pub fn update(&mut self, path: &Path, text: String, version: i32) -> Vec<PathBuf> {
        if let Some(doc) = self.docs.get_mut(path) {
            self.overlays
                .insert(path.to_path_buf(), text.as_bytes().to_vec());
            doc.text = text;
            doc.version = version;
        }
        self.touch(path)
    }

    /// Closes a document (the disk is read for it from now on); returns
    /// the open documents whose diagnostics may change.
    pub fn close(&mut self, path: &Path) -> Vec<PathBuf> {
        let affected = self.touch(path);
        self.docs.remove(path);
        self.overlays.remove(path);
        affected.into_iter().filter(|p| p != path).collect()
    }

    /// Forgets every analysis (files changed on disk); returns every open
    /// document.
    pub fn invalidate_all(&mut self) -> Vec<PathBuf> {
        for (_, analysis) in self.analyses.drain() {
            analysis.mark_replaced();
            self.stale.push(analysis);
        }
        self.open_paths()
    }

    /// Forgets the analyses `path` takes part in (or may now take part in,
    /// as a member of a `jail.conf.d` folder); returns the open documents
    /// they concern.
    fn touch(&mut self, path: &Path) -> Vec<PathBuf> {
        let dir = path.parent();
        let stale: Vec<ProjectKey> = self
            .analyses
            .iter()
            .filter(|(key, analysis)| {
                analysis.contains(path) || key.iter().any(|root| root.parent() == dir)
            })
            .map(|(key, _)| key.clone())
            .collect();
        for key in &stale {
            if let Some(analysis) = self.analyses.remove(key) {
                analysis.mark_replaced();
                self.stale.push(analysis);
            }
        }
        let mut affected: Vec<PathBuf> = self
            .docs
            .keys()
            .filter(|doc| {
                doc.as_path() == path
                    || doc.parent() == dir
                    || stale.contains(&self.project_of(doc))
            })
            .cloned()
            .collect();
        affected.sort();
        affected
    }

    /// Paths of the open documents.
    pub fn open_paths(&self) -> Vec<PathBuf> {
        self.docs.keys().cloned().collect()
    }

    /// The version of an open document.
    pub fn version(&self, path: &Path) -> Option<i32> {
        self.docs.get(path).map(|d| d.version)
    }

    /// The project `path` belongs to.
    pub fn project_of(&self, path: &Path) -> ProjectKey {
        let natural = natural_project(path, &self.docs);
        if natural.len() == 1 {
            if let Some(owner) = self.included_by.get(path) {
                if owner.iter().any(|root| root != path) {
                    return owner.clone();
                }
            }
        }
        natural
    }

    /// The analysis of the project `path` belongs to (cached).
    pub fn analysis(&mut self, path: &Path) -> Arc<Analysis> {
        let key = self.project_of(path);
        if let Some(analysis) = self.analyses.get(&key) {
            return analysis.clone();
        }
        let analysis = Arc::new(Analysis::build(&key, &self.overlays));
        for included in analysis.paths() {
            if !key.contains(&included) {
                self.included_by.insert(included, key.clone());
            }
        }
        self.analyses.insert(key, analysis.clone());
        analysis
    }

    /// Once diagnostics are out, on another thread: builds the semantic
    /// index of the analyses just published (so that it does not compete
    /// with lint for the cores) and frees the analyses that changes
    /// replaced (freeing a large configuration takes tens of
    /// milliseconds).
    pub fn after_publish(&mut self, published: Vec<Arc<Analysis>>) {
        let stale = std::mem::take(&mut self.stale);
        let unindexed: Vec<Arc<Analysis>> = published
            .into_iter()
            .filter(|analysis| !analysis.has_index())
            .collect();
        if stale.is_empty() && unindexed.is_empty() {
            return;
        }
        // When no thread can be started, the closure is dropped here: the
        // analyses are freed now and the index is built on first use.
        let _ = std::thread::Builder::new()
            .name("jailconf-lsp-background".to_string())
            .spawn(move || {
                // Freed first: the memory may be needed.
                drop(stale);
                for analysis in unindexed {
                    analysis.prepare_index();
                }
            });
    }

    /// The analyses of every open document's configuration.
    pub fn all_analyses(&mut self) -> Vec<Arc<Analysis>> {
        let mut out: Vec<Arc<Analysis>> = Vec::new();
        for path in self.open_paths() {
            let analysis = self.analysis(&path);
            if !out.iter().any(|a| Arc::ptr_eq(a, &analysis)) {
                out.push(analysis);
            }
        }
        out
    }
}

/// The top-level files read with `path`, before includes are known.
fn natural_project(path: &Path, docs: &BTreeMap<PathBuf, Document>) -> ProjectKey {
    let Some(dir) = path.parent().filter(|_| path.is_absolute()) else {
        return vec![path.to_path_buf()];
    };
    let (main, conf_d) = if dir.file_name().is_some_and(|n| n == "jail.conf.d") {
        (dir.parent().map(|p| p.join("jail.conf")), dir.to_path_buf())
    } else if path.file_name().is_some_and(|n| n == "jail.conf") && dir.join("jail.conf.d").is_dir()
    {
        (Some(path.to_path_buf()), dir.join("jail.conf.d"))
    } else {
        return vec![path.to_path_buf()];
    };
    let mut roots = Vec::new();
    if let Some(main) = main.filter(|m| m.is_file() || docs.contains_key(m)) {
        roots.push(main);
    }
    let mut confs: Vec<PathBuf> = std::fs::read_dir(&conf_d)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "conf") && p.is_file())
                .collect()
        })
        .unwrap_or_default();
    confs.extend(
        docs.keys()
            .filter(|p| p.parent() == Some(conf_d.as_path()))
            .filter(|p| p.extension().is_some_and(|e| e == "conf"))
            .cloned(),
    );
    confs.sort();
    confs.dedup();
    roots.extend(confs);
    if !roots.iter().any(|r| r == path) {
        roots.push(path.to_path_buf());
    }
    roots
}
