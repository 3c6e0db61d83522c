//! Document links: each `.include` value links to the file it reads (or,
//! for a glob, to the folder it searches).

use std::ops::Range;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use jailconf_parser::source::FileId;

use crate::analysis::Analysis;

/// A link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// The file the link is in.
    pub file: FileId,
    /// The `.include` value.
    pub range: Range<u32>,
    /// Where it leads.
    pub target: PathBuf,
    /// What it reads.
    pub tooltip: String,
}

/// The links of `file`.
pub fn links(analysis: &Analysis, file: FileId) -> Vec<Link> {
    let config = &analysis.config;
    config
        .includes
        .iter()
        .filter(|d| d.span.file == file)
        .filter_map(|directive| {
            let pattern = Path::new(std::ffi::OsStr::from_bytes(&directive.pattern));
            let names: Vec<String> = directive
                .files
                .iter()
                .map(|&f| config.sources.get(f).path.display().to_string())
                .collect();
            let (target, tooltip) = if directive.is_glob {
                let dir = directive
                    .pattern
                    .iter()
                    .rposition(|&b| b == b'/')
                    .map(|slash| {
                        PathBuf::from(std::ffi::OsStr::from_bytes(&directive.pattern[..slash]))
                    })?;
                let tooltip = if names.is_empty() {
                    format!("{} matches no file", pattern.display())
                } else {
                    format!("reads {}", names.join(", "))
                };
                (dir, tooltip)
            } else {
                (
                    pattern.to_path_buf(),
                    format!("reads {}", pattern.display()),
                )
            };
            Some(Link {
                file,
                range: directive.span.range.clone(),
                target,
                tooltip,
            })
        })
        .collect()
}
