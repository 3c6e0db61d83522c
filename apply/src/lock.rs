//! The apply lock: one exclusive lock file per host, so two runs of
//! `jailconf apply` (or `destroy`) cannot interleave their jail(8) calls.
//!
//! The lock is an advisory `flock(2)`-style lock on a file (default
//! [`DEFAULT_LOCK_FILE`]); the holder writes its process id into the file
//! so that a refused run can name it. The lock is released when the
//! [`ApplyLock`] is dropped (or the process exits).

use std::fmt;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

/// Where the lock lives unless `--lock-file` says otherwise.
pub const DEFAULT_LOCK_FILE: &str = "/var/run/jailconf.lock";

/// How often a waiting run retries the lock.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// A held lock; dropping it releases the lock.
#[derive(Debug)]
pub struct ApplyLock {
    file: File,
    path: PathBuf,
}

impl ApplyLock {
    /// Takes the lock at `path`, waiting up to `timeout` for another holder
    /// to release it (`Duration::ZERO`: fail at once).
    pub fn acquire(path: &Path, timeout: Duration) -> Result<ApplyLock, LockError> {
        let io_error = |source| LockError::Io {
            path: path.to_path_buf(),
            source,
        };
        // No truncation here: the holder's pid must survive our open.
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io_error)?;
        let deadline = Instant::now() + timeout;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) => {
                    if Instant::now() >= deadline {
                        return Err(LockError::Held {
                            path: path.to_path_buf(),
                            holder: holder_pid(&mut file),
                            waited: timeout,
                        });
                    }
                    thread::sleep(POLL_INTERVAL);
                }
                Err(TryLockError::Error(source)) => return Err(io_error(source)),
            }
        }
        write_pid(&mut file).map_err(io_error)?;
        Ok(ApplyLock {
            file,
            path: path.to_path_buf(),
        })
    }

    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ApplyLock {
    fn drop(&mut self) {
        // Clear the pid so a stale file names nobody; the lock itself goes
        // with the descriptor. Errors here cannot be reported usefully.
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

/// Replaces the file's contents with this process's id.
fn write_pid(file: &mut File) -> io::Result<()> {
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    writeln!(file, "{}", std::process::id())?;
    file.sync_data()
}

/// The pid the current holder wrote, if it did so already.
fn holder_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

/// Why the lock could not be taken.
#[derive(Debug)]
pub enum LockError {
    /// Another process holds it.
    Held {
        /// The lock file.
        path: PathBuf,
        /// The holder's pid, when it had written it.
        holder: Option<u32>,
        /// How long this run waited.
        waited: Duration,
    },
    /// The file could not be opened or locked.
    Io {
        /// The lock file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

impl fmt::Display for LockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LockError::Held {
                path,
                holder,
                waited,
            } => {
                let holder = match holder {
                    Some(pid) => format!("process {pid}"),
                    None => "another process".to_string(),
                };
                write!(
                    f,
                    "{} is locked by {holder} (another jailconf apply is running)",
                    path.display()
                )?;
                if !waited.is_zero() {
                    write!(f, "; gave up after {} s", waited.as_secs())?;
                }
                Ok(())
            }
            LockError::Io { path, source } => {
                write!(f, "cannot lock {}: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for LockError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LockError::Held { .. } => None,
            LockError::Io { source, .. } => Some(source),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_fails_and_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jailconf.lock");
        let held = ApplyLock::acquire(&path, Duration::ZERO).unwrap();
        assert_eq!(held.path(), path);
        let pid = std::process::id();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap().trim(),
            pid.to_string()
        );
        let err = ApplyLock::acquire(&path, Duration::ZERO).unwrap_err();
        assert!(matches!(err, LockError::Held { holder: Some(p), .. } if p == pid));
        assert!(err.to_string().contains(&format!("process {pid}")));
        drop(held);
        ApplyLock::acquire(&path, Duration::ZERO).unwrap();
    }

    #[test]
    fn waiting_run_gets_the_lock_when_released() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jailconf.lock");
        let held = ApplyLock::acquire(&path, Duration::ZERO).unwrap();
        let releaser = thread::spawn(move || {
            thread::sleep(Duration::from_millis(150));
            drop(held);
        });
        let started = Instant::now();
        ApplyLock::acquire(&path, Duration::from_secs(5)).unwrap();
        assert!(started.elapsed() >= Duration::from_millis(100));
        releaser.join().unwrap();
    }

    #[test]
    fn waiting_run_gives_up_after_the_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jailconf.lock");
        let _held = ApplyLock::acquire(&path, Duration::ZERO).unwrap();
        let err = ApplyLock::acquire(&path, Duration::from_millis(120)).unwrap_err();
        assert!(matches!(err, LockError::Held { .. }));
    }

    #[test]
    fn missing_directory_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = ApplyLock::acquire(&dir.path().join("no/such/lock"), Duration::ZERO).unwrap_err();
        assert!(matches!(err, LockError::Io { .. }));
        assert!(err.to_string().starts_with("cannot lock"));
    }
}
