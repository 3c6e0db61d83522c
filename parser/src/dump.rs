//! Rendering the model the way `jail -e SEPARATOR` prints it.

use std::io::{self, Write};

use crate::model::{Config, Jail};

/// Writes one line per jail, exactly as `jail -e SEPARATOR` does.
pub fn write_jail_e(out: &mut impl Write, config: &Config, separator: &[u8]) -> io::Result<()> {
    for jail in &config.jails {
        write_jail(out, jail, separator)?;
    }
    Ok(())
}

/// The `jail -e` output as bytes.
pub fn jail_e(config: &Config, separator: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = write_jail_e(&mut out, config, separator);
    out
}

fn write_jail(out: &mut impl Write, jail: &Jail, separator: &[u8]) -> io::Result<()> {
    let mut first = true;
    for param in jail.params.iter().filter(|p| *p.name != *b"jid") {
        if !first {
            out.write_all(separator)?;
        }
        first = false;
        out.write_all(&param.name)?;
        if param.values.is_empty() {
            continue;
        }
        out.write_all(b"=")?;
        for (i, value) in param.values.iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            write_quoted(out, &value.text)?;
        }
    }
    out.write_all(b"\n")
}

/// jail(8)'s `quoted_print`: quote empty values and values with quotes,
/// spaces or tabs; escape backslashes and the chosen quote.
pub fn write_quoted(out: &mut impl Write, value: &[u8]) -> io::Result<()> {
    let quote = if value.is_empty() || value.contains(&b'\'') {
        Some(b'"')
    } else if value.contains(&b'"') {
        Some(b'\'')
    } else if value.contains(&b' ') || value.contains(&b'\t') {
        Some(b'"')
    } else {
        None
    };
    if let Some(q) = quote {
        out.write_all(&[q])?;
    }
    for &c in value {
        if c == b'\\' || Some(c) == quote {
            out.write_all(b"\\")?;
        }
        out.write_all(&[c])?;
    }
    if let Some(q) = quote {
        out.write_all(&[q])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(value: &[u8]) -> String {
        let mut out = Vec::new();
        write_quoted(&mut out, value).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn quoting_follows_jail() {
        assert_eq!(quoted(b""), "\"\"");
        assert_eq!(quoted(b"plain"), "plain");
        assert_eq!(quoted(b"a b"), "\"a b\"");
        assert_eq!(quoted(b"it's"), "\"it's\"");
        assert_eq!(quoted(b"say \"x\""), "'say \"x\"'");
        assert_eq!(quoted(b"both ' \""), "\"both ' \\\"\"");
        assert_eq!(quoted(b"back\\slash"), "back\\\\slash");
        assert_eq!(quoted(b"$x,;"), "$x,;");
    }
}
