//! Replacing an environment's live output folder by its next one in one step.
//!
//! Where the system can exchange two folders atomically (`renameat2` with
//! `RENAME_EXCHANGE` on Linux, `renamex_np` with `RENAME_SWAP` on macOS), the next
//! folder and the live one trade places in one call: any process (Airflow, a copy, a
//! killed compile) sees the old folder or the new one, complete. Elsewhere, and on file
//! systems that refuse the exchange (NFS), the live folder is renamed aside first and the
//! next one renamed in; a compile cut between the two renames leaves the folder missing
//! for a moment, and the next compile moves the previous output back before anything
//! else (see `discard::leftovers`).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::discard::MOVED_DIR;
use super::next::{Live, Prepared};
use crate::Error;

/// Switches `prepared` in; returns the folder now holding the previous output, to be
/// discarded.
pub(super) fn switch(prepared: &Prepared) -> Result<Option<PathBuf>, Error> {
    let Some(next) = &prepared.next else {
        return Ok(None);
    };
    let live = &prepared.live;
    match prepared.kind {
        Live::Absent => {
            fs::rename(next, live).map_err(|e| Error::io("move into place", live, e))?;
            Ok(None)
        }
        Live::Folder => match exchange(next, live) {
            Ok(()) => Ok(Some(next.clone())),
            Err(error) if unsupported(&error) => {
                let moved = next.with_file_name(MOVED_DIR);
                fs::rename(live, &moved).map_err(|e| Error::io("move aside", live, e))?;
                if let Err(error) = fs::rename(next, live) {
                    // Put the previous output back; if even that fails, the next compile
                    // does it before anything else.
                    let _ = fs::rename(&moved, live);
                    return Err(Error::io("move into place", live, error));
                }
                Ok(Some(moved))
            }
            Err(error) => Err(Error::io("switch", live, error)),
        },
    }
}

/// Whether the exchange failed only because the system or file system cannot do it.
fn unsupported(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::Unsupported
        || matches!(error.raw_os_error(), Some(code) if EXCHANGE_UNSUPPORTED.contains(&code))
}

#[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
const EXCHANGE_UNSUPPORTED: [i32; 3] = [
    rustix::io::Errno::INVAL.raw_os_error(),
    rustix::io::Errno::NOSYS.raw_os_error(),
    rustix::io::Errno::NOTSUP.raw_os_error(),
];

#[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
const EXCHANGE_UNSUPPORTED: [i32; 0] = [];

/// Exchanges two folders atomically.
#[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(io::Error::from)
}

#[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
fn exchange(_a: &Path, _b: &Path) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "no atomic exchange of folders on this system",
    ))
}
