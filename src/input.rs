//! Reading the configuration named on the command line.

use std::io::Read;
use std::path::Path;

use jailconf_parser::model::io_message;
use jailconf_parser::MainFile;

/// Reads FILE, or standard input for `-`.
pub fn read_main(path: &Path) -> std::result::Result<MainFile, String> {
    if path.as_os_str() == "-" {
        let mut text = Vec::new();
        std::io::stdin()
            .read_to_end(&mut text)
            .map_err(|e| format!("STDIN: {}", io_message(&e)))?;
        return Ok(MainFile::stdin(text));
    }
    match std::fs::read(path) {
        Ok(text) => Ok(MainFile::from_path(path, text)),
        Err(e) => Err(format!("{}: {}", path.display(), io_message(&e))),
    }
}

/// The `*.conf` files of a directory, sorted.
pub fn conf_files_in(dir: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "conf") && path.is_file())
        .collect();
    files.sort();
    Ok(files)
}
