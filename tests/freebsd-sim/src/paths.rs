//! Mapping the simulated host's absolute paths into the state directory:
//! `/jail/classic` is `$JAILCONF_SIM_STATE/root/jail/classic`. `..` never
//! climbs above the simulated root, so nothing outside the state directory
//! is ever touched.

use std::path::{Component, Path, PathBuf};

/// The simulated root directory inside a state directory.
pub fn root(state_dir: &Path) -> PathBuf {
    state_dir.join("root")
}

/// Normalises a simulated absolute path lexically: collapses `//` and `.`,
/// resolves `..` without going above `/`. Relative paths are taken
/// relative to `/`.
pub fn normalize(path: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    for component in Path::new(path).components() {
        match component {
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            Component::ParentDir => {
                parts.pop();
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    format!("/{}", parts.join("/"))
}

/// The real location of simulated path `path`.
pub fn map(state_dir: &Path, path: &str) -> PathBuf {
    let normal = normalize(path);
    let mut real = root(state_dir);
    for part in normal.split('/').filter(|p| !p.is_empty()) {
        real.push(part);
    }
    real
}

/// Whether simulated path `path` is `dir` or below it.
pub fn is_under(path: &str, dir: &str) -> bool {
    let path = normalize(path);
    let dir = normalize(dir);
    dir == "/" || path == dir || path.starts_with(&format!("{dir}/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes() {
        assert_eq!(normalize("/jail//classic/"), "/jail/classic");
        assert_eq!(normalize("/../../etc"), "/etc");
        assert_eq!(normalize("jail/./x/../y"), "/jail/y");
        assert_eq!(normalize("/"), "/");
    }

    #[test]
    fn maps_below_root() {
        let state = Path::new("/tmp/s");
        assert_eq!(
            map(state, "/jail/classic"),
            Path::new("/tmp/s/root/jail/classic")
        );
        assert_eq!(
            map(state, "/../../etc/passwd"),
            Path::new("/tmp/s/root/etc/passwd")
        );
        assert_eq!(map(state, "/"), Path::new("/tmp/s/root"));
    }

    #[test]
    fn under() {
        assert!(is_under("/jail/classic/dev", "/jail/classic"));
        assert!(!is_under("/jail/classic2", "/jail/classic"));
        assert!(is_under("/x", "/"));
    }
}
