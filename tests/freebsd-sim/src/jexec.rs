//! jexec(8): runs a command "inside" a jail. Stand-in tools run with
//! `JAILCONF_SIM_JAIL=JID` (so `ifconfig` shows the jail's view); other
//! programs are only recorded (a shell command only when every simple
//! command in it is a stand-in is run).
//!
//! Messages: an unknown name gives libjail's `jail "X" not found`
//! (jail_getid(3) passes the kernel's message through); an unknown jid
//! fails in jail_attach(2): `jail_attach(N): Invalid argument`.

use crate::error::SimError;
use crate::hooks::{self, Place, Plan, Runner};
use crate::out;
use crate::state::StateDir;

/// `jexec [-l] [-u USER | -U USER] JAIL COMMAND…`.
pub fn main(args: &[String]) -> Result<i32, SimError> {
    let dir = StateDir::from_env()?;
    let locked = dir.lock_and_log("jexec", args)?;
    let mut i = 0;
    while i < args.len() && args[i].starts_with('-') {
        if matches!(args[i].as_str(), "-u" | "-U") {
            i += 1;
        }
        i += 1;
    }
    let rest = &args[i.min(args.len())..];
    if rest.len() < 2 {
        drop(locked);
        out::err("usage: jexec [-l] [-d working-directory] [[-u username] | [-U username]] jail [command ...]");
        return Ok(1);
    }
    let target = &rest[0];
    let jid = match target.parse::<u32>() {
        Ok(jid) if jid != 0 => match locked.state.jail(jid) {
            Some(_) => jid,
            None => {
                drop(locked);
                out::err(&format!("jexec: jail_attach({jid}): Invalid argument"));
                return Ok(1);
            }
        },
        _ => match locked.state.find_jail(target) {
            Some(jail) => jail.jid,
            None => {
                drop(locked);
                out::err(&format!("jexec: jail \"{target}\" not found"));
                return Ok(1);
            }
        },
    };
    drop(locked);
    let command = &rest[1..];
    let plan = if command.len() == 3
        && hooks::stand_in(&command[0]).is_none()
        && command[0].ends_with("sh")
        && command[1] == "-c"
    {
        Plan::Shell(command[2].clone())
    } else {
        Plan::Direct(command.to_vec(), false)
    };
    let runner = Runner {
        dir: &dir,
        exe: hooks::this_exe(),
        consolelog: None,
    };
    match runner.run(&plan, Place::Jail(jid)) {
        Ok(()) => Ok(0),
        Err(messages) => {
            for message in messages.iter().filter(|m| m.starts_with("exec ")) {
                out::err(&format!("jexec: {message}"));
            }
            Ok(1)
        }
    }
}
