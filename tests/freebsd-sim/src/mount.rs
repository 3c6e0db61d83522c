//! mount(8) and umount(8): mounts are only recorded (nothing is really
//! mounted); the mount point must exist as a directory below the
//! simulated root.

use crate::error::SimError;
use crate::out;
use crate::paths;
use crate::state::{MountRec, State, StateDir};

/// `mount [-t FSTYPE] [-o OPTIONS] DEVICE MOUNTPOINT`, or `mount` to list.
pub fn mount_main(args: &[String]) -> Result<i32, SimError> {
    let dir = StateDir::from_env()?;
    let mut locked = dir.lock_and_log("mount", args)?;
    let mut fstype = "ufs".to_string();
    let mut options: Option<String> = None;
    let mut positional = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        if let Some(value) = arg.strip_prefix("-t") {
            fstype = if value.is_empty() {
                i += 1;
                args.get(i).cloned().unwrap_or_default()
            } else {
                value.to_string()
            };
        } else if let Some(value) = arg.strip_prefix("-o") {
            let value = if value.is_empty() {
                i += 1;
                args.get(i).cloned().unwrap_or_default()
            } else {
                value.to_string()
            };
            options = Some(match options {
                Some(old) => format!("{old},{value}"),
                None => value,
            });
        } else if arg.starts_with('-') && arg.len() > 1 {
            // -a, -r, -u, -v …: accepted and ignored.
        } else {
            positional.push(arg.clone());
        }
        i += 1;
    }
    if positional.is_empty() {
        out::out_raw(&listing(&locked.state));
        return Ok(0);
    }
    let [device, mountpoint] = positional.as_slice() else {
        out::err("usage: mount [-t fstype] [-o options] special mount_point");
        return Ok(1);
    };
    let real = dir.map(mountpoint);
    if !real.is_dir() {
        out::err(&format!("mount: {mountpoint}: No such file or directory"));
        return Ok(1);
    }
    locked.state.mounts.push(MountRec {
        fstype,
        device: device.clone(),
        mountpoint: paths::normalize(mountpoint),
        options,
    });
    locked.save()?;
    Ok(0)
}

fn listing(state: &State) -> String {
    let mut text = String::new();
    for dataset in &state.datasets {
        if let Some(mountpoint) = &dataset.mountpoint {
            text.push_str(&format!(
                "{} on {mountpoint} (zfs, local, noatime, nfsv4acls)\n",
                dataset.name
            ));
        }
    }
    for mount in &state.mounts {
        text.push_str(&format!(
            "{} on {} ({}, local{})\n",
            mount.device,
            mount.mountpoint,
            mount.fstype,
            mount
                .options
                .as_ref()
                .map(|o| format!(", {o}"))
                .unwrap_or_default()
        ));
    }
    text
}

/// `umount [-f] [-t FSTYPE] MOUNTPOINT…`.
pub fn umount_main(args: &[String]) -> Result<i32, SimError> {
    let dir = StateDir::from_env()?;
    let mut locked = dir.lock_and_log("umount", args)?;
    let mut fstype: Option<String> = None;
    let mut targets = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        if arg == "-t" {
            i += 1;
            fstype = args.get(i).cloned();
        } else if !arg.starts_with('-') {
            targets.push(paths::normalize(arg));
        }
        i += 1;
    }
    let mut status = 0;
    for target in targets {
        let found = locked.state.mounts.iter().rposition(|m| {
            m.mountpoint == target && fstype.as_ref().is_none_or(|t| *t == m.fstype)
        });
        match found {
            Some(at) => {
                locked.state.mounts.remove(at);
            }
            None => {
                out::err(&format!(
                    "umount: {target}: not a file system root directory"
                ));
                status = 1;
            }
        }
    }
    locked.save()?;
    Ok(status)
}
