//! The record of what apply last applied.
//!
//! jls(8) cannot show pseudo-parameters (commands, mounts, interfaces), so
//! the engine remembers, per jail, the pseudo-parameters it created the
//! jail with. The plan compares the configuration with this record to
//! find changes that take effect on the next restart.
//!
//! The record is a JSON file (default [`DEFAULT_STATE_FILE`], or
//! `--state-file`, or `$JAILCONF_STATE_FILE`):
//!
//! ```json
//! {"schema": "jailconf.applied/1",
//!  "jails": {"web": {"jid": 3, "config_file": "/etc/jail.conf",
//!                    "pseudo": {"exec.start": ["/bin/sh /etc/rc"]}}}}
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::desired::DesiredJail;

/// Where the record lives unless told otherwise.
pub const DEFAULT_STATE_FILE: &str = "/var/db/jailconf/applied.json";
/// The environment variable overriding [`DEFAULT_STATE_FILE`].
pub const STATE_FILE_ENV: &str = "JAILCONF_STATE_FILE";
/// Schema name of the record file.
pub const RECORD_SCHEMA: &str = "jailconf.applied/1";

/// The whole record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Always [`RECORD_SCHEMA`].
    pub schema: String,
    /// Per jail name, what was applied.
    pub jails: BTreeMap<String, AppliedJail>,
}

impl Default for Record {
    fn default() -> Self {
        Record {
            schema: RECORD_SCHEMA.to_string(),
            jails: BTreeMap::new(),
        }
    }
}

/// What apply last did to one jail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedJail {
    /// The jid the jail got (a running jail with another jid was
    /// recreated by someone else: its record no longer applies).
    pub jid: u32,
    /// The configuration file jail(8) was given.
    pub config_file: String,
    /// The pseudo-parameters as applied (see [`DesiredJail::pseudo`]).
    pub pseudo: BTreeMap<String, Vec<String>>,
}

impl AppliedJail {
    /// The record of creating (or modifying) `jail`, now running as `jid`.
    pub fn from_desired(jail: &DesiredJail, jid: u32) -> AppliedJail {
        AppliedJail {
            jid,
            config_file: jail.config_file.clone(),
            pseudo: jail.pseudo.clone(),
        }
    }
}

/// Why the record could not be read or written.
#[derive(Debug)]
pub enum RecordError {
    /// Reading or writing failed.
    Io(PathBuf, io::Error),
    /// The file is not a record.
    Invalid(PathBuf, String),
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordError::Io(path, error) => write!(f, "{}: {error}", path.display()),
            RecordError::Invalid(path, message) => {
                write!(
                    f,
                    "{}: not a jailconf state file: {message}",
                    path.display()
                )
            }
        }
    }
}

impl std::error::Error for RecordError {}

/// The state file to use: `explicit` (`--state-file`), else
/// `$JAILCONF_STATE_FILE`, else [`DEFAULT_STATE_FILE`].
pub fn state_file(explicit: Option<&Path>) -> PathBuf {
    explicit
        .map(Path::to_path_buf)
        .or_else(|| {
            std::env::var_os(STATE_FILE_ENV)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .unwrap_or_else(|| PathBuf::from(DEFAULT_STATE_FILE))
}

/// Reads the record; a missing file is an empty record.
pub fn load(path: &Path) -> Result<Record, RecordError> {
    let text = match std::fs::read(path) {
        Ok(text) => text,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Record::default()),
        Err(error) => return Err(RecordError::Io(path.to_path_buf(), error)),
    };
    let record: Record = serde_json::from_slice(&text)
        .map_err(|e| RecordError::Invalid(path.to_path_buf(), e.to_string()))?;
    if record.schema != RECORD_SCHEMA {
        return Err(RecordError::Invalid(
            path.to_path_buf(),
            format!("unknown schema `{}`", record.schema),
        ));
    }
    Ok(record)
}

/// Writes the record through a temporary file in the same directory and a
/// rename (creating the directory if needed): readers see the old or the
/// new record, never a mix.
pub fn write_atomic(path: &Path, record: &Record) -> Result<(), RecordError> {
    let io_error = |error| RecordError::Io(path.to_path_buf(), error);
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(io_error)?;
    let mut text = serde_json::to_vec_pretty(record)
        .map_err(|e| RecordError::Invalid(path.to_path_buf(), e.to_string()))?;
    text.push(b'\n');
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "applied.json".to_string());
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = std::fs::File::create(&temp).and_then(|mut file| {
        file.write_all(&text)?;
        file.sync_all()
    });
    if let Err(error) = written.and_then(|()| std::fs::rename(&temp, path)) {
        let _ = std::fs::remove_file(&temp);
        return Err(io_error(error));
    }
    Ok(())
}

/// Records `applied` for `jail` (after a successful create, restart or
/// modify), or forgets the jail when `applied` is `None` (after a
/// removal): load, change, write atomically.
pub fn update(path: &Path, jail: &str, applied: Option<AppliedJail>) -> Result<(), RecordError> {
    let mut record = load(path)?;
    match applied {
        Some(applied) => {
            record.jails.insert(jail.to_string(), applied);
        }
        None => {
            record.jails.remove(jail);
        }
    }
    write_atomic(path, &record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let dir = std::env::temp_dir().join(format!("jailconf-record-{}", std::process::id()));
        let path = dir.join("sub/applied.json");
        assert_eq!(load(&path).unwrap(), Record::default());
        let applied = AppliedJail {
            jid: 4,
            config_file: "/etc/jail.conf".into(),
            pseudo: BTreeMap::from([("exec.start".to_string(), vec!["/bin/sh /etc/rc".into()])]),
        };
        update(&path, "web", Some(applied.clone())).unwrap();
        update(&path, "db", Some(applied.clone())).unwrap();
        update(&path, "db", None).unwrap();
        let record = load(&path).unwrap();
        assert_eq!(record.jails.len(), 1);
        assert_eq!(record.jails["web"], applied);
        std::fs::write(&path, "{}").unwrap();
        assert!(load(&path)
            .unwrap_err()
            .to_string()
            .contains("not a jailconf state file"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn state_file_choice() {
        assert_eq!(
            state_file(Some(Path::new("/x.json"))),
            PathBuf::from("/x.json")
        );
    }
}
