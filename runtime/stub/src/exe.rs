//! The executable maps itself: the payload is read in place, never copied.

use std::ffi::{c_char, CStr};
use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

pub struct Executable {
    /// Absolute path of the running executable (from /proc/self/exe).
    pub path: String,
    /// The whole file, mapped read-only for the life of the process.
    pub bytes: &'static [u8],
}

impl Executable {
    pub fn map() -> Result<Executable, String> {
        let path = own_path()?;
        let display = path.display().to_string();
        let file = File::open(&path).map_err(|e| format!("pyingot: cannot open {display}: {e}"))?;
        let len = file
            .metadata()
            .map_err(|e| format!("pyingot: cannot stat {display}: {e}"))?
            .len() as usize;
        if len == 0 {
            return Err(format!("{display}: the file is empty"));
        }
        // SAFETY: a private read-only mapping of a regular file; the mapping is
        // leaked on purpose (it lives as long as the process, like the code in it).
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(format!(
                "pyingot: cannot map {display}: {}",
                std::io::Error::last_os_error()
            ));
        }
        // SAFETY: ptr points to `len` readable bytes for the rest of the process.
        let bytes = unsafe { std::slice::from_raw_parts(ptr as *const u8, len) };
        Ok(Executable {
            path: display,
            bytes,
        })
    }
}

/// The pages the kernel maps around a faulting page of a file mapping
/// ("fault-around": 64 KiB by default, aligned to 64 KiB).
const FAULT_AROUND: usize = 64 * 1024;
const PAGE: usize = 4096;

/// Unmaps the pages that reading `bytes` (a blob's stored bytes, in the payload's data
/// section `data`) brought into this process, with the pages the kernel mapped around
/// them: a blob is read once, decoded or copied, and then only takes memory. Without
/// this, each small module read maps 64 KiB of its neighbours, and a raw library is
/// counted twice (the mapping and its in-memory file): hello's RSS grew by 1.6 MiB of
/// payload pages, numpy's by its 35 MB of libraries. The pages stay in the page cache,
/// and a later access (a memoryview of a raw blob) maps them again: the mapping is
/// private, read-only and never written, so its contents come back from the file.
pub fn release(data: &[u8], bytes: &[u8]) {
    let (lo, hi) = (data.as_ptr() as usize, data.as_ptr() as usize + data.len());
    let (from, to) = (
        bytes.as_ptr() as usize,
        bytes.as_ptr() as usize + bytes.len(),
    );
    if bytes.is_empty() || from < lo || to > hi {
        return;
    }
    // The fault-around blocks that hold the blob, inside the data section's whole pages
    // (the index and names, read at every lookup, stay mapped).
    let start = (from & !(FAULT_AROUND - 1)).max((lo + PAGE - 1) & !(PAGE - 1));
    let end = ((to + FAULT_AROUND - 1) & !(FAULT_AROUND - 1)).min(hi & !(PAGE - 1));
    if start < end {
        // SAFETY: a page-aligned range of our own private, read-only file mapping, which
        // is never unmapped; its pages read back from the file when touched again.
        unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED) };
    }
}

/// The running executable's absolute path: /proc/self/exe, or where /proc is not
/// mounted (an empty chroot, a minimal container) the path given to execve,
/// which the kernel passes in the auxiliary vector (AT_EXECFN).
fn own_path() -> Result<PathBuf, String> {
    if let Ok(path) = std::fs::read_link("/proc/self/exe") {
        return Ok(path);
    }
    // SAFETY: getauxval is always safe to call; AT_EXECFN, when present, points
    // to a NUL-terminated string on the initial stack that lives as long as the process.
    let execfn = unsafe { libc::getauxval(libc::AT_EXECFN) } as *const c_char;
    if execfn.is_null() {
        return Err("pyingot: cannot find the running executable (no /proc, no AT_EXECFN)".into());
    }
    // SAFETY: see above.
    let given = unsafe { CStr::from_ptr(execfn) };
    let path = PathBuf::from(std::ffi::OsStr::from_bytes(given.to_bytes()));
    if path.is_absolute() {
        return Ok(path);
    }
    let cwd = std::env::current_dir()
        .map_err(|e| format!("pyingot: cannot find the running executable: {e}"))?;
    Ok(cwd.join(path))
}
