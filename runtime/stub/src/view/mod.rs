//! A read-only view of the payload under `<executable>/`, for code that treats its
//! package as a directory: `open(os.path.join(os.path.dirname(__file__), "data.txt"))`,
//! `os.listdir`, `glob`, `pathlib`, and C code handed such a path (SQLite, OpenSSL's
//! `cafile`, `fopen` in an extension module).
//!
//! The mechanism is interposition: the executable defines libc's path functions
//! (`open64`, `__xstat64`, `opendir`, `fopen64`, ... listed in interpose/, a file per family). The
//! linker binds every call inside the executable (libpython, SQLite, OpenSSL) to
//! these definitions rather than glibc's, and since the executable exports its
//! symbols (`--export-dynamic`), the dynamic loader binds extension modules loaded
//! later, and `ctypes.CDLL(None)`, to them too. A path that does not start with
//! `<executable>/` costs one byte comparison against the executable's path and
//! goes to glibc's function (found once with `dlsym(RTLD_NEXT)`) or, for the
//! `stat` family, whose glibc entry points differ between glibc versions, to the
//! system call glibc itself would make.
//!
//! Under `<executable>/` (tree.rs says what is there): a read-only open of a file
//! returns a fresh sealed, named in-memory file (`memfd_create`) holding its bytes,
//! so every open has its own offset and C code can `mmap`, `pread` and `fstat` it;
//! `stat` reports a regular file (0444) or a directory (0555) with the executable's
//! owner and times; `opendir` returns a directory stream of our own (dir.rs);
//! anything that would write, create or remove fails with `EROFS`.

mod dir;
// Not in `cargo test`'s binary, whose harness should keep glibc's functions.
#[cfg(not(test))]
mod interpose;
mod tree;

use std::ffi::{c_char, c_int, CStr};
use std::sync::OnceLock;

use tree::{Node, Resolved};

/// The executable's path, set once the payload is known; before that nothing is viewed.
static ROOT: OnceLock<&'static [u8]> = OnceLock::new();
/// The executable's own `stat`: the device, owner and times every view entry reports.
static ROOT_STAT: OnceLock<libc::stat64> = OnceLock::new();

/// Turns the view on; `root` is the executable's absolute path.
pub fn install(root: &'static str) {
    let mut st: libc::stat64 = unsafe { std::mem::zeroed() };
    if let Ok(c) = std::ffi::CString::new(root) {
        // SAFETY: a valid C string and a buffer of the kernel's `struct stat` (x86_64).
        unsafe { libc::syscall(libc::SYS_stat, c.as_ptr(), &mut st as *mut libc::stat64) };
    }
    let _ = ROOT_STAT.set(st);
    let _ = ROOT.set(root.as_bytes());
}

/// The part of `path` after `<executable>/`, if it is under the view. Allocates
/// nothing and reads no further than the first byte that differs.
///
/// # Safety
/// `path` is NULL or a C string.
unsafe fn under_view<'a>(path: *const c_char) -> Option<&'a [u8]> {
    if path.is_null() {
        return None;
    }
    let root = ROOT.get()?;
    let p = path as *const u8;
    for (i, &b) in root.iter().enumerate() {
        if *p.add(i) != b {
            return None;
        }
    }
    if *p.add(root.len()) != b'/' {
        return None;
    }
    Some(CStr::from_ptr(path.add(root.len() + 1)).to_bytes())
}

fn set_errno(e: c_int) {
    // SAFETY: the calling thread's errno.
    unsafe { *libc::__errno_location() = e };
}

/// FNV-1a of the normalized path, with the top bit set so that it never equals the
/// inode of a real file on the executable's device (`os.path.samefile`, `shutil`'s
/// same-file check).
fn inode(normalized: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in normalized.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h | (1 << 63)
}

/// The `stat` of a view entry.
fn stat_of(r: &Resolved) -> libc::stat64 {
    // SAFETY: all-zero is a valid `struct stat`.
    let mut st: libc::stat64 = ROOT_STAT
        .get()
        .copied()
        .unwrap_or_else(|| unsafe { std::mem::zeroed() });
    st.st_ino = inode(&r.normalized);
    st.st_blksize = 4096;
    match &r.node {
        Node::File(file) => {
            st.st_mode = libc::S_IFREG | 0o444;
            st.st_nlink = 1;
            st.st_size = file.len() as i64;
            st.st_blocks = (file.len() as u64).div_ceil(512) as i64;
        }
        Node::Dir { .. } => {
            st.st_mode = libc::S_IFDIR | 0o555;
            st.st_nlink = 2;
            st.st_size = 4096;
            st.st_blocks = 8;
        }
    }
    st
}

/// A sealed in-memory file named after the view path, holding `bytes`, at offset 0.
fn open_file(normalized: &str, bytes: &[u8], cloexec: bool) -> Result<c_int, c_int> {
    let mut name: Vec<u8> = format!("pyingot:{normalized}").into_bytes();
    name.truncate(249); // the kernel's limit for memfd names
    name.retain(|b| *b != 0);
    name.push(0);
    let mut flags = libc::MFD_ALLOW_SEALING;
    if cloexec {
        flags |= libc::MFD_CLOEXEC;
    }
    // SAFETY: a NUL-terminated name and valid flags; the system call, as glibc 2.17
    // has no wrapper.
    let fd = unsafe { libc::syscall(libc::SYS_memfd_create, name.as_ptr(), flags) } as c_int;
    if fd < 0 {
        return Err(errno());
    }
    let mut done = 0;
    while done < bytes.len() {
        let rest = &bytes[done..];
        // SAFETY: our own descriptor and a valid buffer.
        let n = unsafe { libc::write(fd, rest.as_ptr().cast(), rest.len()) };
        if n < 0 {
            let e = errno();
            if e == libc::EINTR {
                continue;
            }
            // SAFETY: our own descriptor, handed to nobody.
            unsafe { libc::close(fd) };
            return Err(e);
        }
        done += n as usize;
    }
    // SAFETY: fcntl and lseek on our own descriptor.
    unsafe {
        libc::fcntl(
            fd,
            libc::F_ADD_SEALS,
            libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE | libc::F_SEAL_SEAL,
        );
        libc::lseek(fd, 0, libc::SEEK_SET);
    }
    Ok(fd)
}

fn errno() -> c_int {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

/// `open` of view path `rel`: a descriptor, or the errno.
fn open(rel: &[u8], flags: c_int) -> Result<c_int, c_int> {
    let tmpfile = flags & libc::O_TMPFILE == libc::O_TMPFILE;
    let writes = flags & libc::O_ACCMODE != libc::O_RDONLY
        || flags & (libc::O_CREAT | libc::O_TRUNC | libc::O_APPEND) != 0
        || tmpfile;
    let r = match tree::resolve(rel) {
        Ok(r) => r,
        Err(libc::ENOENT) if flags & libc::O_CREAT != 0 => return Err(libc::EROFS),
        Err(e) => return Err(e),
    };
    match r.node {
        Node::Dir { .. } if tmpfile => Err(libc::EROFS),
        // No descriptor stands for a view directory (see docs/executables.md).
        Node::Dir { .. } => Err(libc::EISDIR),
        Node::File(_) if flags & libc::O_DIRECTORY != 0 => Err(libc::ENOTDIR),
        Node::File(_) if flags & (libc::O_CREAT | libc::O_EXCL) == libc::O_CREAT | libc::O_EXCL => {
            Err(libc::EEXIST)
        }
        Node::File(_) if writes => Err(libc::EROFS),
        Node::File(file) => match file.bytes() {
            Some(bytes) => open_file(&r.normalized, &bytes, flags & libc::O_CLOEXEC != 0),
            // A damaged blob: the read fails, as a disk's bad sector would.
            None => Err(libc::EIO),
        },
    }
}

/// `access` of view path `rel`: `Ok` or the errno.
fn access(rel: &[u8], mode: c_int) -> Result<(), c_int> {
    let r = tree::resolve(rel)?;
    if mode & libc::W_OK != 0 {
        return Err(libc::EROFS);
    }
    if mode & libc::X_OK != 0 && matches!(r.node, Node::File(_)) {
        return Err(libc::EACCES);
    }
    Ok(())
}
