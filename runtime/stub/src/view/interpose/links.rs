//! Access, readlink, realpath.

use super::*;

#[no_mangle]
pub unsafe extern "C" fn access(path: *const c_char, mode: c_int) -> c_int {
    if let Some(rel) = under_view(path) {
        return view::access(rel, mode).map_or_else(|e| fail(e, -1), |()| 0);
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
        return view::access(rel, mode).map_or_else(|e| fail(e, -1), |()| 0);
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
