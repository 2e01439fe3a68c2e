//! Reading a cache flowc saved for itself (the SQL analysis cache): the bytes of a
//! regular file, or nothing. A cache is only ever a shortcut, so a missing, unreadable
//! or odd one (a link, a folder, a device that would never end) is simply no cache.

use std::fs;
use std::io::Read as _;
use std::path::Path;

/// The bytes of the regular file at `path`, when there is one and it reads.
pub fn read_cache(path: &Path) -> Option<Vec<u8>> {
    let metadata = fs::symlink_metadata(path).ok()?;
    if !metadata.file_type().is_file() {
        return None;
    }
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).ok()?);
    fs::File::open(path).ok()?.read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_regular_file_is_a_cache() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("cache");
        assert_eq!(read_cache(&file), None);
        fs::write(&file, b"bytes").expect("write");
        assert_eq!(read_cache(&file).as_deref(), Some(&b"bytes"[..]));
        assert_eq!(read_cache(dir.path()), None);
        #[cfg(unix)]
        {
            let link = dir.path().join("link");
            std::os::unix::fs::symlink("/dev/zero", &link).expect("link");
            assert_eq!(read_cache(&link), None);
        }
    }
}
