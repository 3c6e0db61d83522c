//! The jail parameters known to jail(8) and the kernel: kernel parameters
//! (`jail_set(2)`) and jail(8)'s own pseudo-parameters (`exec.*`, `mount.*`,
//! ...).
//!
//! The table is compiled in by `build.rs` from `data/jail-params.tsv`.

use serde::Serialize;

use crate::Target;

/// Who interprets a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ParamKind {
    /// A kernel parameter, passed to `jail_set(2)`.
    Kernel,
    /// A jail(8) pseudo-parameter, never seen by the kernel.
    Pseudo,
}

/// The value type of a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ValueType {
    /// Signed integer.
    Int,
    /// Unsigned long.
    Ulong,
    /// Free text.
    String,
    /// Boolean; accepts the `no` name prefix for false.
    Bool,
    /// `disable`, `new` or `inherit` (see [`Param::jailsys_values`]).
    Jailsys,
    /// List of IPv4 addresses.
    Ip4List,
    /// List of IPv6 addresses.
    Ip6List,
    /// Opaque structure given as text (e.g. a MAC label).
    Struct,
    /// List of shell commands, run in order.
    CommandList,
    /// Other list of strings (interfaces, datasets, fstab lines, ...).
    List,
}

/// Whether a parameter can be changed on a running jail (`jail -m`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Modifiable {
    /// Can be changed at runtime (possibly with caveats, see
    /// [`Param::modifiable_note`]).
    Yes,
    /// Can only be set when the jail is created.
    CreateOnly,
    /// Reported by the kernel, never set.
    ReadOnly,
    /// A pseudo-parameter: not a kernel setting.
    NotApplicable,
}

/// One known jail parameter.
#[derive(Debug, Serialize)]
pub struct Param {
    /// Full parameter name, e.g. `ip4.addr`.
    pub name: &'static str,
    /// Kernel parameter or jail(8) pseudo-parameter.
    pub kind: ParamKind,
    /// Value type.
    pub value_type: ValueType,
    /// The type column's parenthesised detail, e.g. `"absolute path"` or
    /// `"new|inherit"`; `""` if none.
    pub type_detail: &'static str,
    /// Default value, described in prose.
    pub default: &'static str,
    /// Runtime modifiability.
    pub modifiable: Modifiable,
    /// The `runtime_modifiable` column verbatim, for hover text.
    pub modifiable_note: &'static str,
    /// First FreeBSD release with this parameter as `(major, minor)`; `None`
    /// when unknown.
    pub since: Option<(u32, u32)>,
    /// One-paragraph description.
    pub summary: &'static str,
}

impl Param {
    /// Jailsys values this parameter accepts, from `type_detail` (e.g.
    /// `["new", "inherit"]`); empty for non-jailsys parameters.
    pub fn jailsys_values(&self) -> impl Iterator<Item = &'static str> {
        let detail = if self.value_type == ValueType::Jailsys {
            self.type_detail
        } else {
            ""
        };
        detail.split('|').filter(|value| !value.is_empty())
    }

    /// Whether the value is a list (every value is used: ip4list, ip6list,
    /// command list, list) rather than a scalar (only the last value is used).
    pub fn is_list(&self) -> bool {
        matches!(
            self.value_type,
            ValueType::Ip4List | ValueType::Ip6List | ValueType::CommandList | ValueType::List
        )
    }

    /// Whether the parameter exists on `target`; an unknown `since` counts as
    /// available everywhere.
    pub fn available_in(&self, target: Target) -> bool {
        match self.since {
            Some((major, _)) => major <= target.major(),
            None => true,
        }
    }

    /// Whether the parameter is a boolean.
    pub fn is_bool(&self) -> bool {
        self.value_type == ValueType::Bool
    }
}

include!(concat!(env!("OUT_DIR"), "/params_table.rs"));

/// All known parameters, sorted by name.
pub fn all() -> &'static [Param] {
    PARAMS
}

/// Exact lookup by name.
pub fn lookup(name: &str) -> Option<&'static Param> {
    PARAMS
        .binary_search_by(|param| param.name.cmp(name))
        .ok()
        .and_then(|index| PARAMS.get(index))
}

/// Lookup that also accepts jail(8)'s `no` prefix on the last name component
/// of a boolean (`nopersist`, `allow.nomount`, `allow.mount.nodevfs`).
/// Returns the parameter and whether the name was negated. An exact match
/// wins; only boolean parameters accept the `no` form.
pub fn lookup_with_no_prefix(name: &str) -> Option<(&'static Param, bool)> {
    if let Some(param) = lookup(name) {
        return Some((param, false));
    }
    let (prefix, last) = match name.rsplit_once('.') {
        Some((prefix, last)) => (Some(prefix), last),
        None => (None, name),
    };
    let positive_last = last.strip_prefix("no").filter(|rest| !rest.is_empty())?;
    let param = match prefix {
        Some(prefix) => lookup(&format!("{prefix}.{positive_last}")),
        None => lookup(positive_last),
    }?;
    param.is_bool().then_some((param, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TSV: &str = include_str!("../data/jail-params.tsv");

    fn get(name: &str) -> &'static Param {
        lookup(name).unwrap_or_else(|| panic!("`{name}` missing from the table"))
    }

    fn jailsys(name: &str) -> Vec<&'static str> {
        get(name).jailsys_values().collect()
    }

    #[test]
    fn table_matches_tsv() {
        let rows: Vec<&str> = TSV.lines().skip(1).filter(|l| !l.is_empty()).collect();
        assert_eq!(all().len(), rows.len());
        for row in rows {
            let name = row.split('\t').next().unwrap_or_default();
            assert_eq!(get(name).name, name);
        }
    }

    #[test]
    fn names_unique_and_sorted() {
        assert!(all().windows(2).all(|w| w[0].name < w[1].name));
    }

    #[test]
    fn every_entry_is_found() {
        for param in all() {
            assert!(std::ptr::eq(get(param.name), param));
        }
        assert!(lookup("").is_none());
        assert!(lookup("no.such.param").is_none());
    }

    #[test]
    fn path() {
        let path = get("path");
        assert_eq!(path.kind, ParamKind::Kernel);
        assert_eq!(path.value_type, ValueType::String);
        assert_eq!(path.type_detail, "absolute path");
        assert_eq!(path.modifiable, Modifiable::CreateOnly);
        assert_eq!(path.modifiable_note, "no (create-only)");
        assert_eq!(path.since, Some((8, 0)));
        assert!(!path.is_list());
        assert!(!path.is_bool());
    }

    #[test]
    fn ip4_addr() {
        let addr = get("ip4.addr");
        assert_eq!(addr.value_type, ValueType::Ip4List);
        assert_eq!(addr.modifiable, Modifiable::Yes);
        assert!(addr.modifiable_note.starts_with("yes ("));
        assert!(addr.is_list());
        assert_eq!(addr.jailsys_values().count(), 0);
    }

    #[test]
    fn jailsys_values() {
        assert_eq!(get("vnet").value_type, ValueType::Jailsys);
        assert_eq!(jailsys("vnet"), ["new", "inherit"]);
        assert_eq!(jailsys("ip4"), ["disable", "new", "inherit"]);
        assert_eq!(jailsys("ip6"), ["disable", "new", "inherit"]);
    }

    #[test]
    fn exec_start() {
        let start = get("exec.start");
        assert_eq!(start.kind, ParamKind::Pseudo);
        assert_eq!(start.value_type, ValueType::CommandList);
        assert_eq!(start.modifiable, Modifiable::NotApplicable);
        assert!(start.is_list());
    }

    #[test]
    fn securelevel_is_scalar() {
        let securelevel = get("securelevel");
        assert_eq!(securelevel.value_type, ValueType::Int);
        assert!(!securelevel.is_list());
        assert!(!securelevel.is_bool());
    }

    #[test]
    fn zfs_dataset() {
        let dataset = get("zfs.dataset");
        assert_eq!(dataset.kind, ParamKind::Pseudo);
        assert_eq!(dataset.value_type, ValueType::List);
        assert_eq!(dataset.type_detail, "datasets");
        assert!(dataset.is_list());
        // Added to jail(8) for FreeBSD 15.0.
        assert_eq!(dataset.since, Some((15, 0)));
        assert!(!dataset.available_in(Target::V14));
        assert!(dataset.available_in(Target::V15));
    }

    #[test]
    fn meta_since_15() {
        let meta = get("meta");
        assert_eq!(meta.since, Some((15, 0)));
        assert!(!meta.available_in(Target::V13));
        assert!(!meta.available_in(Target::V14));
        assert!(meta.available_in(Target::V15));
        assert!(get("path").available_in(Target::V13));
    }

    #[test]
    fn no_prefix() {
        let negated = |name: &str| lookup_with_no_prefix(name).map(|(p, neg)| (p.name, neg));
        assert_eq!(negated("allow.nomount"), Some(("allow.mount", true)));
        assert_eq!(negated("nopersist"), Some(("persist", true)));
        assert_eq!(
            negated("allow.mount.nodevfs"),
            Some(("allow.mount.devfs", true))
        );
        assert_eq!(negated("mount.nodevfs"), Some(("mount.devfs", true)));
        assert_eq!(negated("ip4.nosaddrsel"), Some(("ip4.saddrsel", true)));
        assert_eq!(negated("persist"), Some(("persist", false)));
        assert_eq!(negated("securelevel"), Some(("securelevel", false)));
    }

    #[test]
    fn no_prefix_rejects() {
        // Not a boolean.
        assert!(lookup_with_no_prefix("nosecurelevel").is_none());
        assert!(lookup_with_no_prefix("ip4.noaddr").is_none());
        // Unknown names are not invented.
        assert!(lookup_with_no_prefix("allow.mount.nofoofs").is_none());
        assert!(lookup_with_no_prefix("allow.mount.foofs").is_none());
        // `no` must be on the last component, followed by a name.
        assert!(lookup_with_no_prefix("noallow.mount").is_none());
        assert!(lookup_with_no_prefix("no").is_none());
        assert!(lookup_with_no_prefix("allow.no").is_none());
        assert!(lookup_with_no_prefix("nonopersist").is_none());
    }

    #[test]
    fn serializes_kebab_case() {
        let json = serde_json::to_value(get("exec.start")).ok();
        let field = |key: &str| json.as_ref().and_then(|j| j.get(key)).cloned();
        assert_eq!(field("kind"), Some("pseudo".into()));
        assert_eq!(field("value_type"), Some("command-list".into()));
        assert_eq!(field("modifiable"), Some("not-applicable".into()));
    }
}
