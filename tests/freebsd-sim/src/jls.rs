//! jls(8): the default table, `-N`, `-v`, `-n`/`-s`/`-q` name=value
//! lines, named parameters, and libxo JSON (`--libxo=json`) in the shapes
//! jls.c emits (spec §10): `{"__version": "2", "jail-information":
//! {"jail": [ … ]}}`; in `-n` mode one key per parameter, booleans as JSON
//! true/false, `ip4.addr`/`ip6.addr` as arrays, everything else strings.
//!
//! `-j` of an unknown jail: the kernel's `jail "X" not found` (name) or
//! `jail N not found` (jid), printed by `xo_errx` as `jls: …`.

use std::collections::BTreeMap;

use crate::error::SimError;
use crate::out;
use crate::state::{JailRec, KValue, State, StateDir};

#[derive(Debug, Default)]
struct Options {
    dying: bool,
    jail: Option<String>,
    header: bool,
    jail_name: bool,
    nameval: bool,
    quoted: bool,
    skip: bool,
    verbose: bool,
    json: bool,
    params: Vec<String>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options::default();
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        if let Some(style) = arg.strip_prefix("--libxo") {
            let style = match style.strip_prefix('=') {
                Some(style) => style.to_string(),
                None if style.is_empty() => {
                    i += 1;
                    args.get(i).cloned().unwrap_or_default()
                }
                None => return Err(format!("unknown option {arg}")),
            };
            o.json = style.split([',', ':']).any(|s| s == "json");
        } else if arg == "--" {
            o.params.extend(args[i + 1..].iter().cloned());
            break;
        } else if arg.starts_with('-') && arg.len() > 1 {
            let chars: Vec<char> = arg[1..].chars().collect();
            let mut k = 0;
            while k < chars.len() {
                match chars[k] {
                    'a' | 'd' => o.dying = true,
                    'j' => {
                        let rest: String = chars[k + 1..].iter().collect();
                        o.jail = Some(if rest.is_empty() {
                            i += 1;
                            args.get(i)
                                .cloned()
                                .ok_or("option requires an argument -- j")?
                        } else {
                            rest
                        });
                        k = chars.len();
                        continue;
                    }
                    'h' => {
                        o.header = true;
                        o.skip = false;
                        o.verbose = false;
                    }
                    'N' => o.jail_name = true,
                    'n' => {
                        o.nameval = true;
                        o.verbose = false;
                    }
                    'q' => o.quoted = true,
                    's' => {
                        o.nameval = true;
                        o.quoted = true;
                        o.skip = true;
                        o.header = false;
                        o.verbose = false;
                    }
                    'v' => {
                        o.verbose = true;
                        o.header = false;
                        o.nameval = false;
                        o.skip = false;
                    }
                    _ => return Err("usage: jls [-dhNnqv] [-j jail] [param ...]".to_string()),
                }
                k += 1;
            }
        } else {
            o.params.push(arg.to_string());
        }
        i += 1;
    }
    Ok(o)
}

/// `jls ARGS…`.
pub fn main(args: &[String]) -> Result<i32, SimError> {
    let dir = StateDir::from_env()?;
    let locked = dir.lock_and_log("jls", args)?;
    let options = match parse(args) {
        Ok(options) => options,
        Err(message) => {
            drop(locked);
            out::err(&format!("jls: {message}"));
            return Ok(1);
        }
    };
    let state = locked.state.clone();
    drop(locked);
    match render(&state, &options) {
        Ok(text) => {
            out::out_raw(&text);
            Ok(0)
        }
        Err(message) => {
            out::err(&format!("jls: {message}"));
            Ok(1)
        }
    }
}

/// jls's parameter order for `all`: top-level names first, then dotted
/// ones, each alphabetically.
fn sort_key(name: &str) -> (bool, String) {
    (name.contains('.'), name.to_string())
}

/// Every parameter of a jail, including the derived ones.
pub fn all_params(state: &State, jail: &JailRec) -> BTreeMap<String, KValue> {
    let mut params = jail.params.clone();
    params.insert("jid".into(), KValue::Text(jail.jid.to_string()));
    params.insert("name".into(), KValue::Text(jail.name.clone()));
    params.insert("dying".into(), KValue::Bool(jail.dying));
    let children = state
        .jails
        .iter()
        .filter(|j| j.text("parent") == jail.jid.to_string())
        .count();
    params.insert("children.cur".into(), KValue::Text(children.to_string()));
    params
}

fn json_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_string())
}

fn quote(text: &str, quoted: bool) -> String {
    if text.is_empty() {
        return "\"\"".to_string();
    }
    if !quoted {
        return text.to_string();
    }
    let qc = if text.contains('\'') {
        Some('"')
    } else if text.contains('"') {
        Some('\'')
    } else if text.contains([' ', '\t']) {
        Some('"')
    } else {
        None
    };
    match qc {
        Some(q) => format!("{q}{text}{q}"),
        None => text.to_string(),
    }
}

fn no_name(name: &str) -> String {
    match name.rsplit_once('.') {
        Some((prefix, last)) => format!("{prefix}.no{last}"),
        None => format!("no{name}"),
    }
}

fn render(state: &State, o: &Options) -> Result<String, String> {
    let jails: Vec<&JailRec> = match &o.jail {
        Some(key) => {
            let found = match key.parse::<u32>() {
                Ok(jid) if jid != 0 => state
                    .jail(jid)
                    .ok_or_else(|| format!("jail {jid} not found"))?,
                _ => state
                    .find_jail(key)
                    .ok_or_else(|| format!("jail \"{key}\" not found"))?,
            };
            vec![found]
        }
        None => state.jails.iter().filter(|j| o.dying || !j.dying).collect(),
    };
    let param_mode = !o.params.is_empty() || o.nameval || o.header;
    let mut text = String::new();
    let mut instances: Vec<String> = Vec::new();
    if param_mode {
        let mut names: Vec<String> = if o.params.is_empty() || o.params.iter().any(|p| p == "all") {
            let mut names: Vec<String> = jails
                .first()
                .map(|j| all_params(state, j).keys().cloned().collect())
                .unwrap_or_else(|| {
                    crate::kparams::defaults(&state.host)
                        .keys()
                        .cloned()
                        .chain(["jid", "name", "dying", "children.cur"].map(String::from))
                        .collect()
                });
            names.sort_by_key(|n| sort_key(n));
            names
        } else {
            o.params.clone()
        };
        names.dedup();
        for name in &names {
            if crate::kparams::defaults(&state.host).contains_key(name)
                || matches!(
                    name.as_str(),
                    "jid" | "name" | "dying" | "children.cur" | "lastjid"
                )
            {
                continue;
            }
            return Err(format!("unknown parameter: {name}"));
        }
        if o.header && !o.json {
            text.push_str(&names.join(" "));
            text.push('\n');
        }
        for jail in &jails {
            let params = all_params(state, jail);
            let mut fields = Vec::new();
            let mut words = Vec::new();
            for name in &names {
                let value = params
                    .get(name)
                    .cloned()
                    .unwrap_or(KValue::Text(String::new()));
                let readonly = crate::kparams::READ_ONLY.contains(&name.as_str());
                if o.skip {
                    let parent = name.split('.').next().unwrap_or_default();
                    let parent_not_new = name.contains('.')
                        && params
                            .get(parent)
                            .is_some_and(|v| matches!(v, KValue::Text(t) if t != "new"));
                    if readonly || parent_not_new {
                        continue;
                    }
                }
                match &value {
                    KValue::Bool(b) if o.nameval => {
                        fields.push(format!("{}:{b}", json_string(name)));
                        words.push(if *b { name.clone() } else { no_name(name) });
                    }
                    KValue::List(items) => {
                        let list: Vec<String> = items.iter().map(|i| json_string(i)).collect();
                        fields.push(format!("{}:[{}]", json_string(name), list.join(",")));
                        let joined = items.join(",");
                        let shown = if joined.is_empty() && !o.nameval {
                            "-".to_string()
                        } else {
                            quote(&joined, o.quoted)
                        };
                        let shown = if joined.is_empty() && o.nameval && !o.quoted {
                            String::new()
                        } else {
                            shown
                        };
                        words.push(if o.nameval {
                            format!("{name}={shown}")
                        } else {
                            shown
                        });
                    }
                    other => {
                        let t = other.text();
                        fields.push(format!("{}:{}", json_string(name), json_string(&t)));
                        let shown = if t.is_empty() && !o.nameval && !o.quoted {
                            String::new()
                        } else {
                            quote(&t, o.quoted || t.is_empty())
                        };
                        words.push(if o.nameval {
                            format!("{name}={shown}")
                        } else {
                            shown
                        });
                    }
                }
            }
            instances.push(format!("{{{}}}", fields.join(",")));
            text.push_str(&words.join(" "));
            text.push('\n');
        }
    } else if o.verbose {
        text.push_str("   JID  Hostname                      Path\n        Name                          State\n        CPUSetID\n        IP Address(es)\n");
        for jail in &jails {
            let ip4 = jail.list("ip4.addr");
            let ip6 = jail.list("ip6.addr");
            let state_word = if jail.dying { "DYING" } else { "ACTIVE" };
            text.push_str(&format!(
                "{:>6}  {:<29.29} {:.74}\n        {:<29.29} {state_word}\n        {}\n",
                jail.jid,
                jail.text("host.hostname"),
                jail.text("path"),
                jail.name,
                jail.text("cpuset.id"),
            ));
            for addr in ip4.iter().chain(ip6.iter()) {
                text.push_str(&format!("        {addr}\n"));
            }
            let list = |items: &[String]| {
                items
                    .iter()
                    .map(|i| json_string(i))
                    .collect::<Vec<_>>()
                    .join(",")
            };
            instances.push(format!(
                "{{\"jid\":{},\"hostname\":{},\"path\":{},\"name\":{},\"state\":\"{state_word}\",\"cpusetid\":{},\"ipv4_addrs\":[{}],\"ipv6_addrs\":[{}]}}",
                jail.jid,
                json_string(&jail.text("host.hostname")),
                json_string(&jail.text("path")),
                json_string(&jail.name),
                jail.text("cpuset.id").parse::<u32>().unwrap_or(0),
                list(&ip4),
                list(&ip6),
            ));
        }
    } else {
        if o.jail_name {
            text.push_str(&format!(
                " {:<15} {:<15} {:<29} Path\n",
                "JID", "IP Address", "Hostname"
            ));
        } else {
            text.push_str("   JID  IP Address      Hostname                      Path\n");
        }
        for jail in &jails {
            let ip4 = jail.list("ip4.addr").into_iter().next().unwrap_or_default();
            let hostname = jail.text("host.hostname");
            let path = jail.text("path");
            if o.jail_name {
                text.push_str(&format!(
                    " {:<15} {ip4:<15.15} {hostname:<29.29} {path:.74}\n",
                    jail.name
                ));
            } else {
                text.push_str(&format!(
                    "{:>6}  {ip4:<15.15} {hostname:<29.29} {path:.74}\n",
                    jail.jid
                ));
            }
            let key = if o.jail_name {
                format!("\"name\":{}", json_string(&jail.name))
            } else {
                format!("\"jid\":{}", jail.jid)
            };
            instances.push(format!(
                "{{{key},\"ipv4\":{},\"hostname\":{},\"path\":{}}}",
                json_string(&ip4),
                json_string(&hostname),
                json_string(&path)
            ));
        }
    }
    if o.json {
        return Ok(format!(
            "{{\"__version\": \"2\", \"jail-information\": {{\"jail\": [{}]}}}}\n",
            instances.join(", ")
        ));
    }
    Ok(text)
}
