//! Writing files safely.

use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Replaces `path`'s content atomically: writes a temporary file in the
/// same directory, gives it the original's mode and owner, syncs it and
/// renames it over the original. A reader sees the old or the new file,
/// never a mix; a failure leaves the original untouched.
pub fn write_atomic(path: &Path, content: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let metadata = std::fs::metadata(path).ok();
    let mut temp = tempfile::Builder::new()
        .prefix(".jailconf-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    temp.write_all(content)?;
    if let Some(metadata) = &metadata {
        temp.as_file().set_permissions(metadata.permissions())?;
        // Keeping the owner needs privileges; without them the file keeps
        // ours, as any editor's save would.
        let _ =
            std::os::unix::fs::fchown(temp.as_file(), Some(metadata.uid()), Some(metadata.gid()));
    }
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
