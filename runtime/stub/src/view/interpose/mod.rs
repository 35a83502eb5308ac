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
use super::{self as view};
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

mod dirs;
mod dlopen;
mod links;
mod open;
mod readonly;
mod stat;
mod xattr;
