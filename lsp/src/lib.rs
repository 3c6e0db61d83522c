//! `jailconf lsp`: a language server for FreeBSD's `jail.conf(5)`.
//!
//! Diagnostics (parse, model and lint, across included files and
//! `jail.conf.d` folders, with open buffers overriding the disk),
//! formatting identical to `jailfmt`, hover from the parameter table and
//! the evaluated model, completion, navigation and rename, symbols, links,
//! quick fixes, semantic tokens, folding and inlay hints.
//!
//! Layout: [`run`] drives a session on any [`lsp_server::Connection`]
//! (standard input and output through [`run_stdio`], memory in tests).
//! `server` holds the loop and the state, `dispatch` routes typed
//! requests, `handlers` glue the protocol to the analysis, and `convert`
//! does every conversion to and from `lsp-types`. The analysis (`analysis`,
//! `index`, `ide`) works on bytes and spans and never sees the protocol.
//!
//! The library never writes to standard output except protocol frames.

mod analysis;
mod convert;
mod dispatch;
mod handlers;
mod ide;
mod index;
mod server;
mod transport;
mod workspace;

pub use server::{run, Exit, ServerError};

/// Runs a session over standard input and output.
pub fn run_stdio() -> Result<Exit, ServerError> {
    let (connection, threads) = transport::stdio()
        .map_err(|e| ServerError(format!("cannot start the threads that read and write: {e}")))?;
    let exit = run(connection)?;
    threads
        .join()
        .map_err(|e| ServerError(format!("cannot write to standard output: {e}")))?;
    Ok(exit)
}

#[cfg(test)]
mod tests {
    /// Only the protocol layer names `lsp-types`.
    #[test]
    fn analysis_does_not_know_the_protocol() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = vec![
            dir.join("analysis.rs"),
            dir.join("index.rs"),
            dir.join("workspace.rs"),
        ];
        for entry in std::fs::read_dir(dir.join("ide")).unwrap() {
            files.push(entry.unwrap().path());
        }
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            assert!(
                !text.contains("lsp_types") && !text.contains("lsp_server"),
                "{} uses the protocol types",
                file.display()
            );
        }
    }
}
