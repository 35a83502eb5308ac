//! The executable maps itself: the payload is read in place, never copied.

use std::fs::File;
use std::os::fd::AsRawFd;

pub struct Executable {
    /// Absolute path of the running executable (from /proc/self/exe).
    pub path: String,
    /// The whole file, mapped read-only for the life of the process.
    pub bytes: &'static [u8],
}

impl Executable {
    pub fn map() -> Result<Executable, String> {
        let path = std::fs::read_link("/proc/self/exe")
            .map_err(|e| format!("pyingot: cannot find the running executable: {e}"))?;
        let display = path.display().to_string();
        let file = File::open("/proc/self/exe")
            .map_err(|e| format!("pyingot: cannot open {display}: {e}"))?;
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
