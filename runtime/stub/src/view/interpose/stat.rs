//! Stat.

use super::*;

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
