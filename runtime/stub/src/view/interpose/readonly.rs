//! What would change the view: EROFS.

use super::*;

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
