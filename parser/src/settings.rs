//! `jailconf.toml`: per-project settings, found upward from the checked
//! file. Shared by the CLI, the formatter, the linter and the language
//! server, so they all read the same file the same way.
//!
//! ```toml
//! target = "14"          # FreeBSD release to follow
//!
//! [format]
//! indent = 4             # spaces, or "tab"
//! align = true           # align `=` in runs of assignments
//! max_width = 100        # wrap long value lists
//!
//! [lint]
//! select = ["JC001"]     # only these rules (default: all)
//! ignore = ["JC040"]
//! severity = { JC012 = "error" }
//!
//! [host]
//! rc_conf = "/etc/rc.conf"
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::Target;

/// The settings file's name.
pub const FILE_NAME: &str = "jailconf.toml";

/// Indentation of the formatter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Indent {
    /// This many spaces.
    Spaces(u8),
    /// One tab.
    Tab,
}

impl Default for Indent {
    fn default() -> Self {
        Indent::Spaces(4)
    }
}

impl<'de> Deserialize<'de> for Indent {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(u8),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Number(n) if n <= 16 => Ok(Indent::Spaces(n)),
            Raw::Number(n) => Err(serde::de::Error::custom(format!(
                "indent of {n} spaces is more than 16"
            ))),
            Raw::Text(t) if t == "tab" => Ok(Indent::Tab),
            Raw::Text(t) => Err(serde::de::Error::custom(format!(
                "indent must be a number of spaces or \"tab\", not {t:?}"
            ))),
        }
    }
}

/// `[format]`: every key optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormatSettings {
    /// Indentation.
    pub indent: Option<Indent>,
    /// Align `=`/`+=` within runs of consecutive assignments.
    pub align: Option<bool>,
    /// Width past which value lists wrap one per line.
    pub max_width: Option<usize>,
}

/// A severity override in `[lint] severity`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SeverityOverride {
    /// Report as an error.
    Error,
    /// Report as a warning.
    Warning,
    /// Report as information.
    Info,
    /// Do not report.
    Off,
}

/// `[lint]`: every key optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LintSettings {
    /// Only these rules (codes or names).
    pub select: Option<Vec<String>>,
    /// Never these rules.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Severity per rule.
    #[serde(default)]
    pub severity: BTreeMap<String, SeverityOverride>,
}

/// `[host]`: facts about the host the configuration is for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostSettings {
    /// The host's rc.conf (relative paths are relative to the settings file).
    pub rc_conf: Option<PathBuf>,
}

/// The whole file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The FreeBSD release to follow.
    #[serde(default, deserialize_with = "deserialize_target")]
    pub target: Option<Target>,
    /// `[format]`.
    #[serde(default)]
    pub format: FormatSettings,
    /// `[lint]`.
    #[serde(default)]
    pub lint: LintSettings,
    /// `[host]`.
    #[serde(default)]
    pub host: HostSettings,
}

fn deserialize_target<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Target>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Number(u32),
        Text(String),
    }
    let text = match Raw::deserialize(deserializer)? {
        Raw::Number(n) => n.to_string(),
        Raw::Text(t) => t,
    };
    text.parse().map(Some).map_err(serde::de::Error::custom)
}

/// Settings read from a file, with the file's path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadedSettings {
    /// Where they came from.
    pub path: PathBuf,
    /// The settings.
    pub settings: Settings,
}

impl LoadedSettings {
    /// A path from the settings, made absolute against the file's folder.
    pub fn resolve(&self, path: &Path) -> PathBuf {
        match self.path.parent() {
            Some(dir) if path.is_relative() => dir.join(path),
            _ => path.to_path_buf(),
        }
    }
}

/// A settings file that cannot be read or parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingsError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for SettingsError {}

/// Parses settings text.
pub fn parse_settings(text: &str) -> Result<Settings, String> {
    toml::from_str(text).map_err(|e| e.to_string())
}

/// Finds `jailconf.toml` in `start` (a file's folder) or the nearest
/// folder above it, and reads it. `Ok(None)` when there is none.
pub fn discover(start: &Path) -> Result<Option<LoadedSettings>, SettingsError> {
    let start = if start.as_os_str().is_empty() {
        Path::new(".")
    } else {
        start
    };
    let absolute = std::path::absolute(start).unwrap_or_else(|_| start.to_path_buf());
    for dir in absolute.ancestors() {
        let candidate = dir.join(FILE_NAME);
        if candidate.is_file() {
            return load(&candidate).map(Some);
        }
    }
    Ok(None)
}

/// Reads one settings file.
pub fn load(path: &Path) -> Result<LoadedSettings, SettingsError> {
    let error = |message: String| SettingsError {
        path: path.to_path_buf(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| error(e.to_string()))?;
    let settings = parse_settings(&text).map_err(error)?;
    Ok(LoadedSettings {
        path: path.to_path_buf(),
        settings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_section() {
        let settings = parse_settings(
            r#"
            target = 14
            [format]
            indent = "tab"
            align = false
            max_width = 80
            [lint]
            select = ["JC001"]
            ignore = ["JC002"]
            severity = { JC003 = "off" }
            [host]
            rc_conf = "rc.conf"
            "#,
        )
        .unwrap();
        assert_eq!(settings.target, Some(Target::V14));
        assert_eq!(settings.format.indent, Some(Indent::Tab));
        assert_eq!(settings.format.align, Some(false));
        assert_eq!(settings.format.max_width, Some(80));
        assert_eq!(
            settings.lint.select.as_deref(),
            Some(&["JC001".to_string()][..])
        );
        assert_eq!(settings.lint.severity["JC003"], SeverityOverride::Off);
        assert_eq!(settings.host.rc_conf.as_deref(), Some(Path::new("rc.conf")));
    }

    #[test]
    fn rejects_unknown_keys_and_bad_values() {
        assert!(parse_settings("[format]\nindnet = 2").is_err());
        assert!(parse_settings("target = \"12\"").is_err());
        assert!(parse_settings("[format]\nindent = \"two\"").is_err());
        assert_eq!(parse_settings("").unwrap(), Settings::default());
    }

    #[test]
    fn discovers_upward() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), "target = \"13\"\n").unwrap();
        let nested = dir.path().join("a/b");
        std::fs::create_dir_all(&nested).unwrap();
        let found = discover(&nested).unwrap().unwrap();
        assert_eq!(found.settings.target, Some(Target::V13));
        assert_eq!(
            found.resolve(Path::new("rc.conf")),
            dir.path().join("rc.conf")
        );
    }
}
