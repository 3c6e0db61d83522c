//! Values that every jail of a large host inherits from the global
//! section: each duplicate check reports the shared statement once, with a
//! shortened list of jails, instead of one finding (or one name) per jail
//! for every other jail.

use jailconf_lint::{lint, HostFacts, LintOptions};
use jailconf_parser::{Config, MainFile, NoFiles, Target};

const JAILS: usize = 3_000;

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
    let config = Config::load(
        MainFile::from_path("/etc/jail.conf", text.into_bytes()),
        &NoFiles,
        Target::V15,
    );
    let checks = ["JC034", "JC035", "JC057", "JC070"];
    let options = LintOptions {
        select: Some(checks.iter().map(|code| code.to_string()).collect()),
        ..LintOptions::default()
    };
    let findings = lint(&config, &HostFacts::default(), &options);
    for code in checks {
        let found: Vec<_> = findings.iter().filter(|f| f.code == code).collect();
        assert_eq!(found.len(), 1, "{code}: {found:#?}");
        let message = &found[0].message;
        assert!(
            message.contains(&format!("and {} more", JAILS - 5)),
            "{code}: {message}"
        );
    }
}
