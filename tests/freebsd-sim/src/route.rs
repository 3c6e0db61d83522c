//! route(8): `add`, `delete`, `get` of routes, per VNET. Inside a jail
//! without its own VNET the routing socket refuses changes.

use crate::error::SimError;
use crate::ifconfig::{current_view, View};
use crate::out;
use crate::state::{Route, State, StateDir};

/// `route ARGS…`.
pub fn main(args: &[String]) -> Result<i32, SimError> {
    let dir = StateDir::from_env()?;
    let mut locked = dir.lock_and_log("route", args)?;
    let view = match current_view(&locked.state) {
        Ok(view) => view,
        Err(message) => {
            out::err(&format!("route: {message}"));
            return Ok(1);
        }
    };
    let mut stdout = String::new();
    let result = run(&mut locked.state, view, args, &mut stdout);
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

fn run(state: &mut State, view: View, args: &[String], stdout: &mut String) -> Result<(), String> {
    let words: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !matches!(*a, "-n" | "-q" | "-v" | "-4" | "-6" | "-inet" | "-inet6"))
        .collect();
    let Some((&command, rest)) = words.split_first() else {
        return Err("usage: route [-46dnqtv] command [[modifiers] args]".to_string());
    };
    let (kind, rest) = match rest.first() {
        Some(&"-net") => ("net", &rest[1..]),
        Some(&"-host") => ("host", &rest[1..]),
        _ => ("net", rest),
    };
    let vnet = view.vnet();
    let dest = rest.first().copied().unwrap_or("");
    let dest_name = if dest == "0.0.0.0/0" || dest == "0.0.0.0" {
        "default"
    } else {
        dest
    };
    match command {
        "add" | "change" => {
            let gateway = rest.get(1).copied().ok_or("route: gateway required")?;
            if matches!(view, View::Restricted { .. }) {
                return Err("route: writing to routing socket: Operation not permitted".into());
            }
            let existing = state
                .routes
                .iter()
                .position(|r| r.vnet == vnet && r.dest == dest_name);
            match (command, existing) {
                ("add", Some(_)) => {
                    return Err(format!(
                        "route: writing to routing socket: File exists\n\
                         add {kind} {dest_name}: gateway {gateway} fib 0: route already in table"
                    ))
                }
                (_, Some(at)) => state.routes[at].gateway = gateway.to_string(),
                (_, None) => state.routes.push(Route {
                    vnet,
                    dest: dest_name.to_string(),
                    gateway: gateway.to_string(),
                }),
            }
            stdout.push_str(&format!(
                "{command} {kind} {dest_name}: gateway {gateway}\n"
            ));
            Ok(())
        }
        "delete" => {
            if matches!(view, View::Restricted { .. }) {
                return Err("route: writing to routing socket: Operation not permitted".into());
            }
            let at = state
                .routes
                .iter()
                .position(|r| r.vnet == vnet && r.dest == dest_name)
                .ok_or_else(|| {
                    format!(
                        "route: writing to routing socket: No such process\n\
                         delete {kind} {dest_name}: not in table"
                    )
                })?;
            let route = state.routes.remove(at);
            stdout.push_str(&format!(
                "delete {kind} {dest_name}: gateway {}\n",
                route.gateway
            ));
            Ok(())
        }
        "get" => {
            let route = state
                .routes
                .iter()
                .find(|r| r.vnet == vnet && r.dest == dest_name)
                .ok_or("route: route has not been found")?;
            stdout.push_str(&format!(
                "   route to: {dest_name}\ndestination: {dest_name}\n       mask: default\n    gateway: {}\n        fib: 0\n      flags: <UP,GATEWAY,DONE,STATIC>\n",
                route.gateway
            ));
            Ok(())
        }
        "show" => {
            for route in state.routes.iter().filter(|r| r.vnet == vnet) {
                stdout.push_str(&format!("{} {}\n", route.dest, route.gateway));
            }
            Ok(())
        }
        other => Err(format!("route: {other}: bad command")),
    }
}
