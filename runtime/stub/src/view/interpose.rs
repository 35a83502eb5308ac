//! libc's path functions, defined in the executable (see mod.rs): each looks at
//! its path, serves or refuses it when it is under the view, and otherwise does
//! exactly what glibc's function does.
//!
//! The set is what the executable's own code imports (`nm -D --undefined-only`
//! on a stub: libpython, SQLite and OpenSSL are built against glibc 2.17's
//! headers, whose `stat` is `__xstat64`) and what extension modules built
//! against newer glibc import (`stat`, `open`, `__open_2`, `statx`, ...). The
//! list is in docs/executables.md. Pass-through goes to the system call glibc
//! makes for the `open`, `stat`, `access` and `readlink` families (their glibc
//! entry points changed over versions: `stat` only exists since 2.33, and
//! `__xstat64` is no longer linkable there), and to glibc's own function,
//! found once with `dlsym(RTLD_NEXT)` and kept in an atomic, for the rest.
//!
//! Only absolute paths are looked at: a relative path (or one relative to a
//! directory descriptor) never names the view, since no descriptor or working
//! directory stands for a view directory.
//!
//! These run on any thread, before the interpreter starts and after it ends,
//! and in a child between `fork` and `exec`: no Python, no lock on the
//! pass-through path, no allocation before the path is known to be ours.

use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_long, c_void, CStr, CString};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use libc::{mode_t, off_t, size_t, ssize_t, FILE};

use super::tree::{self, Node};
use super::{dir, set_errno, stat_of, under_view, ROOT};

/// glibc's definition of the function `name`, looked up once.
unsafe fn next(cache: &AtomicUsize, name: &CStr) -> usize {
    let mut f = cache.load(Ordering::Relaxed);
    if f == 0 {
        f = libc::dlsym(libc::RTLD_NEXT, name.as_ptr()) as usize;
        cache.store(f, Ordering::Relaxed);
    }
    f
}

/// `real!("name", fn(args) -> ret)`: glibc's function as a pointer of that type, or None.
macro_rules! real {
    ($name:expr, fn($($t:ty),*) -> $r:ty) => {{
        static CACHE: AtomicUsize = AtomicUsize::new(0);
        let f = next(&CACHE, $name);
        (f != 0).then(|| std::mem::transmute::<usize, unsafe extern "C" fn($($t),*) -> $r>(f))
    }};
}

fn fail<T>(errno: c_int, value: T) -> T {
    set_errno(errno);
    value
}

/// The result of a system call made through `libc::syscall` (which sets errno).
fn sys(r: c_long) -> c_int {
    r as c_int
}

// ---- open ----

/// `Some(descriptor or -1)` when `path` is in the view.
unsafe fn view_open(path: *const c_char, flags: c_int) -> Option<c_int> {
    let rel = under_view(path)?;
    Some(super::open(rel, flags).unwrap_or_else(|e| fail(e, -1)))
}

unsafe fn openat_any(dirfd: c_int, path: *const c_char, flags: c_int, mode: mode_t) -> c_int {
    if let Some(r) = view_open(path, flags) {
        return r;
    }
    sys(libc::syscall(libc::SYS_openat, dirfd, path, flags, mode))
}

// `open` is variadic; on x86_64 the mode, when given, is the third integer
// argument register, which a three-argument definition reads (and ignores
// without O_CREAT or O_TMPFILE, as glibc does).
#[no_mangle]
pub unsafe extern "C" fn open(path: *const c_char, flags: c_int, mode: mode_t) -> c_int {
    openat_any(libc::AT_FDCWD, path, flags, mode)
}

#[no_mangle]
pub unsafe extern "C" fn open64(path: *const c_char, flags: c_int, mode: mode_t) -> c_int {
    openat_any(libc::AT_FDCWD, path, flags, mode)
}

#[no_mangle]
pub unsafe extern "C" fn openat(
    dirfd: c_int,
    path: *const c_char,
    flags: c_int,
    mode: mode_t,
) -> c_int {
    openat_any(dirfd, path, flags, mode)
}

#[no_mangle]
pub unsafe extern "C" fn openat64(
    dirfd: c_int,
    path: *const c_char,
    flags: c_int,
    mode: mode_t,
) -> c_int {
    openat_any(dirfd, path, flags, mode)
}

// The `_FORTIFY_SOURCE` entry points, for opens without a mode.
#[no_mangle]
pub unsafe extern "C" fn __open_2(path: *const c_char, flags: c_int) -> c_int {
    openat_any(libc::AT_FDCWD, path, flags, 0)
}

#[no_mangle]
pub unsafe extern "C" fn __open64_2(path: *const c_char, flags: c_int) -> c_int {
    openat_any(libc::AT_FDCWD, path, flags, 0)
}

#[no_mangle]
pub unsafe extern "C" fn __openat_2(dirfd: c_int, path: *const c_char, flags: c_int) -> c_int {
    openat_any(dirfd, path, flags, 0)
}

#[no_mangle]
pub unsafe extern "C" fn __openat64_2(dirfd: c_int, path: *const c_char, flags: c_int) -> c_int {
    openat_any(dirfd, path, flags, 0)
}

const CREAT: c_int = libc::O_CREAT | libc::O_WRONLY | libc::O_TRUNC;

#[no_mangle]
pub unsafe extern "C" fn creat(path: *const c_char, mode: mode_t) -> c_int {
    openat_any(libc::AT_FDCWD, path, CREAT, mode)
}

#[no_mangle]
pub unsafe extern "C" fn creat64(path: *const c_char, mode: mode_t) -> c_int {
    openat_any(libc::AT_FDCWD, path, CREAT, mode)
}

/// `fopen` of a view path: read-only modes only (`r`, `rb`, `re`...).
unsafe fn view_fopen(path: *const c_char, mode: *const c_char) -> Option<*mut FILE> {
    let rel = under_view(path)?;
    let m = if mode.is_null() {
        &b""[..]
    } else {
        CStr::from_ptr(mode).to_bytes()
    };
    if m.first() != Some(&b'r') || m.contains(&b'+') {
        return Some(fail(libc::EROFS, std::ptr::null_mut()));
    }
    let cloexec = if m.contains(&b'e') {
        libc::O_CLOEXEC
    } else {
        0
    };
    let fd = match super::open(rel, libc::O_RDONLY | cloexec) {
        Ok(fd) => fd,
        Err(e) => return Some(fail(e, std::ptr::null_mut())),
    };
    let f = libc::fdopen(fd, mode);
    if f.is_null() {
        let e = super::errno();
        libc::close(fd);
        set_errno(e);
    }
    Some(f)
}

#[no_mangle]
pub unsafe extern "C" fn fopen(path: *const c_char, mode: *const c_char) -> *mut FILE {
    if let Some(f) = view_fopen(path, mode) {
        return f;
    }
    match real!(c"fopen", fn(*const c_char, *const c_char) -> *mut FILE) {
        Some(f) => f(path, mode),
        None => fail(libc::ENOSYS, std::ptr::null_mut()),
    }
}

#[no_mangle]
pub unsafe extern "C" fn fopen64(path: *const c_char, mode: *const c_char) -> *mut FILE {
    if let Some(f) = view_fopen(path, mode) {
        return f;
    }
    match real!(c"fopen64", fn(*const c_char, *const c_char) -> *mut FILE) {
        Some(f) => f(path, mode),
        None => fail(libc::ENOSYS, std::ptr::null_mut()),
    }
}

// ---- stat ----

/// `fstatat` (x86_64: `struct stat` is the kernel's and is `struct stat64`).
unsafe fn statat(dirfd: c_int, path: *const c_char, buf: *mut libc::stat64, flags: c_int) -> c_int {
    if let Some(rel) = under_view(path) {
        return match tree::resolve(rel) {
            Ok(r) => {
                *buf = stat_of(&r);
                0
            }
            Err(e) => fail(e, -1),
        };
    }
    sys(libc::syscall(libc::SYS_newfstatat, dirfd, path, buf, flags))
}

#[no_mangle]
pub unsafe extern "C" fn stat(path: *const c_char, buf: *mut libc::stat64) -> c_int {
    statat(libc::AT_FDCWD, path, buf, 0)
}

#[no_mangle]
pub unsafe extern "C" fn stat64(path: *const c_char, buf: *mut libc::stat64) -> c_int {
    statat(libc::AT_FDCWD, path, buf, 0)
}

#[no_mangle]
pub unsafe extern "C" fn lstat(path: *const c_char, buf: *mut libc::stat64) -> c_int {
    statat(libc::AT_FDCWD, path, buf, libc::AT_SYMLINK_NOFOLLOW)
}

#[no_mangle]
pub unsafe extern "C" fn lstat64(path: *const c_char, buf: *mut libc::stat64) -> c_int {
    statat(libc::AT_FDCWD, path, buf, libc::AT_SYMLINK_NOFOLLOW)
}

#[no_mangle]
pub unsafe extern "C" fn fstatat(
    dirfd: c_int,
    path: *const c_char,
    buf: *mut libc::stat64,
    flags: c_int,
) -> c_int {
    statat(dirfd, path, buf, flags)
}

#[no_mangle]
pub unsafe extern "C" fn fstatat64(
    dirfd: c_int,
    path: *const c_char,
    buf: *mut libc::stat64,
    flags: c_int,
) -> c_int {
    statat(dirfd, path, buf, flags)
}

// glibc before 2.33: `stat` is an inline wrapper calling these, with a version number
// (1 on x86_64) that names the layout of `struct stat`.
#[no_mangle]
pub unsafe extern "C" fn __xstat(
    _ver: c_int,
    path: *const c_char,
    buf: *mut libc::stat64,
) -> c_int {
    statat(libc::AT_FDCWD, path, buf, 0)
}

#[no_mangle]
pub unsafe extern "C" fn __xstat64(
    _ver: c_int,
    path: *const c_char,
    buf: *mut libc::stat64,
) -> c_int {
    statat(libc::AT_FDCWD, path, buf, 0)
}

#[no_mangle]
pub unsafe extern "C" fn __lxstat(
    _ver: c_int,
    path: *const c_char,
    buf: *mut libc::stat64,
) -> c_int {
    statat(libc::AT_FDCWD, path, buf, libc::AT_SYMLINK_NOFOLLOW)
}

#[no_mangle]
pub unsafe extern "C" fn __lxstat64(
    _ver: c_int,
    path: *const c_char,
    buf: *mut libc::stat64,
) -> c_int {
    statat(libc::AT_FDCWD, path, buf, libc::AT_SYMLINK_NOFOLLOW)
}

#[no_mangle]
pub unsafe extern "C" fn __fxstatat(
    _ver: c_int,
    dirfd: c_int,
    path: *const c_char,
    buf: *mut libc::stat64,
    flags: c_int,
) -> c_int {
    statat(dirfd, path, buf, flags)
}

#[no_mangle]
pub unsafe extern "C" fn __fxstatat64(
    _ver: c_int,
    dirfd: c_int,
    path: *const c_char,
    buf: *mut libc::stat64,
    flags: c_int,
) -> c_int {
    statat(dirfd, path, buf, flags)
}

#[no_mangle]
pub unsafe extern "C" fn statx(
    dirfd: c_int,
    path: *const c_char,
    flags: c_int,
    mask: libc::c_uint,
    buf: *mut libc::statx,
) -> c_int {
    if let Some(rel) = under_view(path) {
        return match tree::resolve(rel) {
            Ok(r) => {
                let st = stat_of(&r);
                let time = |sec: i64, nsec: i64| {
                    let mut t: libc::statx_timestamp = std::mem::zeroed();
                    t.tv_sec = sec;
                    t.tv_nsec = nsec as u32;
                    t
                };
                let mut x: libc::statx = std::mem::zeroed();
                x.stx_mask = libc::STATX_BASIC_STATS;
                x.stx_blksize = st.st_blksize as u32;
                x.stx_nlink = st.st_nlink as u32;
                x.stx_uid = st.st_uid;
                x.stx_gid = st.st_gid;
                x.stx_mode = st.st_mode as u16;
                x.stx_ino = st.st_ino;
                x.stx_size = st.st_size as u64;
                x.stx_blocks = st.st_blocks as u64;
                x.stx_atime = time(st.st_atime, st.st_atime_nsec);
                x.stx_mtime = time(st.st_mtime, st.st_mtime_nsec);
                x.stx_ctime = time(st.st_ctime, st.st_ctime_nsec);
                x.stx_dev_major = libc::major(st.st_dev);
                x.stx_dev_minor = libc::minor(st.st_dev);
                *buf = x;
                0
            }
            Err(e) => fail(e, -1),
        };
    }
    sys(libc::syscall(
        libc::SYS_statx,
        dirfd,
        path,
        flags,
        mask,
        buf,
    ))
}

// ---- access, readlink, realpath ----

#[no_mangle]
pub unsafe extern "C" fn access(path: *const c_char, mode: c_int) -> c_int {
    if let Some(rel) = under_view(path) {
        return super::access(rel, mode).map_or_else(|e| fail(e, -1), |()| 0);
    }
    sys(libc::syscall(libc::SYS_access, path, mode))
}

#[no_mangle]
pub unsafe extern "C" fn faccessat(
    dirfd: c_int,
    path: *const c_char,
    mode: c_int,
    flags: c_int,
) -> c_int {
    if let Some(rel) = under_view(path) {
        return super::access(rel, mode).map_or_else(|e| fail(e, -1), |()| 0);
    }
    // glibc's, which emulates AT_EACCESS where the kernel lacks faccessat2.
    match real!(
        c"faccessat",
        fn(c_int, *const c_char, c_int, c_int) -> c_int
    ) {
        Some(f) => f(dirfd, path, mode, flags),
        None => fail(libc::ENOSYS, -1),
    }
}

/// `readlink` of a view path: nothing in the view is a symbolic link.
unsafe fn view_readlink(path: *const c_char) -> Option<ssize_t> {
    let rel = under_view(path)?;
    Some(match tree::resolve(rel) {
        Ok(_) => fail(libc::EINVAL, -1),
        Err(e) => fail(e, -1),
    })
}

#[no_mangle]
pub unsafe extern "C" fn readlink(path: *const c_char, buf: *mut c_char, size: size_t) -> ssize_t {
    if let Some(r) = view_readlink(path) {
        return r;
    }
    libc::syscall(libc::SYS_readlink, path, buf, size) as ssize_t
}

#[no_mangle]
pub unsafe extern "C" fn readlinkat(
    dirfd: c_int,
    path: *const c_char,
    buf: *mut c_char,
    size: size_t,
) -> ssize_t {
    if let Some(r) = view_readlink(path) {
        return r;
    }
    libc::syscall(libc::SYS_readlinkat, dirfd, path, buf, size) as ssize_t
}

#[no_mangle]
pub unsafe extern "C" fn realpath(path: *const c_char, resolved: *mut c_char) -> *mut c_char {
    if let (Some(rel), Some(root)) = (under_view(path), ROOT.get()) {
        let r = match tree::resolve(rel) {
            Ok(r) => r,
            Err(e) => return fail(e, std::ptr::null_mut()),
        };
        let mut full = root.to_vec();
        full.push(b'/');
        full.extend_from_slice(r.normalized.as_bytes());
        full.push(0);
        if full.len() > libc::PATH_MAX as usize {
            return fail(libc::ENAMETOOLONG, std::ptr::null_mut());
        }
        let out = if resolved.is_null() {
            libc::malloc(full.len()) as *mut c_char
        } else {
            resolved
        };
        if out.is_null() {
            return fail(libc::ENOMEM, std::ptr::null_mut());
        }
        std::ptr::copy_nonoverlapping(full.as_ptr() as *const c_char, out, full.len());
        return out;
    }
    match real!(c"realpath", fn(*const c_char, *mut c_char) -> *mut c_char) {
        Some(f) => f(path, resolved),
        None => fail(libc::ENOSYS, std::ptr::null_mut()),
    }
}

// ---- extended attributes: none in the view (shutil.copystat lists them) ----

/// `Some(result)` for a view path: its attribute list is empty, no attribute exists.
unsafe fn view_xattr(path: *const c_char, list: bool) -> Option<ssize_t> {
    let rel = under_view(path)?;
    Some(match tree::resolve(rel) {
        Ok(_) if list => 0,
        Ok(_) => fail(libc::ENODATA, -1),
        Err(e) => fail(e, -1),
    })
}

#[no_mangle]
pub unsafe extern "C" fn listxattr(
    path: *const c_char,
    list: *mut c_char,
    size: size_t,
) -> ssize_t {
    if let Some(r) = view_xattr(path, true) {
        return r;
    }
    libc::syscall(libc::SYS_listxattr, path, list, size) as ssize_t
}

#[no_mangle]
pub unsafe extern "C" fn llistxattr(
    path: *const c_char,
    list: *mut c_char,
    size: size_t,
) -> ssize_t {
    if let Some(r) = view_xattr(path, true) {
        return r;
    }
    libc::syscall(libc::SYS_llistxattr, path, list, size) as ssize_t
}

#[no_mangle]
pub unsafe extern "C" fn getxattr(
    path: *const c_char,
    name: *const c_char,
    value: *mut libc::c_void,
    size: size_t,
) -> ssize_t {
    if let Some(r) = view_xattr(path, false) {
        return r;
    }
    libc::syscall(libc::SYS_getxattr, path, name, value, size) as ssize_t
}

#[no_mangle]
pub unsafe extern "C" fn lgetxattr(
    path: *const c_char,
    name: *const c_char,
    value: *mut libc::c_void,
    size: size_t,
) -> ssize_t {
    if let Some(r) = view_xattr(path, false) {
        return r;
    }
    libc::syscall(libc::SYS_lgetxattr, path, name, value, size) as ssize_t
}

// ---- directories ----

#[no_mangle]
pub unsafe extern "C" fn opendir(path: *const c_char) -> *mut libc::DIR {
    if let Some(rel) = under_view(path) {
        return match tree::resolve(rel) {
            Ok(r) => match &r.node {
                Node::Dir { package, sub } => dir::open(&r.normalized, tree::list(package, sub)),
                Node::File(_) => fail(libc::ENOTDIR, std::ptr::null_mut()),
            },
            Err(e) => fail(e, std::ptr::null_mut()),
        };
    }
    match real!(c"opendir", fn(*const c_char) -> *mut libc::DIR) {
        Some(f) => f(path),
        None => fail(libc::ENOSYS, std::ptr::null_mut()),
    }
}

// On x86_64 `struct dirent` and `struct dirent64` are the same.
#[no_mangle]
pub unsafe extern "C" fn readdir64(d: *mut libc::DIR) -> *mut libc::dirent64 {
    if let Some(s) = dir::ours(d) {
        return s.read();
    }
    match real!(c"readdir64", fn(*mut libc::DIR) -> *mut libc::dirent64) {
        Some(f) => f(d),
        None => fail(libc::ENOSYS, std::ptr::null_mut()),
    }
}

#[no_mangle]
pub unsafe extern "C" fn readdir(d: *mut libc::DIR) -> *mut libc::dirent64 {
    if let Some(s) = dir::ours(d) {
        return s.read();
    }
    match real!(c"readdir", fn(*mut libc::DIR) -> *mut libc::dirent64) {
        Some(f) => f(d),
        None => fail(libc::ENOSYS, std::ptr::null_mut()),
    }
}

#[no_mangle]
pub unsafe extern "C" fn closedir(d: *mut libc::DIR) -> c_int {
    if dir::ours(d).is_some() {
        return dir::close(d);
    }
    match real!(c"closedir", fn(*mut libc::DIR) -> c_int) {
        Some(f) => f(d),
        None => fail(libc::ENOSYS, -1),
    }
}

#[no_mangle]
pub unsafe extern "C" fn rewinddir(d: *mut libc::DIR) {
    if let Some(s) = dir::ours(d) {
        return s.rewind();
    }
    if let Some(f) = real!(c"rewinddir", fn(*mut libc::DIR) -> ()) {
        f(d)
    }
}

#[no_mangle]
pub unsafe extern "C" fn telldir(d: *mut libc::DIR) -> c_long {
    if let Some(s) = dir::ours(d) {
        return s.tell();
    }
    match real!(c"telldir", fn(*mut libc::DIR) -> c_long) {
        Some(f) => f(d),
        None => fail(libc::ENOSYS, -1),
    }
}

#[no_mangle]
pub unsafe extern "C" fn seekdir(d: *mut libc::DIR, at: c_long) {
    if let Some(s) = dir::ours(d) {
        return s.seek(at);
    }
    if let Some(f) = real!(c"seekdir", fn(*mut libc::DIR, c_long) -> ()) {
        f(d, at)
    }
}

/// No descriptor stands for a view directory.
#[no_mangle]
pub unsafe extern "C" fn dirfd(d: *mut libc::DIR) -> c_int {
    if dir::ours(d).is_some() {
        return fail(libc::ENOTSUP, -1);
    }
    match real!(c"dirfd", fn(*mut libc::DIR) -> c_int) {
        Some(f) => f(d),
        None => fail(libc::ENOSYS, -1),
    }
}

// ---- dlopen: the dynamic loader opens files with system calls of its own ----

/// The in-memory copies of view files given to the dynamic loader, by view path:
/// the loader knows an object by the name it was opened with, so a second `dlopen`
/// of one path must give it the same name to get the same handle.
static LOADED: Mutex<Option<HashMap<String, String>>> = Mutex::new(None);

#[no_mangle]
pub unsafe extern "C" fn dlopen(path: *const c_char, flags: c_int) -> *mut c_void {
    let real = real!(c"dlopen", fn(*const c_char, c_int) -> *mut c_void);
    let Some(real) = real else {
        return std::ptr::null_mut();
    };
    let Some(rel) = under_view(path) else {
        return real(path, flags);
    };
    // Anything but a file: glibc's dlopen fails on the path as it did before the
    // view (the kernel says ENOTDIR), and dlerror() tells the caller.
    let Some((r, file)) = tree::resolve(rel).ok().and_then(|r| match r.node {
        // A shared object is a primary blob (an extension module or a data file).
        Node::File(file) if !file.source => Some((r, file)),
        _ => None,
    }) else {
        return real(path, flags);
    };
    let name = {
        let mut loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
        let loaded = loaded.get_or_insert_with(HashMap::new);
        match loaded.get(&r.normalized) {
            Some(name) => name.clone(),
            None => match crate::extensions::in_memory_file(&r.normalized, &file.entry) {
                Ok(fd) => {
                    let name = format!("/proc/self/fd/{fd}");
                    loaded.insert(r.normalized.clone(), name.clone());
                    name
                }
                Err(e) => return fail(e.raw_os_error().unwrap_or(libc::EIO), std::ptr::null_mut()),
            },
        }
    };
    let c = CString::new(name).unwrap_or_default();
    real(c.as_ptr(), flags)
}

// ---- what would change the view: EROFS ----

/// Functions that change what a path names: `EROFS` when one of the listed path
/// arguments is in the view, glibc's function otherwise. An argument listed
/// under `existing` names something to change or remove: when the view has no
/// such name the lookup's error comes first (`ENOENT`, `ENOTDIR`), as a file
/// system's lookup does, so that clean-up code that ignores a missing file
/// (`os.unlink` of a stale `.pyc` beside an embedded module) goes on.
macro_rules! read_only {
    ($($name:ident($($arg:ident: $t:ty),*) existing [$($e:ident),*] checks [$($p:ident),+];)*) => {$(
        #[no_mangle]
        pub unsafe extern "C" fn $name($($arg: $t),*) -> c_int {
            $(
                if let Some(rel) = under_view($e) {
                    if let Err(e) = tree::resolve(rel) {
                        return fail(e, -1);
                    }
                }
            )*
            if false $(|| under_view($p).is_some())+ {
                return fail(libc::EROFS, -1);
            }
            let name = concat!(stringify!($name), "\0").as_bytes();
            match real!(CStr::from_bytes_with_nul_unchecked(name), fn($($t),*) -> c_int) {
                Some(f) => f($($arg),*),
                None => fail(libc::ENOSYS, -1),
            }
        }
    )*};
}

type Path = *const c_char;

read_only! {
    mkdir(path: Path, mode: mode_t) existing [] checks [path];
    mkdirat(dirfd: c_int, path: Path, mode: mode_t) existing [] checks [path];
    mkfifo(path: Path, mode: mode_t) existing [] checks [path];
    mkfifoat(dirfd: c_int, path: Path, mode: mode_t) existing [] checks [path];
    unlink(path: Path) existing [path] checks [path];
    unlinkat(dirfd: c_int, path: Path, flags: c_int) existing [path] checks [path];
    rmdir(path: Path) existing [path] checks [path];
    rename(old: Path, new: Path) existing [old] checks [old, new];
    renameat(olddirfd: c_int, old: Path, newdirfd: c_int, new: Path) existing [old] checks [old, new];
    renameat2(olddirfd: c_int, old: Path, newdirfd: c_int, new: Path, flags: libc::c_uint) existing [old] checks [old, new];
    link(old: Path, new: Path) existing [old] checks [old, new];
    linkat(olddirfd: c_int, old: Path, newdirfd: c_int, new: Path, flags: c_int) existing [old] checks [old, new];
    symlink(target: Path, path: Path) existing [] checks [path];
    symlinkat(target: Path, dirfd: c_int, path: Path) existing [] checks [path];
    chmod(path: Path, mode: mode_t) existing [path] checks [path];
    fchmodat(dirfd: c_int, path: Path, mode: mode_t, flags: c_int) existing [path] checks [path];
    chown(path: Path, uid: libc::uid_t, gid: libc::gid_t) existing [path] checks [path];
    lchown(path: Path, uid: libc::uid_t, gid: libc::gid_t) existing [path] checks [path];
    fchownat(dirfd: c_int, path: Path, uid: libc::uid_t, gid: libc::gid_t, flags: c_int) existing [path] checks [path];
    truncate(path: Path, length: off_t) existing [path] checks [path];
    truncate64(path: Path, length: off_t) existing [path] checks [path];
    utimes(path: Path, times: *const libc::timeval) existing [path] checks [path];
    utimensat(dirfd: c_int, path: Path, times: *const libc::timespec, flags: c_int) existing [path] checks [path];
    setxattr(path: Path, name: Path, value: *const libc::c_void, size: size_t, flags: c_int) existing [path] checks [path];
    lsetxattr(path: Path, name: Path, value: *const libc::c_void, size: size_t, flags: c_int) existing [path] checks [path];
    removexattr(path: Path, name: Path) existing [path] checks [path];
    lremovexattr(path: Path, name: Path) existing [path] checks [path];
}
