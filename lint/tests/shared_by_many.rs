//! Values that every jail of a large host inherits from the global
//! section: each duplicate check reports the shared statement once, with a
//! shortened list of jails, instead of one finding (or one name) per jail
//! for every other jail; and jails far apart in a large file are compared
//! (in different batches of the rules that look at one jail at a time).

use jailconf_lint::{lint, HostFacts, LintOptions};
use jailconf_parser::diag::{Diagnostic, Severity};
use jailconf_parser::{Config, MainFile, NoFiles, Target};

const JAILS: usize = 3_000;

/// The duplicate checks.
const CHECKS: [&str; 4] = ["JC034", "JC035", "JC057", "JC070"];

/// What the duplicate checks find in `text`, read as `/etc/jail.conf`.
fn duplicate_findings(text: String) -> Vec<Diagnostic> {
    let config = Config::load(
        MainFile::from_path("/etc/jail.conf", text.into_bytes()),
        &NoFiles,
        Target::V15,
    );
    let options = LintOptions {
        select: Some(CHECKS.iter().map(|code| code.to_string()).collect()),
        ..LintOptions::default()
    };
    lint(&config, &HostFacts::default(), &options)
}

#[test]
fn a_statement_every_jail_inherits_is_reported_once() {
    let mut text = String::from(
        "vnet;\n\
         vnet.interface = \"epair0b\";\n\
         exec.prestart = \"ifconfig epair0 create up\";\n\
         exec.poststop = \"ifconfig epair0a destroy\";\n\
         exec.start = \"ifconfig epair0b inet 192.0.2.10/24 up\";\n\
         host.hostname = \"shared.example.org\";\n\
         exec.consolelog = \"/var/log/shared.log\";\n\
         persist;\n",
    );
    for jail in 0..JAILS {
        text.push_str(&format!("j{jail} {{ }}\n"));
    }
    let findings = duplicate_findings(text);
    for code in CHECKS {
        let found: Vec<_> = findings.iter().filter(|f| f.code == code).collect();
        assert_eq!(found.len(), 1, "{code}: {found:#?}");
        let message = &found[0].message;
        assert!(
            message.contains(&format!("and {} more", JAILS - 5)),
            "{code}: {message}"
        );
    }
}

#[test]
fn jails_far_apart_are_compared() {
    // The first and the last of many jails share each value; the rules
    // that look at one jail at a time see them in different batches.
    let shared = |jail: usize| {
        format!(
            "j{jail} {{ vnet; vnet.interface = \"epair7b\"; host.hostname = \"twin.example.org\"; \
             exec.consolelog = \"/var/log/twin.log\"; \
             exec.start = \"ifconfig epair7b inet 192.0.2.7/24 up\"; persist; }}\n"
        )
    };
    let mut text = shared(0);
    for jail in 1..JAILS - 1 {
        text.push_str(&format!(
            "j{jail} {{ vnet; vnet.interface = \"epair{jail}00b\"; persist; }}\n"
        ));
    }
    text.push_str(&shared(JAILS - 1));
    let findings = duplicate_findings(text);
    let last = format!("`j{}`", JAILS - 1);
    for code in CHECKS {
        let found: Vec<_> = findings.iter().filter(|f| f.code == code).collect();
        assert_eq!(found.len(), 1, "{code}: {found:#?}");
        let message = &found[0].message;
        assert!(
            message.contains("`j0`") && message.contains(&last),
            "{code}: {message}"
        );
    }
}

#[test]
fn bridges_of_jails_far_apart_are_compared() {
    // The first and the last of many jails set one address in their
    // `exec.start`; whether they are on one bridge decides how serious
    // that is. The rule sees them in different batches, whose network
    // pictures are gone when it reports.
    let host = |bridge_of_last: &str| {
        let jail = |jail: usize, bridge: &str, address: &str| {
            format!(
                "j{jail} {{ vnet; vnet.interface = \"epair{jail}b\"; persist; \
                 exec.prestart = \"ifconfig epair{jail} create up\"; \
                 exec.prestart += \"ifconfig {bridge} addm epair{jail}a up\"; \
                 exec.start = \"ifconfig epair{jail}b inet {address}/24 up\"; }}\n"
            )
        };
        let mut text = jail(0, "bridge0", "192.0.2.7");
        for n in 1..JAILS - 1 {
            let address = format!("10.{}.{}.{}", n / 65_536, n / 256 % 256, n % 256);
            text.push_str(&jail(n, "bridge0", &address));
        }
        text.push_str(&jail(JAILS - 1, bridge_of_last, "192.0.2.7"));
        duplicate_findings(text)
    };
    let duplicate_address = |findings: Vec<Diagnostic>| {
        let found: Vec<_> = findings.into_iter().filter(|f| f.code == "JC034").collect();
        assert_eq!(found.len(), 1, "{found:#?}");
        found.into_iter().next().expect("one finding")
    };
    let same_bridge = duplicate_address(host("bridge0"));
    assert_eq!(same_bridge.severity, Severity::Error);
    let other_bridge = duplicate_address(host("bridge1"));
    assert_eq!(other_bridge.severity, Severity::Warning);
    assert!(
        other_bridge
            .help
            .as_deref()
            .is_some_and(|help| help.contains("different bridges")),
        "{other_bridge:#?}"
    );
}
