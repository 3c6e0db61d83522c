//! Reading the host: `jls -d --libxo=json -n`, `ifconfig -a` and
//! `zfs list -H -o name,mountpoint,origin`.
//!
//! The parsers are pure functions of the programs' output; [`observe`] runs
//! the programs through a [`Runner`].

use std::collections::BTreeMap;
use std::fmt;
use std::io;

use jailconf_lint::facts::LiveHost;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value as Json;

use crate::runner::Runner;
use crate::state::{Dataset, Interface, Observed, ObservedValue, RunningJail};

/// The argv that lists every jail, dying ones included, with all parameters.
pub const JLS_ARGV: [&str; 4] = ["jls", "-d", "--libxo=json", "-n"];
/// The argv that lists the host's interfaces.
pub const IFCONFIG_ARGV: [&str; 2] = ["ifconfig", "-a"];
/// The argv that lists ZFS datasets.
pub const ZFS_ARGV: [&str; 5] = ["zfs", "list", "-H", "-o", "name,mountpoint,origin"];

/// Why the host could not be read.
#[derive(Debug)]
pub enum ObserveError {
    /// A program could not be started (`jls` not on `PATH`: not FreeBSD).
    Missing {
        /// The program.
        program: String,
        /// The error from the operating system.
        error: io::Error,
    },
    /// A program ran and failed.
    Failed {
        /// The program.
        program: String,
        /// Its standard error (jail(8)'s message), trimmed.
        stderr: String,
    },
    /// jls printed something that is not its JSON.
    BadJls(String),
}

impl fmt::Display for ObserveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObserveError::Missing { program, error } if error.kind() == io::ErrorKind::NotFound => {
                write!(f, "{program} not found on PATH")
            }
            ObserveError::Missing { program, error } => write!(f, "cannot run {program}: {error}"),
            ObserveError::Failed { program, stderr } if stderr.is_empty() => {
                write!(f, "{program} failed")
            }
            ObserveError::Failed { program, stderr } => write!(f, "{program} failed: {stderr}"),
            ObserveError::BadJls(message) => write!(f, "cannot read jls output: {message}"),
        }
    }
}

impl std::error::Error for ObserveError {}

impl ObserveError {
    /// Whether the error means the host is not FreeBSD (`jls` is missing).
    pub fn jls_missing(&self) -> bool {
        matches!(self, ObserveError::Missing { program, error }
            if program == "jls" && error.kind() == io::ErrorKind::NotFound)
    }
}

/// Reads the host: jails (an error when jls fails), interfaces (an error
/// when ifconfig fails) and, when `want_datasets`, ZFS datasets (empty when
/// zfs is missing or fails: a host without ZFS is not an error).
pub fn observe(runner: &dyn Runner, want_datasets: bool) -> Result<Observed, ObserveError> {
    let jls = run_checked(runner, &JLS_ARGV)?;
    let jails = parse_jls(&String::from_utf8_lossy(&jls)).map_err(ObserveError::BadJls)?;
    let ifconfig = run_checked(runner, &IFCONFIG_ARGV)?;
    let interfaces = parse_ifconfig(&String::from_utf8_lossy(&ifconfig));
    let datasets = if want_datasets {
        match runner.run(&argv_of(&ZFS_ARGV)) {
            Ok(output) if output.success() => {
                parse_zfs_list(&String::from_utf8_lossy(&output.stdout))
            }
            _ => Vec::new(),
        }
    } else {
        Vec::new()
    };
    Ok(Observed {
        jails,
        interfaces,
        datasets,
    })
}

/// Runs `argv`; its standard output when it exits 0.
fn run_checked(runner: &dyn Runner, argv: &[&str]) -> Result<Vec<u8>, ObserveError> {
    let program = argv.first().copied().unwrap_or_default().to_string();
    let output = runner
        .run(&argv_of(argv))
        .map_err(|error| ObserveError::Missing {
            program: program.clone(),
            error,
        })?;
    if !output.success() {
        return Err(ObserveError::Failed {
            program,
            stderr: output.stderr_text(),
        });
    }
    Ok(output.stdout)
}

fn argv_of(argv: &[&str]) -> Vec<String> {
    argv.iter().map(|s| s.to_string()).collect()
}

/// Parses `jls -d --libxo=json -n` output:
/// `{"__version":"2","jail-information":{"jail":[{…},…]}}`.
///
/// Values become [`ObservedValue::Bool`] for JSON booleans,
/// [`ObservedValue::List`] for arrays (`ip4.addr`, `ip6.addr`) and
/// [`ObservedValue::Text`] for everything else (numbers as their decimal
/// text, `null` as empty text, objects as their JSON). Unknown keys are
/// kept. `jid` may be a string or a number; a jail without `name` is named
/// by its jid.
pub fn parse_jls(text: &str) -> Result<Vec<RunningJail>, String> {
    let envelope: Envelope = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let entries = envelope.info.jail.unwrap_or_default();
    let mut jails = Vec::with_capacity(entries.len());
    for (index, params) in entries.into_iter().enumerate() {
        let params: BTreeMap<String, ObservedValue> = params
            .into_iter()
            .map(|(key, value)| (key, value.0))
            .collect();
        let jid = match params.get("jid") {
            Some(ObservedValue::Text(jid)) => jid.trim().parse::<u32>().ok(),
            _ => None,
        }
        .ok_or_else(|| format!("jail entry {index} has no valid \"jid\""))?;
        let name = match params.get("name") {
            Some(ObservedValue::Text(name)) if !name.is_empty() => name.clone(),
            _ => jid.to_string(),
        };
        let dying = match params.get("dying") {
            Some(ObservedValue::Bool(dying)) => *dying,
            Some(ObservedValue::Text(text)) => text == "true" || text == "1",
            _ => false,
        };
        jails.push(RunningJail {
            jid,
            name,
            dying,
            params,
        });
    }
    Ok(jails)
}

/// `{"jail-information": {"jail": [...]}}` (other keys ignored).
#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "jail-information")]
    info: Information,
}

#[derive(Deserialize)]
struct Information {
    #[serde(default)]
    jail: Option<Vec<BTreeMap<String, JlsValue>>>,
}

/// One value of a jls entry, read without an intermediate JSON tree.
struct JlsValue(ObservedValue);

impl<'de> Deserialize<'de> for JlsValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor).map(JlsValue)
    }
}

/// Reads a value as [`ObservedValue`].
struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = ObservedValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a jls value")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<ObservedValue, E> {
        Ok(ObservedValue::Bool(value))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<ObservedValue, E> {
        Ok(ObservedValue::Text(value.to_string()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<ObservedValue, E> {
        Ok(ObservedValue::Text(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<ObservedValue, E> {
        Ok(ObservedValue::Text(value.to_string()))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<ObservedValue, E> {
        Ok(ObservedValue::Text(value.to_string()))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<ObservedValue, E> {
        Ok(ObservedValue::Text(value.to_string()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<ObservedValue, E> {
        Ok(ObservedValue::Text(String::new()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ObservedValue, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Json>()? {
            items.push(match item {
                Json::String(s) => s,
                Json::Null => String::new(),
                other => other.to_string(),
            });
        }
        Ok(ObservedValue::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ObservedValue, A::Error> {
        let value = Json::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(ObservedValue::Text(value.to_string()))
    }
}

/// Parses `ifconfig -a` (FreeBSD format) with the linter's parser:
/// addresses as `ADDR/LEN`, bridge members, the `UP` flag and the
/// `description:` line.
pub fn parse_ifconfig(text: &str) -> Vec<Interface> {
    LiveHost::from_ifconfig(text)
        .interfaces
        .into_iter()
        .map(|interface| {
            let (mut inet, mut inet6) = (Vec::new(), Vec::new());
            for (addr, prefix) in &interface.addresses {
                let list = if addr.is_ipv4() {
                    &mut inet
                } else {
                    &mut inet6
                };
                list.push(format!("{addr}/{prefix}"));
            }
            Interface {
                name: interface.name,
                up: interface.up,
                description: interface.description,
                inet,
                inet6,
                members: interface.members,
            }
        })
        .collect()
}

/// Parses `zfs list -H -o name,mountpoint,origin` (tab-separated; `-`,
/// `none` and `legacy` mean no mount point, `-` no origin).
pub fn parse_zfs_list(text: &str) -> Vec<Dataset> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let name = fields.next().filter(|n| !n.is_empty())?.to_string();
            let mountpoint = fields
                .next()
                .filter(|m| !matches!(*m, "" | "-" | "none" | "legacy"))
                .map(str::to_string);
            let origin = fields
                .next()
                .filter(|o| !matches!(*o, "" | "-"))
                .map(str::to_string);
            Some(Dataset {
                name,
                mountpoint,
                origin,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::Output;

    #[test]
    fn jls_values_and_tolerance() {
        let jails = parse_jls(
            r#"{"__version": "2", "jail-information": {"jail": [
              {"jid": 3, "name": "web", "dying": false, "persist": true,
               "securelevel": "2", "ip4.addr": ["192.0.2.1"], "odd": 5, "nil": null,
               "obj": {"a": [1]}},
              {"jid": "7", "dying": true}
            ]}}"#,
        )
        .unwrap();
        assert_eq!(jails.len(), 2);
        assert_eq!(jails[0].jid, 3);
        assert_eq!(jails[0].name, "web");
        assert_eq!(jails[0].params["persist"], ObservedValue::Bool(true));
        assert_eq!(
            jails[0].params["ip4.addr"],
            ObservedValue::List(vec!["192.0.2.1".into()])
        );
        assert_eq!(jails[0].params["odd"], ObservedValue::Text("5".into()));
        assert_eq!(jails[0].params["nil"], ObservedValue::Text(String::new()));
        assert_eq!(
            jails[0].params["obj"],
            ObservedValue::Text(r#"{"a":[1]}"#.into())
        );
        assert_eq!(jails[1].name, "7");
        assert!(jails[1].dying);
    }

    #[test]
    fn jls_errors_never_panic() {
        assert!(parse_jls("").is_err());
        assert!(parse_jls("[]").is_err());
        assert!(parse_jls(r#"{"jail-information": {"jail": [1]}}"#).is_err());
        assert!(parse_jls(r#"{"jail-information": {"jail": {}}}"#).is_err());
        assert!(parse_jls(r#"{"jail-information": {"jail": [{"name": "x"}]}}"#).is_err());
        assert!(parse_jls(r#"{"jail-information": {"jail": [{"jid": "-1"}]}}"#).is_err());
        assert_eq!(parse_jls(r#"{"jail-information": {}}"#).unwrap(), []);
    }

    #[test]
    fn zfs_list() {
        let datasets = parse_zfs_list(
            "zroot\tnone\t-\nzroot/jail/shadow\t/jail/shadow\tzroot/jail/classic@template\n\n",
        );
        assert_eq!(datasets.len(), 2);
        assert_eq!(datasets[0].mountpoint, None);
        assert_eq!(datasets[1].mountpoint.as_deref(), Some("/jail/shadow"));
        assert_eq!(
            datasets[1].origin.as_deref(),
            Some("zroot/jail/classic@template")
        );
    }

    /// Answers from a table of argv[0] → output; `None` = not found.
    struct Fake(Vec<(&'static str, Option<Output>)>);

    impl Runner for Fake {
        fn run(&self, argv: &[String]) -> io::Result<Output> {
            match self.0.iter().find(|(p, _)| *p == argv[0]) {
                Some((_, Some(output))) => Ok(output.clone()),
                _ => Err(io::ErrorKind::NotFound.into()),
            }
        }
    }

    fn ok(stdout: &str) -> Option<Output> {
        Some(Output {
            status: Some(0),
            stdout: stdout.as_bytes().to_vec(),
            stderr: Vec::new(),
        })
    }

    #[test]
    fn observe_runs_programs() {
        let jls = r#"{"__version":"2","jail-information":{"jail":[]}}"#;
        let fake = Fake(vec![
            ("jls", ok(jls)),
            ("ifconfig", ok("lo0: flags=8049<UP,LOOPBACK> mtu 16384\n")),
        ]);
        let observed = observe(&fake, true).unwrap();
        assert_eq!(observed.interfaces.len(), 1);
        assert!(observed.datasets.is_empty(), "zfs missing is not an error");

        let error = observe(&Fake(vec![]), false).unwrap_err();
        assert!(error.jls_missing());
        assert_eq!(error.to_string(), "jls not found on PATH");

        let failing = Fake(vec![(
            "jls",
            Some(Output {
                status: Some(1),
                stdout: Vec::new(),
                stderr: b"jls: sysctl: Operation not permitted\n".to_vec(),
            }),
        )]);
        assert_eq!(
            observe(&failing, false).unwrap_err().to_string(),
            "jls failed: jls: sysctl: Operation not permitted"
        );
    }
}
