//! Directory streams of view directories.
//!
//! glibc's `DIR` is opaque and reads a descriptor, and no descriptor stands for a
//! view directory, so `opendir` on one returns a stream of our own: the names
//! listed once (tree.rs), handed out one `dirent64` at a time. The functions that
//! take a `DIR *` (interpose/dirs.rs) must tell ours from glibc's: ours are registered
//! here, and while none is open (the common case) that check is one atomic load.

use std::ffi::c_int;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::inode;

pub struct Stream {
    /// `normalized` path of the directory, for the inodes of its entries.
    path: String,
    /// ".", "..", then the names, each with whether it is a directory.
    names: Vec<(Vec<u8>, bool)>,
    next: usize,
    entry: libc::dirent64,
}

static OPEN: Mutex<Vec<usize>> = Mutex::new(Vec::new());
static COUNT: AtomicUsize = AtomicUsize::new(0);

/// A new stream over `names`, as the pointer handed out for a `DIR *`.
pub fn open(path: &str, names: impl IntoIterator<Item = (String, bool)>) -> *mut libc::DIR {
    let mut all: Vec<(Vec<u8>, bool)> = vec![(b".".to_vec(), true), (b"..".to_vec(), true)];
    all.extend(names.into_iter().map(|(n, d)| (n.into_bytes(), d)));
    let stream = Box::new(Stream {
        path: path.to_owned(),
        names: all,
        next: 0,
        // SAFETY: all-zero is a valid dirent64.
        entry: unsafe { std::mem::zeroed() },
    });
    let p = Box::into_raw(stream);
    let mut open = OPEN.lock().unwrap_or_else(|e| e.into_inner());
    open.push(p as usize);
    COUNT.store(open.len(), Ordering::Release);
    p.cast()
}

/// Our stream behind `dir`, if it is one of ours.
pub fn ours(dir: *mut libc::DIR) -> Option<&'static mut Stream> {
    if COUNT.load(Ordering::Acquire) == 0 || dir.is_null() {
        return None;
    }
    let open = OPEN.lock().unwrap_or_else(|e| e.into_inner());
    if open.contains(&(dir as usize)) {
        // SAFETY: registered by `open` and not yet closed; a DIR is used by one
        // thread at a time (POSIX leaves concurrent use of one stream undefined).
        Some(unsafe { &mut *(dir as *mut Stream) })
    } else {
        None
    }
}

/// `closedir` of one of ours.
pub fn close(dir: *mut libc::DIR) -> c_int {
    let mut open = OPEN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(i) = open.iter().position(|p| *p == dir as usize) {
        open.swap_remove(i);
        COUNT.store(open.len(), Ordering::Release);
        // SAFETY: made by Box::into_raw in `open`, now unregistered.
        drop(unsafe { Box::from_raw(dir as *mut Stream) });
    }
    0
}

impl Stream {
    /// The next entry, or NULL at the end (errno untouched, as glibc does).
    pub fn read(&mut self) -> *mut libc::dirent64 {
        let Some((name, is_dir)) = self.names.get(self.next) else {
            return std::ptr::null_mut();
        };
        self.next += 1;
        let e = &mut self.entry;
        let full = match name.as_slice() {
            b"." => self.path.clone(),
            b".." => self.path.rsplit_once('/').map_or("", |(p, _)| p).to_owned(),
            n => format!("{}/{}", self.path, String::from_utf8_lossy(n)),
        };
        e.d_ino = inode(&full);
        e.d_off = self.next as i64;
        e.d_reclen = std::mem::size_of::<libc::dirent64>() as u16;
        e.d_type = if *is_dir { libc::DT_DIR } else { libc::DT_REG };
        let n = name.len().min(e.d_name.len() - 1);
        for (d, s) in e.d_name.iter_mut().zip(&name[..n]) {
            *d = *s as libc::c_char;
        }
        e.d_name[n] = 0;
        e
    }

    pub fn rewind(&mut self) {
        self.next = 0;
    }

    pub fn tell(&self) -> libc::c_long {
        self.next as libc::c_long
    }

    pub fn seek(&mut self, at: libc::c_long) {
        self.next = usize::try_from(at).unwrap_or(0);
    }
}
