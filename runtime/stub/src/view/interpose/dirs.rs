//! Directories.

use super::*;

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
