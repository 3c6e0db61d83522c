//! `freebsd-sim install DIR`, `freebsd-sim init …` and `freebsd-sim dump`.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use crate::error::SimError;
use crate::ifconfig::make_iface;
use crate::out;
use crate::paths;
use crate::state::{write_state, IfKind, Inet, Inet6, State, StateDir};
use crate::TOOLS;

/// Creates a symlink named after every tool in `dir`, pointing at this
/// binary.
pub fn install(args: &[String]) -> Result<i32, SimError> {
    let [dir] = args else {
        out::err("usage: freebsd-sim install DIR");
        return Ok(2);
    };
    install_into(Path::new(dir))?;
    Ok(0)
}

fn install_into(dir: &Path) -> Result<(), SimError> {
    let exe = std::env::current_exe().map_err(|e| SimError::io("current_exe", &e))?;
    std::fs::create_dir_all(dir).map_err(|e| SimError::io(dir.display(), &e))?;
    for tool in TOOLS {
        let link = dir.join(tool);
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&exe, &link).map_err(|e| SimError::io(link.display(), &e))?;
    }
    Ok(())
}

/// Prints the state as JSON.
pub fn dump(_args: &[String]) -> Result<i32, SimError> {
    let dir = StateDir::from_env()?;
    let locked = dir.lock()?;
    let text = serde_json::to_string_pretty(&locked.state)
        .map_err(|e| SimError::new(format!("cannot encode state: {e}")))?;
    drop(locked);
    out::out(&text);
    Ok(0)
}

fn add_address(state: &mut State, name: &str, address: &str) -> Result<(), SimError> {
    let bad = || SimError::new(format!("init: {name}={address}: expected ADDR/PREFIX"));
    let (addr, prefix) = address.split_once('/').ok_or_else(bad)?;
    let prefix: u8 = prefix.parse().map_err(|_| bad())?;
    let iface = state.iface_mut(None, name).ok_or_else(bad)?;
    if addr.contains(':') {
        let addr: Ipv6Addr = addr.parse().map_err(|_| bad())?;
        iface.inet6.push(Inet6 { addr, prefix });
    } else {
        let addr: Ipv4Addr = addr.parse().map_err(|_| bad())?;
        iface.inet.push(Inet { addr, prefix });
    }
    Ok(())
}

fn ensure_iface(state: &mut State, name: &str) {
    if state.iface(None, name).is_none() {
        let mut iface = make_iface(name, None);
        iface.up = true;
        state.interfaces.push(iface);
    }
}

/// Seeds a fresh simulated host in `$JAILCONF_SIM_STATE` (replacing any
/// previous state).
pub fn init(args: &[String]) -> Result<i32, SimError> {
    let dir = StateDir::from_env()?;
    std::fs::create_dir_all(&dir.dir).map_err(|e| SimError::io(dir.dir.display(), &e))?;
    // Take the lock (creating the lock file) so a concurrent tool waits.
    let lock_path = dir.dir.join("state.lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| SimError::io(lock_path.display(), &e))?;
    lock.lock()
        .map_err(|e| SimError::io(lock_path.display(), &e))?;
    let mut state = State::new();
    let root = dir.root();
    let _ = std::fs::remove_dir_all(&root);
    let _ = std::fs::remove_dir_all(dir.dir.join("zfs-snapshots"));
    for path in ["/etc", "/var/log", "/var/run"] {
        create_dir(&dir, path)?;
    }
    let mut lo0 = make_iface("lo0", None);
    lo0.up = true;
    lo0.inet.push(Inet {
        addr: Ipv4Addr::LOCALHOST,
        prefix: 8,
    });
    lo0.inet6.push(Inet6 {
        addr: Ipv6Addr::LOCALHOST,
        prefix: 128,
    });
    state.interfaces.push(lo0);
    let mut i = 0;
    while i < args.len() {
        let flag = args[i].as_str();
        let value = args
            .get(i + 1)
            .cloned()
            .ok_or_else(|| SimError::new(format!("init: {flag} needs a value")))?;
        i += 2;
        match flag {
            "--interface" => {
                let (name, address) = match value.split_once('=') {
                    Some((name, address)) => (name.to_string(), Some(address.to_string())),
                    None => (value.clone(), None),
                };
                ensure_iface(&mut state, &name);
                if let Some(address) = address {
                    add_address(&mut state, &name, &address)?;
                }
            }
            "--bridge" => {
                // NAME[=ADDR/PREFIX][:MEMBER,…]; the member list follows the
                // last ':' unless that part is an address's prefix.
                let (head, members) = match value.rsplit_once(':') {
                    Some((head, tail))
                        if !tail.contains('/')
                            && !tail.is_empty()
                            && head.contains(|c: char| c.is_ascii_alphanumeric())
                            && !head.ends_with(':') =>
                    {
                        (
                            head.to_string(),
                            tail.split(',').map(String::from).collect::<Vec<_>>(),
                        )
                    }
                    _ => (value.clone(), Vec::new()),
                };
                let (name, address) = match head.split_once('=') {
                    Some((name, address)) => (name.to_string(), Some(address.to_string())),
                    None => (head.clone(), None),
                };
                ensure_iface(&mut state, &name);
                if let Some(address) = address {
                    add_address(&mut state, &name, &address)?;
                }
                for member in members.iter().filter(|m| !m.is_empty()) {
                    ensure_iface(&mut state, member);
                    if let Some(bridge) = state.iface_mut(None, &name) {
                        bridge.members.insert(0, member.clone());
                    }
                }
            }
            "--dir" => create_dir(&dir, &value)?,
            "--file" => {
                let (path, text) = value.split_once('=').unwrap_or((value.as_str(), ""));
                let real = dir.map(path);
                if let Some(parent) = real.parent() {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| SimError::io(parent.display(), &e))?;
                }
                std::fs::write(&real, text).map_err(|e| SimError::io(real.display(), &e))?;
            }
            "--dataset" => {
                let (name, mountpoint) = match value.split_once('=') {
                    Some((name, "none" | "-" | "legacy")) => (name.to_string(), Some(None)),
                    Some((name, mountpoint)) => {
                        (name.to_string(), Some(Some(paths::normalize(mountpoint))))
                    }
                    None => (value.clone(), None),
                };
                add_dataset_with_ancestors(&dir, &mut state, &name, mountpoint)?;
            }
            "--snapshot" => {
                let (dataset, snap) = value.split_once('@').ok_or_else(|| {
                    SimError::new(format!("init: --snapshot {value}: expected DATASET@SNAP"))
                })?;
                crate::zfs::take_snapshot(&dir, &mut state, dataset, snap).map_err(|e| {
                    SimError::new(if e.is_empty() {
                        format!(
                            "init: --snapshot {value}: no dataset {dataset} (give --dataset first)"
                        )
                    } else {
                        e
                    })
                })?;
            }
            "--schg" => {
                let normal = paths::normalize(&value);
                let real = dir.map(&normal);
                if !real.exists() {
                    if let Some(parent) = real.parent() {
                        std::fs::create_dir_all(parent)
                            .map_err(|e| SimError::io(parent.display(), &e))?;
                    }
                    std::fs::write(&real, "").map_err(|e| SimError::io(real.display(), &e))?;
                }
                state
                    .flags
                    .entry(normal)
                    .or_default()
                    .push("schg".to_string());
            }
            "--osrelease" => state.host.osrelease = value,
            "--osreldate" => state.host.osreldate = value,
            other => return Err(SimError::new(format!("init: unknown option {other}"))),
        }
    }
    // FreeBSD's order (by interface index): physical interfaces, lo0,
    // then cloned ones.
    state.interfaces.sort_by_key(|i| match i.kind {
        IfKind::Ether => 0,
        IfKind::Loopback => 1,
        _ => 2,
    });
    write_state(&dir.dir, &state)?;
    std::fs::write(dir.dir.join("commands.log"), "")
        .map_err(|e| SimError::io("commands.log", &e))?;
    install_into(&dir.dir.join("bin"))?;
    drop(lock);
    Ok(0)
}

fn create_dir(dir: &StateDir, path: &str) -> Result<(), SimError> {
    let real: PathBuf = dir.map(path);
    std::fs::create_dir_all(&real).map_err(|e| SimError::io(real.display(), &e))
}

fn add_dataset_with_ancestors(
    dir: &StateDir,
    state: &mut State,
    name: &str,
    mountpoint: Option<Option<String>>,
) -> Result<(), SimError> {
    // Missing ancestors get the mount point the child's implies
    // (zroot/jail/classic at /jail/classic: zroot/jail at /jail), or none.
    let mut chain: Vec<(String, Option<String>)> = Vec::new();
    let mut current = name.rsplit_once('/').map(|(p, _)| p.to_string());
    let mut child_mount = mountpoint.clone().flatten();
    let mut child_name = name.to_string();
    while let Some(parent) = current {
        if state.dataset(&parent).is_some() {
            break;
        }
        let last = child_name
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string();
        let derived = child_mount.as_ref().and_then(|m| {
            m.strip_suffix(&format!("/{last}"))
                .filter(|p| !p.is_empty())
                .map(String::from)
        });
        chain.push((parent.clone(), derived.clone()));
        child_mount = derived;
        child_name = parent.clone();
        current = parent.rsplit_once('/').map(|(p, _)| p.to_string());
    }
    for (ancestor, mount) in chain.into_iter().rev() {
        crate::zfs::add_dataset(dir, state, &ancestor, Some(mount), None).map_err(SimError::new)?;
    }
    if state.dataset(name).is_none() {
        crate::zfs::add_dataset(dir, state, name, mountpoint, None).map_err(SimError::new)?;
    }
    Ok(())
}
