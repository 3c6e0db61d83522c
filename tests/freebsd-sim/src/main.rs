//! `freebsd-sim`: test-only stand-ins for FreeBSD's `jail`, `jls`, `jexec`,
//! `ifconfig`, `route`, `zfs`, `chflags`, `mount` and `umount`.
//!
//! One multi-call binary: the tool is the basename of `argv[0]` (so a
//! symlink named `jail` behaves like jail(8)), or the first argument
//! (`freebsd-sim jail -f F -c NAME`). `freebsd-sim install DIR` creates
//! those symlinks, `freebsd-sim init …` seeds a simulated host and
//! `freebsd-sim dump` prints its state. The host lives in the directory
//! named by `JAILCONF_SIM_STATE`; see README.md.
//!
//! This is test code. It never touches the real system: every path a tool
//! is given is mapped below `$JAILCONF_SIM_STATE/root`.

mod chflags;
mod error;
mod hooks;
mod ifconfig;
mod init;
mod jail;
mod jexec;
mod jls;
mod kparams;
mod mount;
mod out;
mod paths;
mod route;
mod state;
mod zfs;

use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;

use error::SimError;

/// The tools this binary stands in for, by the name they are called as.
pub const TOOLS: &[&str] = &[
    "jail", "jls", "jexec", "ifconfig", "route", "zfs", "chflags", "mount", "umount",
];

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args_os().map(lossy).collect();
    let invoked = args
        .first()
        .map(|a| basename(a).to_string())
        .unwrap_or_default();
    let (tool, rest) = if TOOLS.contains(&invoked.as_str()) {
        (invoked, args.split_off(1))
    } else if args.len() >= 2 {
        let rest = args.split_off(2);
        (args.pop().unwrap_or_default(), rest)
    } else {
        out::err(&usage());
        return ExitCode::from(2);
    };
    let code = match run(&tool, &rest) {
        Ok(code) => code,
        Err(error) => {
            out::err(&format!("freebsd-sim: {error}"));
            2
        }
    };
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

fn run(tool: &str, args: &[String]) -> Result<i32, SimError> {
    match tool {
        "install" => init::install(args),
        "init" => init::init(args),
        "dump" => init::dump(args),
        "jail" => jail::main(args),
        "jls" => jls::main(args),
        "jexec" => jexec::main(args),
        "ifconfig" => ifconfig::main(args),
        "route" => route::main(args),
        "zfs" => zfs::main(args),
        "chflags" => chflags::main(args),
        "mount" => mount::mount_main(args),
        "umount" => mount::umount_main(args),
        "-h" | "--help" | "help" => {
            out::out(&usage());
            Ok(0)
        }
        other => {
            out::err(&format!("freebsd-sim: unknown tool `{other}`\n{}", usage()));
            Ok(2)
        }
    }
}

fn usage() -> String {
    format!(
        "usage: freebsd-sim TOOL [ARGS...]   (TOOL: {})\n       \
         freebsd-sim install DIR\n       \
         freebsd-sim init [--interface NAME[=ADDR/PREFIX]]... [--bridge NAME[=ADDR/PREFIX]:MEMBER,...]...\n       \
         \x20                [--dir PATH]... [--file PATH[=TEXT]]... [--dataset NAME[=MOUNTPOINT]]...\n       \
         \x20                [--snapshot DATASET@SNAP]... [--schg PATH]...\n       \
         freebsd-sim dump\n\
         The simulated host lives in $JAILCONF_SIM_STATE.",
        TOOLS.join(", ")
    )
}

fn lossy(arg: OsString) -> String {
    arg.to_string_lossy().into_owned()
}

/// The last component of a path-like string.
pub fn basename(path: &str) -> &str {
    Path::new(path)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(path)
}
