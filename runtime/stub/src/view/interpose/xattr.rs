//! Extended attributes: none in the view (shutil.copystat lists them).

use super::*;

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
