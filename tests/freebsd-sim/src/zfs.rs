//! zfs(8): `list`, `create`, `snapshot`, `clone`, `destroy`, `get`. A
//! dataset with a mount point owns that directory below the simulated
//! root; a snapshot keeps a copy of it (in `$STATE/zfs-snapshots`), which
//! a clone starts from. Messages follow libzfs (`cannot open 'X': dataset
//! does not exist`, …).

use std::path::{Path, PathBuf};

use crate::error::SimError;
use crate::out;
use crate::paths;
use crate::state::{Dataset, State, StateDir};

/// `zfs ARGS…`.
pub fn main(args: &[String]) -> Result<i32, SimError> {
    let dir = StateDir::from_env()?;
    let mut locked = dir.lock_and_log("zfs", args)?;
    let mut stdout = String::new();
    let result = run(&dir, &mut locked.state, args, &mut stdout);
    locked.save()?;
    drop(locked);
    out::out_raw(&stdout);
    Ok(match result {
        Ok(()) => 0,
        Err(message) => {
            out::err(&message);
            1
        }
    })
}

/// Runs one zfs command; `Err` is the full message for stderr.
pub fn run(
    dir: &StateDir,
    state: &mut State,
    args: &[String],
    stdout: &mut String,
) -> Result<(), String> {
    let Some((command, rest)) = args.split_first() else {
        return Err("usage: zfs command args ...".to_string());
    };
    match command.as_str() {
        "list" => list(state, rest, stdout),
        "create" => create(dir, state, rest),
        "snapshot" | "snap" => snapshot(dir, state, rest),
        "clone" => clone(dir, state, rest),
        "destroy" => destroy(dir, state, rest),
        "get" => get(state, rest, stdout),
        other => Err(format!("unrecognized command '{other}'")),
    }
}

fn not_found(name: &str) -> String {
    format!("cannot open '{name}': dataset does not exist")
}

fn parent_name(name: &str) -> Option<&str> {
    name.rsplit_once('/').map(|(parent, _)| parent)
}

/// The mount point a new child of `parent` inherits.
fn inherited_mountpoint(state: &State, name: &str) -> Option<String> {
    let parent = state.dataset(parent_name(name)?)?;
    let base = parent.mountpoint.as_ref()?;
    let last = name.rsplit('/').next().unwrap_or(name);
    Some(if base == "/" {
        format!("/{last}")
    } else {
        format!("{base}/{last}")
    })
}

fn snapshot_dir(dir: &StateDir, snapshot: &str) -> PathBuf {
    dir.dir
        .join("zfs-snapshots")
        .join(snapshot.replace('/', "%2F"))
}

/// `-o` properties, `-p`, and the positional arguments of create/clone.
type Props = (Vec<(String, String)>, bool, Vec<String>);

fn parse_props(rest: &[String]) -> Result<Props, String> {
    let mut props = Vec::new();
    let mut parents = false;
    let mut positional = Vec::new();
    let mut i = 0;
    while i < rest.len() {
        match rest[i].as_str() {
            "-o" => {
                i += 1;
                let prop = rest.get(i).ok_or("missing argument for 'o' option")?;
                let (key, value) = prop
                    .split_once('=')
                    .ok_or_else(|| "missing '=' for property=value argument".to_string())?;
                props.push((key.to_string(), value.to_string()));
            }
            "-p" => parents = true,
            flag if flag.starts_with('-') => {}
            other => positional.push(other.to_string()),
        }
        i += 1;
    }
    Ok((props, parents, positional))
}

fn mountpoint_prop(props: &[(String, String)]) -> Option<Option<String>> {
    props
        .iter()
        .rev()
        .find(|(k, _)| k == "mountpoint")
        .map(|(_, v)| match v.as_str() {
            "none" | "legacy" | "-" => None,
            path => Some(paths::normalize(path)),
        })
}

fn create(dir: &StateDir, state: &mut State, rest: &[String]) -> Result<(), String> {
    let (props, parents, positional) = parse_props(rest)?;
    let [name] = positional.as_slice() else {
        return Err("usage: zfs create [-p] [-o property=value] ... filesystem".to_string());
    };
    if state.dataset(name).is_some() {
        return Err(format!("cannot create '{name}': dataset already exists"));
    }
    let missing_parent = parent_name(name).is_some_and(|p| state.dataset(p).is_none());
    if missing_parent && !parents {
        return Err(format!("cannot create '{name}': parent does not exist"));
    }
    if missing_parent {
        // Create the ancestors first, oldest first.
        let mut chain = Vec::new();
        let mut current = parent_name(name);
        while let Some(parent) = current {
            if state.dataset(parent).is_some() {
                break;
            }
            chain.push(parent.to_string());
            current = parent_name(parent);
        }
        for ancestor in chain.into_iter().rev() {
            add_dataset(dir, state, &ancestor, None, None)?;
        }
    }
    add_dataset(dir, state, name, mountpoint_prop(&props), None)
}

/// Adds a dataset (mount point: `explicit`, else inherited) and creates
/// its directory. Used by `zfs create` and `freebsd-sim init`.
pub fn add_dataset(
    dir: &StateDir,
    state: &mut State,
    name: &str,
    explicit: Option<Option<String>>,
    origin: Option<String>,
) -> Result<(), String> {
    let mountpoint = match explicit {
        Some(mountpoint) => mountpoint,
        None => inherited_mountpoint(state, name),
    };
    if let Some(mountpoint) = &mountpoint {
        let real = dir.map(mountpoint);
        std::fs::create_dir_all(&real)
            .map_err(|e| format!("cannot mount '{mountpoint}': {}", out::strerror(&e)))?;
    }
    state.datasets.push(Dataset {
        name: name.to_string(),
        mountpoint,
        origin,
        snapshots: Vec::new(),
    });
    state.datasets.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(())
}

fn split_snapshot(name: &str) -> Option<(&str, &str)> {
    name.split_once('@')
        .filter(|(ds, snap)| !ds.is_empty() && !snap.is_empty())
}

fn snapshot(dir: &StateDir, state: &mut State, rest: &[String]) -> Result<(), String> {
    let names: Vec<&String> = rest.iter().filter(|a| !a.starts_with('-')).collect();
    if names.is_empty() {
        return Err("missing snapshot argument".to_string());
    }
    for full in names {
        let (dataset, snap) = split_snapshot(full).ok_or_else(|| {
            format!("cannot create snapshot '{full}': invalid character '@' in name")
        })?;
        take_snapshot(dir, state, dataset, snap).map_err(|e| {
            if e.is_empty() {
                not_found(dataset)
            } else {
                e
            }
        })?;
    }
    Ok(())
}

/// Takes snapshot `dataset@snap`, copying the dataset's files aside.
/// `Err("")` when the dataset does not exist.
pub fn take_snapshot(
    dir: &StateDir,
    state: &mut State,
    dataset: &str,
    snap: &str,
) -> Result<(), String> {
    let full = format!("{dataset}@{snap}");
    let Some(ds) = state.datasets.iter_mut().find(|d| d.name == dataset) else {
        return Err(String::new());
    };
    if ds.snapshots.iter().any(|s| s == snap) {
        return Err(format!(
            "cannot create snapshot '{full}': dataset already exists"
        ));
    }
    ds.snapshots.push(snap.to_string());
    let target = snapshot_dir(dir, &full);
    let _ = std::fs::remove_dir_all(&target);
    std::fs::create_dir_all(&target)
        .map_err(|e| format!("cannot create snapshot '{full}': {}", out::strerror(&e)))?;
    if let Some(mountpoint) = ds.mountpoint.clone() {
        copy_tree(&dir.map(&mountpoint), &target)
            .map_err(|e| format!("cannot create snapshot '{full}': {}", out::strerror(&e)))?;
    }
    Ok(())
}

fn clone(dir: &StateDir, state: &mut State, rest: &[String]) -> Result<(), String> {
    let (props, parents, positional) = parse_props(rest)?;
    let [origin, name] = positional.as_slice() else {
        return Err(
            "usage: zfs clone [-p] [-o property=value] ... <snapshot> <filesystem|volume>"
                .to_string(),
        );
    };
    let (source, snap) = split_snapshot(origin).ok_or_else(|| {
        format!("cannot open '{origin}': snapshot delimiter '@' is not expected here")
    })?;
    let exists = state
        .dataset(source)
        .is_some_and(|d| d.snapshots.iter().any(|s| s == snap));
    if !exists {
        return Err(not_found(origin));
    }
    if state.dataset(name).is_some() {
        return Err(format!("cannot create '{name}': dataset already exists"));
    }
    if parent_name(name).is_some_and(|p| state.dataset(p).is_none()) {
        if !parents {
            return Err(format!("cannot create '{name}': parent does not exist"));
        }
        create(
            dir,
            state,
            &[
                "-p".to_string(),
                parent_name(name).unwrap_or_default().to_string(),
            ],
        )?;
    }
    add_dataset(
        dir,
        state,
        name,
        mountpoint_prop(&props),
        Some(origin.clone()),
    )?;
    if let Some(mountpoint) = state.dataset(name).and_then(|d| d.mountpoint.clone()) {
        copy_tree(&snapshot_dir(dir, origin), &dir.map(&mountpoint))
            .map_err(|e| format!("cannot create '{name}': {}", out::strerror(&e)))?;
    }
    Ok(())
}

fn destroy(dir: &StateDir, state: &mut State, rest: &[String]) -> Result<(), String> {
    let recursive = rest
        .iter()
        .any(|a| a.starts_with('-') && (a.contains('r') || a.contains('R')));
    let names: Vec<&String> = rest.iter().filter(|a| !a.starts_with('-')).collect();
    let [name] = names.as_slice() else {
        return Err("usage: zfs destroy [-fnpRrv] <filesystem|volume>".to_string());
    };
    if let Some((dataset, snap)) = split_snapshot(name) {
        let clones: Vec<String> = state
            .datasets
            .iter()
            .filter(|d| d.origin.as_deref() == Some(name.as_str()))
            .map(|d| d.name.clone())
            .collect();
        if !clones.is_empty() {
            return Err(format!(
                "cannot destroy '{name}': snapshot has dependent clones\nuse '-R' to destroy the following datasets:\n{}",
                clones.join("\n")
            ));
        }
        let ds = state
            .datasets
            .iter_mut()
            .find(|d| d.name == dataset && d.snapshots.iter().any(|s| s == snap))
            .ok_or_else(|| {
                "could not find any snapshots to destroy; check snapshot names.".to_string()
            })?;
        ds.snapshots.retain(|s| s != snap);
        let _ = std::fs::remove_dir_all(snapshot_dir(dir, name));
        return Ok(());
    }
    let Some(target) = state.dataset(name).cloned() else {
        return Err(not_found(name));
    };
    let prefix = format!("{name}/");
    let children: Vec<String> = state
        .datasets
        .iter()
        .filter(|d| d.name.starts_with(&prefix))
        .map(|d| d.name.clone())
        .chain(target.snapshots.iter().map(|s| format!("{name}@{s}")))
        .collect();
    if !children.is_empty() && !recursive {
        return Err(format!(
            "cannot destroy '{name}': filesystem has children\nuse '-r' to destroy the following datasets:\n{}",
            children.join("\n")
        ));
    }
    let doomed: Vec<Dataset> = state
        .datasets
        .iter()
        .filter(|d| d.name == **name || d.name.starts_with(&prefix))
        .cloned()
        .collect();
    let dependent: Vec<String> = state
        .datasets
        .iter()
        .filter(|d| {
            d.origin.as_ref().is_some_and(|o| {
                doomed
                    .iter()
                    .any(|x| o.split('@').next() == Some(x.name.as_str()))
            }) && !doomed.iter().any(|x| x.name == d.name)
        })
        .map(|d| d.name.clone())
        .collect();
    if !dependent.is_empty() {
        return Err(format!(
            "cannot destroy '{name}': filesystem has dependent clones\nuse '-R' to destroy the following datasets:\n{}",
            dependent.join("\n")
        ));
    }
    for dataset in &doomed {
        for snap in &dataset.snapshots {
            let _ = std::fs::remove_dir_all(snapshot_dir(dir, &format!("{}@{snap}", dataset.name)));
        }
        if let Some(mountpoint) = &dataset.mountpoint {
            if mountpoint != "/" {
                let _ = std::fs::remove_dir_all(dir.map(mountpoint));
            }
        }
    }
    state
        .datasets
        .retain(|d| !doomed.iter().any(|x| x.name == d.name));
    Ok(())
}

/// One row of `zfs list`: a dataset or a snapshot.
struct Row {
    name: String,
    mountpoint: String,
    origin: String,
    kind: &'static str,
}

fn rows(state: &State, with_fs: bool, with_snap: bool) -> Vec<Row> {
    let mut rows = Vec::new();
    for dataset in &state.datasets {
        if with_fs {
            rows.push(Row {
                name: dataset.name.clone(),
                mountpoint: dataset
                    .mountpoint
                    .clone()
                    .unwrap_or_else(|| "none".to_string()),
                origin: dataset.origin.clone().unwrap_or_else(|| "-".to_string()),
                kind: "filesystem",
            });
        }
        if with_snap {
            for snap in &dataset.snapshots {
                rows.push(Row {
                    name: format!("{}@{snap}", dataset.name),
                    mountpoint: "-".to_string(),
                    origin: "-".to_string(),
                    kind: "snapshot",
                });
            }
        }
    }
    rows
}

fn property(row: &Row, prop: &str) -> String {
    match prop {
        "name" => row.name.clone(),
        "mountpoint" => row.mountpoint.clone(),
        "origin" => row.origin.clone(),
        "type" => row.kind.to_string(),
        "mounted" => if row.kind == "filesystem" && row.mountpoint != "none" {
            "yes"
        } else {
            "-"
        }
        .to_string(),
        "used" => "96K".to_string(),
        "avail" | "available" => if row.kind == "snapshot" { "-" } else { "15.6G" }.to_string(),
        "refer" | "referenced" => "96K".to_string(),
        _ => "-".to_string(),
    }
}

fn list(state: &State, rest: &[String], stdout: &mut String) -> Result<(), String> {
    let mut scripted = false;
    let mut recursive = false;
    let mut columns = vec!["name", "used", "avail", "refer", "mountpoint"]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
    let mut types: Option<String> = None;
    let mut targets = Vec::new();
    let mut i = 0;
    while i < rest.len() {
        let arg = rest[i].as_str();
        match arg {
            "-o" => {
                i += 1;
                columns = rest
                    .get(i)
                    .ok_or("missing argument for 'o' option")?
                    .split(',')
                    .map(String::from)
                    .collect();
            }
            "-t" => {
                i += 1;
                types = rest.get(i).cloned();
            }
            "-s" | "-S" | "-d" => i += 1,
            flag if flag.starts_with('-') => {
                scripted |= flag.contains('H');
                recursive |= flag.contains('r');
            }
            target => targets.push(target.to_string()),
        }
        i += 1;
    }
    let types = types.unwrap_or_else(|| {
        if targets.iter().any(|t| t.contains('@')) {
            "all".into()
        } else {
            "filesystem".into()
        }
    });
    let with_snap = types
        .split(',')
        .any(|t| matches!(t, "all" | "snapshot" | "snap"));
    let with_fs = types
        .split(',')
        .any(|t| matches!(t, "all" | "filesystem" | "fs"));
    let all = rows(
        state,
        with_fs,
        with_snap || targets.iter().any(|t| t.contains('@')),
    );
    let mut selected: Vec<&Row> = Vec::new();
    if targets.is_empty() {
        selected.extend(all.iter());
    } else {
        for target in &targets {
            let found = if target.contains('@') {
                all.iter().any(|r| r.name == *target)
            } else {
                state.dataset(target).is_some()
            };
            if !found {
                return Err(not_found(target));
            }
            for row in &all {
                let own = row.name == *target
                    || (!target.contains('@')
                        && row.kind == "snapshot"
                        && recursive
                        && row.name.starts_with(&format!("{target}@")));
                let below = recursive && row.name.starts_with(&format!("{target}/"));
                let visible =
                    own && (row.kind == "filesystem" || with_snap || target.contains('@'));
                if (visible || below) && !selected.iter().any(|r| r.name == row.name) {
                    selected.push(row);
                }
            }
        }
    }
    let table: Vec<Vec<String>> = selected
        .iter()
        .map(|row| columns.iter().map(|c| property(row, c)).collect())
        .collect();
    if scripted {
        for line in table {
            stdout.push_str(&line.join("\t"));
            stdout.push('\n');
        }
        return Ok(());
    }
    if table.is_empty() {
        stdout.push_str("no datasets available\n");
        return Ok(());
    }
    let header: Vec<String> = columns.iter().map(|c| c.to_uppercase()).collect();
    let widths: Vec<usize> = (0..columns.len())
        .map(|i| {
            table
                .iter()
                .map(|r| r[i].len())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    for line in std::iter::once(&header).chain(table.iter()) {
        let cells: Vec<String> = line
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                if i + 1 == line.len() {
                    cell.clone()
                } else {
                    format!("{cell:<width$}", width = widths[i])
                }
            })
            .collect();
        stdout.push_str(&cells.join("  "));
        stdout.push('\n');
    }
    Ok(())
}

fn get(state: &State, rest: &[String], stdout: &mut String) -> Result<(), String> {
    let mut scripted = false;
    let mut fields = vec![
        "name".to_string(),
        "property".into(),
        "value".into(),
        "source".into(),
    ];
    let mut positional = Vec::new();
    let mut i = 0;
    while i < rest.len() {
        match rest[i].as_str() {
            "-o" => {
                i += 1;
                fields = rest
                    .get(i)
                    .ok_or("missing argument for 'o' option")?
                    .split(',')
                    .map(String::from)
                    .collect();
            }
            "-s" | "-t" | "-d" => i += 1,
            flag if flag.starts_with('-') => scripted |= flag.contains('H'),
            other => positional.push(other.to_string()),
        }
        i += 1;
    }
    let Some((props, targets)) = positional.split_first() else {
        return Err("missing property argument".to_string());
    };
    let all = rows(state, true, true);
    for target in targets {
        let row = all
            .iter()
            .find(|r| r.name == *target)
            .ok_or_else(|| not_found(target))?;
        for prop in props.split(',') {
            let values: Vec<String> = fields
                .iter()
                .map(|f| match f.as_str() {
                    "name" => row.name.clone(),
                    "property" => prop.to_string(),
                    "value" => property(row, prop),
                    "source" => "-".to_string(),
                    _ => String::new(),
                })
                .collect();
            stdout.push_str(&values.join(if scripted { "\t" } else { "  " }));
            stdout.push('\n');
        }
    }
    Ok(())
}

/// Copies the directory tree `from` into `to` (creating `to`); symbolic
/// links are copied as links, nothing is followed out of `from`.
pub fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    if !from.is_dir() {
        return Ok(());
    }
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else if kind.is_symlink() {
            let link = std::fs::read_link(entry.path())?;
            let _ = std::fs::remove_file(&target);
            std::os::unix::fs::symlink(link, &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
