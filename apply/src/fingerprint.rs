//! A stable fingerprint of what a plan was computed from: the observed
//! state and the configuration texts. `apply PLANFILE` recomputes it and
//! refuses a plan whose host or configuration changed since.
//!
//! SHA-256 (not `std`'s hasher, whose output may change between Rust
//! releases) over a canonical encoding: the observed state with jails,
//! interfaces and datasets sorted by name, every text length-prefixed
//! (lengths and counts as LEB128),
//! then the digest of the configuration files (each file's path and
//! length-prefixed bytes, sorted by path).

use sha2::{Digest, Sha256};

use crate::state::{Dataset, Interface, Observed, ObservedValue, RunningJail};

/// The digest of a configuration's files (path and text of every file
/// read, roots and includes), as 64 hex digits; see
/// [`crate::desired::Desired::config_digest`].
pub fn config_digest(texts: &[(String, &[u8])]) -> String {
    let mut texts: Vec<&(String, &[u8])> = texts.iter().collect();
    texts.sort_by(|a, b| a.0.cmp(&b.0));
    let mut hasher = Sha256::new();
    for (path, text) in texts {
        hasher.update((path.len() as u64).to_le_bytes());
        hasher.update(path.as_bytes());
        hasher.update((text.len() as u64).to_le_bytes());
        hasher.update(text);
    }
    hex(hasher.finalize())
}

/// The fingerprint of a plan's inputs: the observed state and the
/// configuration's [`config_digest`], as `sha256:` and 64 hex digits.
pub fn fingerprint(observed: &Observed, config_digest: &str) -> String {
    let mut jails: Vec<&RunningJail> = observed.jails.iter().collect();
    jails.sort_by(|a, b| (&a.name, a.jid).cmp(&(&b.name, b.jid)));
    let mut interfaces: Vec<&Interface> = observed.interfaces.iter().collect();
    interfaces.sort_by(|a, b| a.name.cmp(&b.name));
    let mut datasets: Vec<&Dataset> = observed.datasets.iter().collect();
    datasets.sort_by(|a, b| a.name.cmp(&b.name));

    let mut out = Encoder::default();
    out.count(jails.len());
    for jail in jails {
        out.text(&jail.name);
        out.count(jail.jid as usize);
        out.count(usize::from(jail.dying));
        out.count(jail.params.len());
        for (key, value) in &jail.params {
            out.text(key);
            match value {
                ObservedValue::Bool(b) => out.count(usize::from(*b)),
                ObservedValue::Text(text) => {
                    out.count(2);
                    out.text(text);
                }
                ObservedValue::List(items) => {
                    out.count(3);
                    out.list(items);
                }
            }
        }
    }
    out.count(interfaces.len());
    for interface in interfaces {
        out.text(&interface.name);
        out.count(usize::from(interface.up));
        out.text(interface.description.as_deref().unwrap_or("\0"));
        out.list(&interface.inet);
        out.list(&interface.inet6);
        out.list(&interface.members);
    }
    out.count(datasets.len());
    for dataset in datasets {
        out.text(&dataset.name);
        out.text(dataset.mountpoint.as_deref().unwrap_or("\0"));
        out.text(dataset.origin.as_deref().unwrap_or("\0"));
    }
    out.text(config_digest);
    format!("sha256:{}", hex(out.finish()))
}

/// An unambiguous encoding (every text length-prefixed, every list
/// counted) fed to SHA-256 through a buffer.
#[derive(Default)]
struct Encoder {
    hasher: Sha256,
    buffer: Vec<u8>,
}

impl Encoder {
    /// `n` as LEB128: seven bits a byte, low bits first, the high bit set
    /// on every byte but the last (most counts and lengths take one byte).
    fn count(&mut self, n: usize) {
        let mut n = n as u64;
        while n >= 0x80 {
            self.buffer.push((n as u8) | 0x80);
            n >>= 7;
        }
        self.buffer.push(n as u8);
        self.flush_if_full();
    }

    fn text(&mut self, text: &str) {
        self.count(text.len());
        self.buffer.extend_from_slice(text.as_bytes());
        self.flush_if_full();
    }

    fn list(&mut self, items: &[String]) {
        self.count(items.len());
        for item in items {
            self.text(item);
        }
    }

    fn flush_if_full(&mut self) {
        if self.buffer.len() >= 1 << 16 {
            self.hasher.update(&self.buffer);
            self.buffer.clear();
        }
    }

    fn finish(mut self) -> impl AsRef<[u8]> {
        self.hasher.update(&self.buffer);
        self.hasher.finalize()
    }
}

fn hex(bytes: impl AsRef<[u8]>) -> String {
    let bytes = bytes.as_ref();
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn jail(name: &str, jid: u32) -> RunningJail {
        RunningJail {
            jid,
            name: name.to_string(),
            dying: false,
            params: BTreeMap::new(),
        }
    }

    #[test]
    fn stable_and_order_independent() {
        let a = Observed {
            jails: vec![jail("a", 1), jail("b", 2)],
            interfaces: vec![Interface {
                name: "em0".into(),
                ..Interface::default()
            }],
            datasets: Vec::new(),
        };
        let mut b = a.clone();
        b.jails.reverse();
        let digest = config_digest(&[("/etc/jail.conf".to_string(), &b"a {}"[..])]);
        let fa = fingerprint(&a, &digest);
        assert_eq!(fa, fingerprint(&b, &digest));
        assert!(fa.starts_with("sha256:") && fa.len() == 71);
        let other = config_digest(&[("/etc/jail.conf".to_string(), &b"a { }"[..])]);
        assert_ne!(fa, fingerprint(&a, &other));
        b.jails[0].jid = 9;
        assert_ne!(fa, fingerprint(&b, &digest));
        assert_eq!(
            config_digest(&[]),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
