//! JC009 `invalid-value`: a value jail(8) or libjail rejects when the jail
//! starts (booleans, integers, jailsys values, addresses, `path`).

use std::collections::HashSet;
use std::net::{Ipv4Addr, Ipv6Addr};

use jailconf_parser::diag::Severity;
use jailconf_parser::params::{self, ParamKind, ValueType};
use jailconf_parser::source::Span;
use jailconf_parser::Value;

use crate::context::{Context, JailRef, KnownParams};
use crate::fstab::{self, FstabLine};
use crate::rule::{place_check, Category, Check, JailCheck, Rule};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC009",
    name: "invalid-value",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: "a value jail(8) rejects when it starts the jail",
    docs: r#"## What it does
Checks the values of known parameters after inheritance and variable
expansion, the way jail(8) and libjail read them when a jail is created:

* booleans: `true` or `false` (any case) or an integer, also for the `no`
  forms (`allow.nomount = 0`);
* integers (`securelevel`, `devfs_ruleset`, `children.max`,
  `exec.timeout`, `stop.timeout`, `exec.fib`, …): a whole decimal number;
* jailsys parameters (`vnet`, `host`, `ip4`, `ip6`, `sysvshm`, …):
  `disable`, `new` or `inherit` (or 0, 1, 2), only the values the
  parameter accepts (`vnet` and `host` have no `disable`);
* `ip4.addr` / `ip6.addr`: every element written `[IFACE|]ADDR[/MASK]`
  with an address of the right family and a valid prefix length (or a
  dotted netmask for IPv4);
* `path`: an absolute path;
* `mount`: every entry an fstab line with at least `DEVICE MOUNTPOINT
  FSTYPE`, its mount point an absolute path;
* `exec.consolelog`, when a command runs inside the jail: an absolute
  path;
* `mount.devfs`, `mount.fdescfs`, `mount.procfs`: only with a `path`.

Only the value jail(8) uses is checked: the last one of a single-valued
parameter, every one of a list.

## Why
`jail -e` prints any value, but `jail -c` fails when the jail starts
(often at boot) with `unknown boolean value`, `non-integer value`,
`unknown jailsys value`, `not an IPv4 address`, `not an absolute
pathname`, `missing information` or `no jail root path defined`.

## Example
```
web {
    path = jails/web;
    securelevel = high;
    vnet = disable;
    ip4.addr = "em0|10.0.0.0.1/24";
}
```

## Fix
Write the value the parameter takes: `path = /jails/web;`,
`securelevel = 3;`, `vnet = inherit;` (or leave it out),
`ip4.addr = "em0|10.0.0.1/24";`."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Jails(check),
};

/// What is wrong with one value.
struct Problem {
    /// The finding's message, without the jails.
    message: String,
    /// The primary label.
    label: &'static str,
    /// What to write instead.
    help: String,
    /// jail(8)'s (or libjail's) message, without the jail name.
    jail_message: Option<String>,
}

impl Problem {
    fn new(message: String, label: &'static str, help: impl Into<String>) -> Self {
        Problem {
            message,
            label,
            help: help.into(),
            jail_message: None,
        }
    }

    fn jail_says(mut self, message: String) -> Self {
        self.jail_message = Some(message);
        self
    }
}

/// A value for a message: escaped control characters, long text cut.
fn shown(text: &str) -> String {
    const MAX: usize = 40;
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == MAX {
            out.push('…');
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&c.escape_default().to_string()),
            c => out.push(c),
        }
    }
    out
}

/// A value for a message: in backticks, or "an empty value".
fn quoted(text: &str) -> String {
    if text.is_empty() {
        "an empty value".to_string()
    } else {
        format!("`{}`", shown(text))
    }
}

/// `a`, `b` or `c`.
fn choices(values: &[&str]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.join(""),
    }
}

/// Where C's `strtol(text, &end, 10)` stops: `None` when it converts
/// nothing (no digits after optional blanks and a sign).
fn strtol_end(text: &[u8]) -> Option<usize> {
    let mut i = text
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
        .count();
    if matches!(text.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = text[i.min(text.len())..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    (digits > 0).then_some(i + digits)
}

/// A whole-string decimal integer, as `strtol` with an end check reads it.
fn is_integer(text: &[u8]) -> bool {
    strtol_end(text) == Some(text.len())
}

/// libjail's and jail(8)'s boolean test (an empty value is 0).
fn is_boolean(text: &[u8]) -> bool {
    text.eq_ignore_ascii_case(b"true")
        || text.eq_ignore_ascii_case(b"false")
        || text.is_empty()
        || is_integer(text)
}

/// The jailsys name a value stands for: a name (any case), a number
/// 0–2, or empty (`new`). `Err(true)` for another number, `Err(false)`
/// for other text.
fn jailsys_name(text: &str) -> Result<&'static str, bool> {
    const NAMES: [&str; 3] = ["disable", "new", "inherit"];
    if text.is_empty() {
        return Ok("new");
    }
    if let Some(name) = NAMES.iter().find(|n| text.eq_ignore_ascii_case(n)) {
        return Ok(name);
    }
    if !is_integer(text.as_bytes()) {
        return Err(false);
    }
    match text.trim_start().trim_start_matches('+').parse::<i64>() {
        Ok(n @ 0..=2) => Ok(NAMES[n as usize]),
        _ => Err(true),
    }
}

/// Checks one element of an address list: `[IFACE|]ADDR[/MASK][ OPTIONS]`.
fn check_address(param: &str, value: &str, element: &str, v6: bool) -> Option<Problem> {
    let family = if v6 { "IPv6" } else { "IPv4" };
    let other = if v6 { "ip4.addr" } else { "ip6.addr" };
    // jail(8) removes `IFACE|`, then cuts at `/` and at a space.
    let rest = element.split_once('|').map_or(element, |(_, rest)| rest);
    let cut = rest.find(['/', ' ']).unwrap_or(rest.len());
    let address = &rest[..cut];
    let mask = rest[cut..]
        .strip_prefix('/')
        .map(|m| m.split(' ').next().unwrap_or(""));
    let is_v4 = address.parse::<Ipv4Addr>().is_ok();
    let is_v6 = address.parse::<Ipv6Addr>().is_ok();
    if (v6 && is_v4) || (!v6 && is_v6) {
        let found = if v6 { "IPv4" } else { "IPv6" };
        return Some(
            Problem::new(
                format!("`{param}` holds the {found} address `{}`", shown(address)),
                "wrong address family",
                format!("move it to `{other}`"),
            )
            .jail_says(format!(
                "{param}: not an {family} address: {}",
                shown(address)
            )),
        );
    }
    if !(is_v4 || is_v6) {
        let what = if address.is_empty() {
            format!("`{param}` has an empty address in `{}`", shown(value))
        } else {
            format!("`{}` is not an {family} address", shown(address))
        };
        return Some(
            Problem::new(
                what,
                "not an address",
                format!("write each element of `{param}` as `[interface|]address[/prefix]`"),
            )
            .jail_says(format!(
                "{param}: not an {family} address: {}",
                shown(address)
            )),
        );
    }
    let mask = mask?;
    let max = if v6 { 128 } else { 32 };
    let prefix_ok = !mask.is_empty()
        && mask.bytes().all(|b| b.is_ascii_digit())
        && mask.parse::<u32>().is_ok_and(|p| p <= max);
    let dotted_ok = !v6 && mask.contains('.') && mask.parse::<Ipv4Addr>().is_ok();
    if prefix_ok || dotted_ok {
        return None;
    }
    let help = if v6 {
        "write a prefix length from 0 to 128".to_string()
    } else {
        "write a prefix length from 0 to 32 or a dotted netmask such as `255.255.255.0`".to_string()
    };
    Some(Problem::new(
        format!("`/{}` is not a valid netmask for `{address}`", shown(mask)),
        "invalid netmask",
        help,
    ))
}

/// The problem with the value of parameter `name` (as spelled), if any.
fn check_value(param: &params::Param, name: &str, text: &str) -> Option<Problem> {
    let bytes = text.as_bytes();
    let value = || quoted(text);
    match param.value_type {
        ValueType::Bool if !is_boolean(bytes) => Some(
            Problem::new(
                format!("`{name}` is a boolean, not {}", value()),
                "not a boolean",
                format!("write `{name} = true;` or `{name} = false;` (or just `{name};`)"),
            )
            .jail_says(format!("{name}: unknown boolean value \"{}\"", shown(text))),
        ),
        ValueType::Int | ValueType::Ulong => {
            // libjail reads an empty kernel integer as 0; jail(8) rejects
            // an empty value for its own integers.
            let empty_ok = param.kind == ParamKind::Kernel && bytes.is_empty();
            (!empty_ok && !is_integer(bytes)).then(|| {
                Problem::new(
                    format!("`{name}` takes an integer, not {}", value()),
                    "not an integer",
                    format!(
                        "write a decimal number, e.g. `{name} = {};`",
                        example(param)
                    ),
                )
                .jail_says(format!("{name}: non-integer value \"{}\"", shown(text)))
            })
        }
        ValueType::Jailsys => {
            let accepted: Vec<&str> = param.jailsys_values().collect();
            let found = jailsys_name(text);
            if matches!(found, Ok(found) if accepted.contains(&found)) {
                return None;
            }
            let choices = choices(&accepted);
            match found {
                Ok(found) if accepted.contains(&found) => None,
                Ok(found) => Some(Problem::new(
                    format!("`{name}` cannot be `{found}`"),
                    "not accepted by this parameter",
                    format!("`{name}` takes {choices}"),
                )),
                Err(number) => {
                    let problem = Problem::new(
                        format!("`{name}` takes {choices}, not {}", value()),
                        "not a jailsys value",
                        format!("write {choices}"),
                    );
                    Some(if number {
                        problem
                    } else {
                        problem
                            .jail_says(format!("{name}: unknown jailsys value \"{}\"", shown(text)))
                    })
                }
            }
        }
        ValueType::String if param.name == "path" && !bytes.starts_with(b"/") => Some(
            Problem::new(
                format!("`path` must be absolute, not {}", value()),
                "not an absolute path",
                "start the path with `/`, e.g. `path = \"/jails/$name\";`",
            )
            .jail_says(format!("path {}: not an absolute pathname", shown(text))),
        ),
        ValueType::String if param.name == "exec.consolelog" && !bytes.starts_with(b"/") => Some(
            Problem::new(
                format!("`exec.consolelog` must be absolute, not {}", value()),
                "not an absolute path",
                "name the host file for the console output from its root, e.g. `exec.consolelog = \"/var/log/jail_${name}_console.log\";`",
            )
            .jail_says(format!("exec.consolelog: {}: not an absolute pathname", shown(text))),
        ),
        ValueType::List if param.name == "mount" => check_mount_entry(text),
        _ => None,
    }
}

/// Checks a `mount` entry as jail(8) reads it: blank-separated fields,
/// none at all (nothing to mount), or at least `DEVICE MOUNTPOINT FSTYPE`
/// with an absolute mount point.
fn check_mount_entry(text: &str) -> Option<Problem> {
    fstab::fields(text).next()?;
    let Some(line) = FstabLine::parse(text) else {
        return Some(
            Problem::new(
                format!("the `mount` entry {} is not a whole fstab line", quoted(text)),
                "missing information",
                "write `DEVICE MOUNTPOINT FSTYPE [OPTIONS]`, e.g. `mount += \"/data $path/data nullfs ro 0 0\";`",
            )
            .jail_says(format!("mount: {}: missing information", shown(text))),
        );
    };
    (!line.mount_point.starts_with('/')).then(|| {
        Problem::new(
            format!(
                "the mount point `{}` of a `mount` entry is not an absolute path",
                shown(&line.mount_point)
            ),
            "not an absolute path",
            format!(
                "mount points are host paths: write it under the jail's root, e.g. `$path/{}`",
                shown(line.mount_point.trim_start_matches("./"))
            ),
        )
        .jail_says(format!(
            "mount: {}: not an absolute pathname",
            shown(&line.mount_point)
        ))
    })
}

/// The file systems jail(8) mounts under the jail's `path`, set for a
/// jail that has none: jail(8) fails them with `no jail root path
/// defined`. Each with the statement that sets it. Nothing for a jail
/// whose run jail(8) refuses (a file it cannot read may set `path`).
fn mounts_without_path(
    context: &Context<'_>,
    jail: &JailRef<'_>,
) -> Vec<(&'static str, Span, Problem)> {
    if jail.param("path").is_some() || jail.jail.failed {
        return Vec::new();
    }
    if jail
        .span()
        .is_none_or(|span| context.run_refused(span.file))
    {
        return Vec::new();
    }
    ["mount.devfs", "mount.fdescfs", "mount.procfs"]
        .into_iter()
        .filter(|name| jail.flag(name) == Some(true))
        .filter_map(|name| {
            let span = jail.param_any(name)?.span.clone()?;
            let problem = Problem::new(
                format!("`{name}` mounts under the jail's `path`, which is not set"),
                "needs `path`",
                format!("set `path` to the jail's root directory, or remove `{name}` for a jail that shares the host's"),
            )
            .jail_says(format!("{name}: no jail root path defined"));
            Some((name, span, problem))
        })
        .collect()
}

/// Whether jail(8) runs a command inside the jail (and so opens
/// `exec.consolelog`): a non-empty `exec.start`, `command` or `exec.stop`.
fn runs_commands_inside(jail: &JailRef<'_>) -> bool {
    ["exec.start", "command", "exec.stop"]
        .iter()
        .any(|name| jail.values(name).iter().any(|value| !value.text.is_empty()))
}

/// An example value for an integer parameter's help.
fn example(param: &params::Param) -> &'static str {
    match param.name {
        "securelevel" => "3",
        "enforce_statfs" => "2",
        "devfs_ruleset" => "4",
        "exec.timeout" | "stop.timeout" => "30",
        _ => "1",
    }
}

/// Whether [`problems`] can find anything in a value of `param`.
fn may_be_invalid(param: &params::Param) -> bool {
    match param.value_type {
        ValueType::Bool
        | ValueType::Int
        | ValueType::Ulong
        | ValueType::Jailsys
        | ValueType::Ip4List
        | ValueType::Ip6List => true,
        ValueType::String => matches!(param.name, "path" | "exec.consolelog"),
        ValueType::List => param.name == "mount",
        ValueType::Struct | ValueType::CommandList => false,
    }
}

/// Every problem of one value: one for a scalar, possibly several for an
/// address list.
fn problems(param: &params::Param, name: &str, value: &Value, only: bool) -> Vec<Problem> {
    let text = crate::context::lossy(&value.text);
    match param.value_type {
        ValueType::Ip4List | ValueType::Ip6List => {
            // A lone empty value or `-` is libjail's empty list.
            if only && (text.is_empty() || text == "-") {
                return Vec::new();
            }
            let v6 = param.value_type == ValueType::Ip6List;
            text.split(',')
                .filter_map(|element| check_address(name, &text, element, v6))
                .collect()
        }
        _ => check_value(param, name, &text).into_iter().collect(),
    }
}

/// The help for a `mount` entry written with `\040` or `\011`.
const ESCAPED_BLANK_HELP: &str = "in a quoted string, jail.conf itself reads `\\040` as a space, which splits the entry: write `\\\\040` to hand fstab's escape to jail(8)";

/// Whether a value's source has an octal escape for a space or a tab
/// (`\040`, `\011`): fstab's way to write them, which jail.conf's own
/// quoting decodes before jail(8) splits the entry into fields.
fn has_escaped_blank(context: &Context<'_>, span: &Span) -> bool {
    let text = context.config.sources.get(span.file).text();
    let source = text
        .get(span.range.start as usize..span.range.end as usize)
        .unwrap_or_default();
    source.windows(4).enumerate().any(|(at, window)| {
        matches!(window, b"\\040" | b"\\011") && (at == 0 || source[at - 1] != b'\\')
    })
}

/// Whether a value was written with variable references (so its text
/// may differ from jail to jail).
fn has_references(context: &Context<'_>, span: &Span) -> bool {
    let text = context.config.sources.get(span.file).text();
    text.get(span.range.start as usize..span.range.end as usize)
        .is_some_and(|source| source.contains(&b'$'))
}

fn check<'c, 'a>(context: &'c Context<'a>) -> Box<dyn JailCheck<'c, 'a> + 'c> {
    let mut known_params = KnownParams::default();
    place_check(
        move |found, jail| {
            for param in &jail.jail.params {
                let Some((known, _)) = known_params.get(&param.name) else {
                    continue;
                };
                if !may_be_invalid(known)
                    || (known.name == "exec.consolelog" && !runs_commands_inside(jail))
                {
                    continue;
                }
                let name = crate::context::lossy(&param.name);
                let values: &[Value] = if known.is_list() {
                    &param.values
                } else {
                    param.values.last().map_or(&[], std::slice::from_ref)
                };
                let only = param.values.len() == 1;
                for value in values {
                    let Some(span) = &value.span else { continue };
                    let mut problems = problems(known, &name, value, only);
                    if problems.is_empty() {
                        continue;
                    }
                    if known.name == "mount" && has_escaped_blank(context, span) {
                        for problem in &mut problems {
                            problem.help = ESCAPED_BLANK_HELP.to_string();
                        }
                    }
                    let expanded = has_references(context, span);
                    // The leftover of a failed expansion: jail(8) does not
                    // start the jail anyway, and JC003–JC005 report why.
                    if expanded && jail.jail.failed {
                        continue;
                    }
                    let mut keys = HashSet::new();
                    for problem in problems {
                        // The expansions of one value for several jails are
                        // one finding, with the first jail's text.
                        let key = if expanded {
                            format!("{name}\0{}", problem.label)
                        } else {
                            problem.message.clone()
                        };
                        if keys.insert(key.clone()) {
                            found.add(span.clone(), key, jail, problem);
                        }
                    }
                }
            }
            for (name, span, problem) in mounts_without_path(context, jail) {
                found.add(span, format!("{name}\0no path"), jail, problem);
            }
        },
        move |place, report| {
            let Some((first_jail, problem)) = place.items.first() else {
                return;
            };
            let same = place
                .items
                .iter()
                .all(|(_, p)| p.message == problem.message);
            let jails = if same || place.items.len() == 1 {
                place.jails_text()
            } else {
                let others: Vec<String> = place.items[1..]
                    .iter()
                    .map(|(name, _)| format!("`{name}`"))
                    .collect();
                let which = if others.len() == 1 { "jail" } else { "jails" };
                format!(
                    "jail `{first_jail}`; likewise {which} {}",
                    super::list(&others)
                )
            };
            let mut finding = report
                .finding(format!("{} ({jails})", problem.message), place.span.clone())
                .with_label(problem.label)
                .with_help(problem.help.clone());
            if let Some(message) = &problem.jail_message {
                finding = finding.with_jail_message(format!("{first_jail}: {message}"));
            }
            report.push(finding);
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_like_strtol() {
        assert!(is_integer(b"12"));
        assert!(is_integer(b" -3"));
        assert!(is_integer(b"+7"));
        assert!(!is_integer(b"12 "));
        assert!(!is_integer(b""));
        assert!(!is_integer(b"0x10"));
        assert!(is_boolean(b"TRUE"));
        assert!(is_boolean(b""));
        assert!(!is_boolean(b"yes"));
    }

    #[test]
    fn jailsys_names() {
        assert_eq!(jailsys_name("Inherit"), Ok("inherit"));
        assert_eq!(jailsys_name("0"), Ok("disable"));
        assert_eq!(jailsys_name(""), Ok("new"));
        assert_eq!(jailsys_name("3"), Err(true));
        assert_eq!(jailsys_name("yes"), Err(false));
        assert_eq!(choices(&["new", "inherit"]), "`new` or `inherit`");
    }

    #[test]
    fn addresses() {
        let v4 = |e: &str| check_address("ip4.addr", e, e, false).is_none();
        let v6 = |e: &str| check_address("ip6.addr", e, e, true).is_none();
        assert!(v4("em0|192.0.2.1/24"));
        assert!(v4("192.0.2.1/255.255.255.0"));
        assert!(v4("em0|192.0.2.1/24 vhid 1"));
        assert!(v6("2001:db8::1/64"));
        assert!(!v4("10.0.0.0.1"));
        assert!(!v4("192.0.2.1/33"));
        assert!(!v4("2001:db8::1"));
        assert!(!v6("fe80::1%em0"));
        assert!(!v6("2001:db8::1/255.255.255.0"));
    }
}
