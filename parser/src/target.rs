//! The FreeBSD release whose jail(8) semantics to follow.

use std::fmt;
use std::str::FromStr;

/// A FreeBSD major release. The grammar, the set of names jail(8) reserves
/// and the kernel's parameters differ between them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Target {
    /// FreeBSD 13.x: the old grammar (no nested blocks, no `.include`,
    /// CR is a stray character, top-level statements grouped by position).
    #[serde(rename = "13")]
    V13,
    /// FreeBSD 14.x: nested blocks, `.include`, one global section.
    #[serde(rename = "14")]
    V14,
    /// FreeBSD 15.x (the default): as 14, plus the `name` back-fill for
    /// numeric block names and `zfs.dataset`.
    #[default]
    #[serde(rename = "15")]
    V15,
}

impl Target {
    /// Every supported target, oldest first.
    pub const ALL: [Target; 3] = [Target::V13, Target::V14, Target::V15];

    /// The release's major version number.
    pub fn major(self) -> u32 {
        match self {
            Target::V13 => 13,
            Target::V14 => 14,
            Target::V15 => 15,
        }
    }

    /// The 14.0+ grammar: nested blocks, `.include`, CR as whitespace and a
    /// single global pseudo-jail.
    pub fn new_grammar(self) -> bool {
        self >= Target::V14
    }

    /// Whether a jail with a numeric block name gets `name` appended.
    pub fn backfills_numeric_name(self) -> bool {
        self >= Target::V15
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.major())
    }
}

/// Error for an unsupported `--target` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownTarget(pub String);

impl fmt::Display for UnknownTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown FreeBSD release `{}` (expected 13, 14 or 15)",
            self.0
        )
    }
}

impl std::error::Error for UnknownTarget {}

impl FromStr for Target {
    type Err = UnknownTarget;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let major = s.split('.').next().unwrap_or(s);
        match major {
            "13" => Ok(Target::V13),
            "14" => Ok(Target::V14),
            "15" => Ok(Target::V15),
            _ => Err(UnknownTarget(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_major_and_point_releases() {
        assert_eq!("13".parse(), Ok(Target::V13));
        assert_eq!("14.2".parse(), Ok(Target::V14));
        assert_eq!("15.0".parse(), Ok(Target::V15));
        assert!("12".parse::<Target>().is_err());
        assert_eq!(Target::default(), Target::V15);
    }
}
