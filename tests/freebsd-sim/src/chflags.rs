//! chflags(1): file flags (`schg`, `uchg`, …) are kept in the state by
//! simulated path; `0` clears all, `noFLAG` clears one, `FLAG` sets one.

use std::collections::BTreeMap;

use crate::error::SimError;
use crate::out;
use crate::paths;
use crate::state::StateDir;

/// `chflags [-R] [-h] [-v] FLAGS PATH…`.
pub fn main(args: &[String]) -> Result<i32, SimError> {
    let dir = StateDir::from_env()?;
    let mut locked = dir.lock_and_log("chflags", args)?;
    let mut recursive = false;
    let mut i = 0;
    while i < args.len() && args[i].starts_with('-') && args[i].len() > 1 {
        for flag in args[i][1..].chars() {
            match flag {
                'R' => recursive = true,
                'H' | 'L' | 'P' | 'f' | 'h' | 'v' | 'x' => {}
                other => {
                    out::err(&format!("chflags: illegal option -- {other}"));
                    out::err("usage: chflags [-fhvx] [-R [-H | -L | -P]] flags file ...");
                    return Ok(1);
                }
            }
        }
        i += 1;
    }
    let (Some(spec), paths_given) = (args.get(i), args.get(i + 1..).unwrap_or_default()) else {
        out::err("usage: chflags [-fhvx] [-R [-H | -L | -P]] flags file ...");
        return Ok(1);
    };
    if paths_given.is_empty() {
        out::err("usage: chflags [-fhvx] [-R [-H | -L | -P]] flags file ...");
        return Ok(1);
    }
    let mut status = 0;
    for path in paths_given {
        let normal = paths::normalize(path);
        if !dir.map(path).exists() {
            out::err(&format!("chflags: {path}: No such file or directory"));
            status = 1;
            continue;
        }
        let flags = &mut locked.state.flags;
        let affected: Vec<String> = flags
            .keys()
            .filter(|p| **p == normal || (recursive && paths::is_under(p, &normal)))
            .cloned()
            .collect();
        let mut targets = affected;
        if !targets.contains(&normal) {
            targets.push(normal.clone());
        }
        for target in targets {
            apply(flags, &target, spec);
        }
    }
    locked.save()?;
    Ok(status)
}

fn apply(flags: &mut BTreeMap<String, Vec<String>>, path: &str, spec: &str) {
    let entry = flags.entry(path.to_string()).or_default();
    for word in spec.split(',') {
        if word == "0" {
            entry.clear();
        } else if word == "dump" {
            entry.retain(|f| f != "nodump");
        } else if word == "nodump" {
            if !entry.iter().any(|f| f == word) {
                entry.push(word.to_string());
            }
        } else if let Some(flag) = word.strip_prefix("no") {
            entry.retain(|f| f != flag);
        } else if !entry.iter().any(|f| f == word) {
            entry.push(word.to_string());
        }
    }
    if entry.is_empty() {
        flags.remove(path);
    }
}
