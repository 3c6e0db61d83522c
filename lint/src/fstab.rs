//! fstab(5) lines, as jail(8) reads the values of `mount` (and the lines
//! of a `mount.fstab` file): `DEVICE MOUNTPOINT FSTYPE [OPTIONS …]`, the
//! first two fields vis(3)-decoded.

/// One fstab line's fields that jail(8) uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FstabLine<'a> {
    /// The device or source directory, decoded.
    pub device: String,
    /// Where it is mounted, decoded.
    pub mount_point: String,
    /// The file system type.
    pub fs_type: &'a str,
    /// The comma-separated options (empty when not given).
    pub options: &'a str,
}

impl<'a> FstabLine<'a> {
    /// The fields of `line`; `None` with fewer than three (jail(8) then
    /// reports `missing information`).
    pub fn parse(line: &'a str) -> Option<Self> {
        let mut fields = fields(line);
        let (device, mount_point, fs_type) = (fields.next()?, fields.next()?, fields.next()?);
        Some(FstabLine {
            device: unvis(device),
            mount_point: unvis(mount_point),
            fs_type,
            options: fields.next().unwrap_or(""),
        })
    }

    /// The options, one by one.
    pub fn split_options(&self) -> impl Iterator<Item = &'a str> {
        self.options
            .split(',')
            .map(str::trim)
            .filter(|option| !option.is_empty())
    }
}

/// The fields of an fstab line, split where jail(8) splits them (its
/// `strtok` on space, tab, newline, carriage return, vertical tab and
/// form feed).
pub fn fields(line: &str) -> impl Iterator<Item = &str> {
    line.split([' ', '\t', '\n', '\r', '\x0b', '\x0c'])
        .filter(|field| !field.is_empty())
}

/// Decodes vis(3) octal escapes (`\040` for a space), as jail(8) does.
fn unvis(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| bytes[i] == b'\\' && d.iter().all(|b| (b'0'..=b'7').contains(b)));
        match octal {
            Some(d) => {
                let value = d.iter().fold(0u32, |v, b| v * 8 + u32::from(b - b'0'));
                out.push(u8::try_from(value).unwrap_or(b'?'));
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    crate::context::lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_options() {
        let line = FstabLine::parse("/data\\040set  $path/data nullfs ro,noatime 0 0").unwrap();
        assert_eq!(line.device, "/data set");
        assert_eq!(line.mount_point, "$path/data");
        assert_eq!(line.fs_type, "nullfs");
        assert_eq!(line.split_options().collect::<Vec<_>>(), ["ro", "noatime"]);
        let short = FstabLine::parse("devfs /j/dev devfs").unwrap();
        assert_eq!(short.split_options().count(), 0);
        assert_eq!(FstabLine::parse("/a /b"), None);
    }
}
