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
