//! Open.

use super::*;

/// `Some(descriptor or -1)` when `path` is in the view.
unsafe fn view_open(path: *const c_char, flags: c_int) -> Option<c_int> {
    let rel = under_view(path)?;
    Some(view::open(rel, flags).unwrap_or_else(|e| fail(e, -1)))
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
    let fd = match view::open(rel, libc::O_RDONLY | cloexec) {
        Ok(fd) => fd,
        Err(e) => return Some(fail(e, std::ptr::null_mut())),
    };
    let f = libc::fdopen(fd, mode);
    if f.is_null() {
        let e = view::errno();
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
