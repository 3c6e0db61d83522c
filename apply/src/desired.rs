//! The desired state: per configured jail, its kernel parameters as written,
//! its pseudo-parameters, dependencies and whether it is a single-process
//! (ephemeral) jail.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

use jailconf_parser::params::{self, Modifiable, ParamKind};
use jailconf_parser::Jail;

use crate::fingerprint;
use crate::input::ConfigInput;

/// One kernel parameter as the configuration sets it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelParam {
    /// The name as written (`allow.noraw_sockets`).
    pub written: String,
    /// Whether the name is the `no` form of a boolean.
    pub negated: bool,
    /// The values, in order; empty for a parameter given without a value.
    pub values: Vec<String>,
}

/// One configured jail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredJail {
    /// The jail's (dotted) name.
    pub name: String,
    /// The root file jail(8) is given with `-f` for this jail.
    pub config_file: String,
    /// Kernel parameters the configuration sets, keyed by positive name
    /// (`allow.raw_sockets` for `allow.noraw_sockets`). `name` is left out
    /// (it is the key), and so are read-only parameters (the kernel never
    /// takes them).
    pub kernel: BTreeMap<String, KernelParam>,
    /// Pseudo-parameters (`exec.*`, `mount*`, `interface`, …) with their
    /// values; booleans under their positive name as `["true"]`/`["false"]`.
    pub pseudo: BTreeMap<String, Vec<String>>,
    /// The jails this one depends on (`depend`).
    pub depend: Vec<String>,
    /// A single-process jail: `command` without `persist`; it ends with its
    /// command, so apply never starts it.
    pub ephemeral: bool,
}

impl DesiredJail {
    /// Builds the desired state of `jail`, defined in `config_file`.
    pub fn from_jail(jail: &Jail, config_file: &str) -> DesiredJail {
        let mut kernel = BTreeMap::new();
        let mut pseudo = BTreeMap::new();
        for param in &jail.params {
            let written = text(&param.name);
            let values: Vec<String> = param
                .values
                .iter()
                .map(|v| text(&v.text).into_owned())
                .collect();
            let known = params::lookup_with_no_prefix(&written);
            match known {
                Some((info, negated)) if info.kind == ParamKind::Pseudo => {
                    if info.is_bool() {
                        let value = bool_value(&values, negated).unwrap_or(true);
                        pseudo.insert(info.name.to_string(), vec![value.to_string()]);
                    } else {
                        pseudo.insert(info.name.to_string(), values);
                    }
                }
                Some((info, _)) if info.name == "name" => {}
                Some((info, _)) if info.modifiable == Modifiable::ReadOnly => {}
                Some((info, negated)) => {
                    kernel.insert(
                        info.name.to_string(),
                        KernelParam {
                            written: written.into_owned(),
                            negated,
                            values,
                        },
                    );
                }
                // Unknown names go to the kernel as jail(8) passes them.
                None => {
                    kernel.insert(
                        written.to_string(),
                        KernelParam {
                            written: written.into_owned(),
                            negated: false,
                            values,
                        },
                    );
                }
            }
        }
        let depend = pseudo
            .get("depend")
            .map(|names| {
                names
                    .iter()
                    .map(|n| n.trim().to_string())
                    .filter(|n| !n.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let persist = kernel
            .get("persist")
            .is_some_and(|p| bool_value(&p.values, p.negated).unwrap_or(true));
        let ephemeral = pseudo.contains_key("command") && !persist;
        DesiredJail {
            name: text(&jail.name).into_owned(),
            config_file: config_file.to_string(),
            kernel,
            pseudo,
            depend,
            ephemeral,
        }
    }

    /// The parent in the hierarchy (`a` for `a.b`).
    pub fn parent(&self) -> Option<&str> {
        self.name.rsplit_once('.').map(|(parent, _)| parent)
    }
}

/// `bytes` as text, invalid UTF-8 replaced (`str::from_utf8` first: it
/// checks ASCII a word at a time, which `from_utf8_lossy` does not).
fn text(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// A boolean written with `values` (the last one counts; none = true),
/// inverted for the `no` form. `None` when the value is not a boolean.
pub fn bool_value(values: &[String], negated: bool) -> Option<bool> {
    let value = match values.last() {
        None => true,
        Some(text) => parse_bool(text)?,
    };
    Some(value != negated)
}

/// libjail's boolean syntax: `true`/`false` in any case, or an integer.
pub fn parse_bool(text: &str) -> Option<bool> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        text.parse::<i64>().ok().map(|n| n != 0)
    }
}

/// Every configured jail of a host.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Desired {
    /// The jails in configuration order (root files in order).
    pub jails: Vec<DesiredJail>,
    /// [`fingerprint::config_digest`] of every file read: part of a plan's
    /// fingerprint.
    pub config_digest: String,
}

/// A jail defined in two root files: jail(8) would run it from either.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicateJail {
    /// The jail.
    pub jail: String,
    /// The first root file defining it.
    pub first: String,
    /// The second one.
    pub second: String,
}

impl fmt::Display for DuplicateJail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "jail `{}` is defined in both {} and {}",
            self.jail, self.first, self.second
        )
    }
}

impl std::error::Error for DuplicateJail {}

impl Desired {
    /// The desired state of every jail of `input`. A jail defined in two
    /// root files is an error (within one file, jail(8) merges the blocks).
    pub fn from_input(input: &ConfigInput) -> Result<Desired, DuplicateJail> {
        let mut jails: Vec<DesiredJail> = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for root in &input.roots {
            let file = root.path.to_string_lossy();
            for jail in &root.config.jails {
                let desired = DesiredJail::from_jail(jail, &file);
                match seen.get(&desired.name).map(|&index| &jails[index]) {
                    Some(first) if first.config_file != desired.config_file => {
                        return Err(DuplicateJail {
                            jail: desired.name,
                            first: first.config_file.clone(),
                            second: file.into_owned(),
                        });
                    }
                    // Two blocks of one name in one file: jail(8) works
                    // with the first (lint reports the duplicate).
                    Some(_) => {}
                    None => {
                        seen.insert(desired.name.clone(), jails.len());
                        jails.push(desired);
                    }
                }
            }
        }
        Ok(Desired {
            jails,
            config_digest: fingerprint::config_digest(&input.texts()),
        })
    }

    /// The jail with this name.
    pub fn get(&self, name: &str) -> Option<&DesiredJail> {
        self.jails.iter().find(|j| j.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jailconf_parser::{Config, MainFile, NoFiles, Target};

    fn jails(text: &str) -> Vec<DesiredJail> {
        let config = Config::load(
            MainFile::from_path("t.conf", text.as_bytes().to_vec()),
            &NoFiles,
            Target::V15,
        );
        config
            .jails
            .iter()
            .map(|j| DesiredJail::from_jail(j, "t.conf"))
            .collect()
    }

    #[test]
    fn splits_kernel_and_pseudo() {
        let jail = &jails(
            "web { path = /j; allow.noraw_sockets; exec.clean; mount.nodevfs; depend = a, b; \
             dying; exec.start = \"/bin/sh /etc/rc\"; meta.x = 1; }",
        )[0];
        assert_eq!(
            jail.kernel.keys().collect::<Vec<_>>(),
            ["allow.raw_sockets", "meta.x", "path"]
        );
        assert!(jail.kernel["allow.raw_sockets"].negated);
        assert_eq!(jail.pseudo["exec.clean"], ["true"]);
        assert_eq!(jail.pseudo["mount.devfs"], ["false"]);
        assert_eq!(jail.depend, ["a", "b"]);
        assert!(!jail.ephemeral);
        assert_eq!(jail.parent(), None);
    }

    #[test]
    fn ephemeral_jails() {
        let all = jails(
            "shell { command = /sh; } kept { command = /sh; persist; } \
             off { command = /sh; persist = 0; } a.b { }",
        );
        assert!(all[0].ephemeral);
        assert!(!all[1].ephemeral);
        assert!(all[2].ephemeral);
        assert_eq!(all[3].parent(), Some("a"));
    }

    #[test]
    fn booleans() {
        assert_eq!(parse_bool("TRUE"), Some(true));
        assert_eq!(parse_bool("0"), Some(false));
        assert_eq!(parse_bool("yes"), None);
        assert_eq!(bool_value(&[], true), Some(false));
        assert_eq!(bool_value(&["0".into()], true), Some(true));
    }
}
