//! Copying a package's big shared objects to memory ahead of their import, on another
//! thread.
//!
//! An extension module that bundles libraries costs its import their copy to an
//! in-memory file (extensions.rs): for numpy 2.3, 39 MB (OpenBLAS 25 MB,
//! `_multiarray_umath` 10.8 MB, libgfortran 2.8 MB) at about 1 ms per MB on a fresh
//! process (page allocation, copy, CRC-32), where `python app.py` maps the files from
//! the page cache and pays nothing. Between the moment `import numpy` finds the package
//! and the moment it imports `_multiarray_umath`, numpy runs tens of milliseconds of
//! Python. So when a package is found, the objects it is about to need start copying on
//! a thread of their own, and `extensions::prepare` takes the finished file instead of
//! copying it:
//!
//! - a top-level package: every library that an extension module under it needs (a
//!   package's extensions share their bundled libraries: numpy's and scipy's all need
//!   OpenBLAS);
//! - any package: its own extension modules that need bundled libraries (the heavy,
//!   compiled core of such packages; `numpy._core._multiarray_umath`).
//!
//! Nothing else is prefetched: an extension module without bundled libraries is small,
//! and a package's other modules may never be imported. A prefetched file is the same
//! file `prepare` would make, checked the same way (the blob's CRC-32); when the thread
//! fails for any reason (damage included), `prepare` copies the object itself and
//! reports what it finds. Only the first process that prefetches uses prefetching: a
//! forked child copies for itself, and never takes the lock, which the parent's thread
//! (not attached to the interpreter, so not stopped by a fork) may have held when the
//! process forked.

use std::collections::{HashMap, HashSet};
use std::ffi::c_int;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};

use pyingot_payload::{Entry, Kind};

use crate::extensions;
use crate::state;

enum Slot {
    Pending,
    /// The sealed in-memory file, filled and checked.
    Ready(c_int),
    Failed,
}

/// The process that prefetches (see above); 0 before the first package is found.
static OWNER: AtomicI32 = AtomicI32::new(0);

#[derive(Default)]
struct Prefetched {
    /// By (kind, name): what was asked for, and how it went.
    slots: HashMap<(Kind, String), Slot>,
    /// The packages whose objects were asked for already.
    packages: HashSet<String>,
}

static PREFETCHED: Mutex<Option<Prefetched>> = Mutex::new(None);
static DONE: Condvar = Condvar::new();

/// `extension_libraries`, parsed once: extension module -> the libraries it needs.
fn needs() -> &'static HashMap<String, Vec<String>> {
    static NEEDS: OnceLock<HashMap<String, Vec<String>>> = OnceLock::new();
    NEEDS.get_or_init(|| {
        state::get()
            .settings
            .extension_libraries()
            .unwrap_or_default()
    })
}

/// Whether this process is the one that prefetches (claiming it on the first call).
fn owner() -> bool {
    // SAFETY: always safe.
    let me = unsafe { libc::getpid() };
    match OWNER.compare_exchange(0, me, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => true,
        Err(owner) => owner == me,
    }
}

/// Called by the finder for every package it finds: starts copying what `package` is
/// about to need (see above), once per package. Cheap when there is nothing to copy.
pub fn package_found(package: &str) {
    let needs = needs();
    if needs.is_empty() || !owner() {
        return;
    }
    let mut wanted: Vec<(Kind, String)> = Vec::new();
    let top_level = !package.contains('.');
    let prefix = format!("{package}.");
    let mut extensions: Vec<&String> = needs
        .keys()
        .filter(|name| {
            name.strip_prefix(&prefix)
                .is_some_and(|rest| top_level || !rest.contains('.'))
        })
        .collect();
    extensions.sort();
    for name in extensions {
        for library in &needs[name] {
            let item = (Kind::SharedLibrary, library.clone());
            if !wanted.contains(&item) {
                wanted.push(item);
            }
        }
    }
    for name in needs.keys() {
        if name
            .strip_prefix(&prefix)
            .is_some_and(|rest| !rest.contains('.'))
        {
            wanted.push((Kind::Extension, name.clone()));
        }
    }
    if wanted.is_empty() {
        return;
    }
    {
        let mut guard = PREFETCHED.lock().unwrap_or_else(|e| e.into_inner());
        let p = guard.get_or_insert_with(Prefetched::default);
        if !p.packages.insert(package.to_owned()) {
            return;
        }
        wanted.retain(|item| !p.slots.contains_key(item));
        for item in &wanted {
            p.slots.insert(item.clone(), Slot::Pending);
        }
    }
    if wanted.is_empty() {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("pyingot-prefetch".into())
        .spawn({
            let wanted = wanted.clone();
            move || {
                for item in wanted {
                    let slot = copy(&item);
                    let mut guard = PREFETCHED.lock().unwrap_or_else(|e| e.into_inner());
                    if let Some(p) = guard.as_mut() {
                        p.slots.insert(item, slot);
                    }
                    DONE.notify_all();
                }
            }
        });
    if spawned.is_err() {
        let mut guard = PREFETCHED.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = guard.as_mut() {
            for item in wanted {
                p.slots.insert(item, Slot::Failed);
            }
        }
    }
}

fn copy((kind, name): &(Kind, String)) -> Slot {
    let entry: Entry<'static> = match state::get().payload.get(*kind, name) {
        Ok(Some(e)) => e,
        _ => return Slot::Failed,
    };
    let shown = match kind {
        Kind::Extension => format!("{name}.so"),
        _ => name.clone(),
    };
    match extensions::filled_memfd(&shown, &entry) {
        Ok(Ok(fd)) => Slot::Ready(fd),
        _ => Slot::Failed,
    }
}

/// The in-memory file prefetched for (`kind`, `name`), once its thread is done with it;
/// None when it was not asked for or failed, and in a forked child. The file is the caller's from then on.
pub fn take(kind: Kind, name: &str) -> Option<c_int> {
    // Checked before the lock: see above.
    // SAFETY: always safe.
    if OWNER.load(Ordering::Acquire) != unsafe { libc::getpid() } {
        return None;
    }
    let mut guard = PREFETCHED.lock().unwrap_or_else(|e| e.into_inner());
    let key = (kind, name.to_owned());
    loop {
        let p = guard.as_mut()?;
        match p.slots.get(&key) {
            None | Some(Slot::Failed) => return None,
            Some(Slot::Ready(_)) => {
                return match p.slots.insert(key, Slot::Failed) {
                    Some(Slot::Ready(fd)) => Some(fd),
                    _ => None,
                }
            }
            Some(Slot::Pending) => {
                guard = DONE.wait(guard).unwrap_or_else(|e| e.into_inner());
            }
        }
    }
}
