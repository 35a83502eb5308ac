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
//! Before that, at the process's first moment (`at_start`, before the interpreter
//! starts), the extension modules that the build guessed the program imports to start
//! (the `start_extensions` setting) and their libraries start copying, largest first:
//! the interpreter's start-up and the application's first imports then overlap the
//! copy (for numpy, about 25 ms of copying for OpenBLAS and `_multiarray_umath`; on two
//! cores the copying slows the interpreter's own start, and numpy's start gains 2 to 6
//! ms).
//!
//! Every request goes into one queue, which copying threads drain (see
//! [`workers`]: one on two CPUs). An import that needs files still waiting in the
//! queue takes them out and copies them itself (`copy_queued`) before it waits for the
//! one a thread is copying: for numpy on two CPUs, the thread copies OpenBLAS while
//! the import copies `_multiarray_umath`, and the interpreter's own start runs beside
//! one copy rather than two. Measured on the bench's numpy app (2 shared CPUs, a
//! loaded host, 60 interleaved runs): 128.1 ms with two threads and each import
//! waiting for its files in order, 122.6 with one thread and taking out (`python
//! app.py`: 132.7); the script's first line ran at 14 ms instead of 28.
//!
//! Nothing else is prefetched: an extension module without bundled libraries is small,
//! and a package's other modules may never be imported. A prefetched file is the same
//! file `prepare` would make, checked the same way (the blob's CRC-32); when the thread
//! fails for any reason (damage included), `prepare` copies the object itself and
//! reports what it finds. Only the first process that prefetches uses prefetching: a
//! forked child copies for itself, and never takes the lock, which the parent's thread
//! (not attached to the interpreter, so not stopped by a fork) may have held when the
//! process forked.

use std::collections::{HashMap, HashSet, VecDeque};
use std::ffi::c_int;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};

use pyingot_payload::{Entry, Kind};

use crate::extensions;
use crate::state;

/// At most this many threads copy at once: one CPU is left to the interpreter, which
/// is busy starting while they copy (and then copies what it needs and they have not
/// started), and no more than two (numpy, the case this is for, starts by importing
/// two big files; only two CPUs were measured). On two CPUs, one thread: with two, the
/// interpreter ran beside two copies and reached the script's first line at 28 ms
/// instead of 14 (see above). Read once, from the CPUs this process may run on.
fn workers() -> usize {
    static WORKERS: OnceLock<usize> = OnceLock::new();
    *WORKERS.get_or_init(|| {
        // SAFETY: a zeroed cpu_set_t is a valid empty set; the call fills it.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        // SAFETY: `set` is ours and of the size given.
        let ok = unsafe { libc::sched_getaffinity(0, std::mem::size_of_val(&set), &mut set) };
        let cpus = if ok == 0 {
            // SAFETY: `set` was filled by the kernel.
            unsafe { libc::CPU_COUNT(&set) as usize }
        } else {
            2
        };
        cpus.saturating_sub(1).clamp(1, 2)
    })
}

enum Slot {
    /// In the queue, not started: an import that needs it takes it out (see `take`).
    Queued,
    Copying,
    /// The sealed in-memory file, filled and checked.
    Ready(c_int),
    Failed,
}

/// A file to copy: a shared library or an extension module, by name.
pub type Item = (Kind, String);

/// The process that prefetches (see above); 0 before the first request.
static OWNER: AtomicI32 = AtomicI32::new(0);

#[derive(Default)]
struct Prefetched {
    /// By (kind, name): what was asked for, and how it went.
    slots: HashMap<Item, Slot>,
    /// What is still to copy, in order.
    queue: VecDeque<Item>,
    /// The threads copying now.
    workers: usize,
    /// The packages whose objects were asked for already.
    packages: HashSet<String>,
}

static PREFETCHED: Mutex<Option<Prefetched>> = Mutex::new(None);
static DONE: Condvar = Condvar::new();

fn lock() -> MutexGuard<'static, Option<Prefetched>> {
    PREFETCHED.lock().unwrap_or_else(|e| e.into_inner())
}

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

/// Called once in `main`, before the interpreter starts: starts copying the
/// `start_extensions` and the libraries each needs (libraries first, in load order).
pub fn at_start() {
    let start = state::get().settings.start_extensions();
    if start.is_empty() || !owner() {
        return;
    }
    let needs = needs();
    let mut wanted: Vec<Item> = Vec::new();
    for name in start {
        for library in needs.get(name).into_iter().flatten() {
            let item = (Kind::SharedLibrary, library.clone());
            if !wanted.contains(&item) {
                wanted.push(item);
            }
        }
        wanted.push((Kind::Extension, name.to_owned()));
    }
    request(wanted);
}

/// Called by the finder for every package it finds: starts copying what `package` is
/// about to need (see above), once per package. Cheap when there is nothing to copy.
pub fn package_found(package: &str) {
    let needs = needs();
    if needs.is_empty() || !owner() {
        return;
    }
    {
        let mut guard = lock();
        let p = guard.get_or_insert_with(Prefetched::default);
        if !p.packages.insert(package.to_owned()) {
            return;
        }
    }
    let mut wanted: Vec<Item> = Vec::new();
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
    request(wanted);
}

/// Queues what was not asked for before, and starts threads to copy it: one per queued
/// file, up to [`workers`] copying at once.
fn request(wanted: Vec<Item>) {
    let mut guard = lock();
    let p = guard.get_or_insert_with(Prefetched::default);
    for item in wanted {
        if !p.slots.contains_key(&item) {
            p.slots.insert(item.clone(), Slot::Queued);
            p.queue.push_back(item);
        }
    }
    let start = workers().min(p.queue.len()).saturating_sub(p.workers);
    p.workers += start;
    drop(guard);
    for _ in 0..start {
        let spawned = std::thread::Builder::new()
            .name("pyingot-prefetch".into())
            .spawn(work);
        if spawned.is_err() {
            // The imports copy what stays queued themselves (`take` takes it out).
            if let Some(p) = lock().as_mut() {
                p.workers -= 1;
            }
        }
    }
}

/// A copying thread: takes the queue's first item until the queue is empty.
fn work() {
    // One piece's buffer for every file this thread copies (extensions::fill).
    let mut buffer = Vec::new();
    loop {
        let item = {
            let mut guard = lock();
            let Some(p) = guard.as_mut() else { return };
            match p.queue.pop_front() {
                Some(item) => {
                    p.slots.insert(item.clone(), Slot::Copying);
                    item
                }
                None => {
                    p.workers -= 1;
                    return;
                }
            }
        };
        let slot = copy(&item, &mut buffer);
        let mut guard = lock();
        if let Some(p) = guard.as_mut() {
            p.slots.insert(item, slot);
        }
        DONE.notify_all();
    }
}

fn copy((kind, name): &Item, buffer: &mut Vec<u8>) -> Slot {
    let entry: Entry<'static> = match state::get().payload.get(*kind, name) {
        Ok(Some(e)) => e,
        _ => return Slot::Failed,
    };
    let shown = match kind {
        Kind::Extension => format!("{name}.so"),
        _ => name.clone(),
    };
    match extensions::filled_memfd(&shown, &entry, buffer) {
        Ok(Ok(fd)) => Slot::Ready(fd),
        _ => Slot::Failed,
    }
}

/// Copies on this thread those of `items` that are still queued, as a copying thread
/// would (`take` then finds them ready): called by an import before it takes its files
/// one by one, so that it copies what no thread has started instead of waiting for a
/// thread to finish another file first. Nothing in a forked child.
pub fn copy_queued(items: &[Item]) {
    // SAFETY: always safe.
    if OWNER.load(Ordering::Acquire) != unsafe { libc::getpid() } {
        return;
    }
    let mut buffer = Vec::new();
    for item in items {
        {
            let mut guard = lock();
            let Some(p) = guard.as_mut() else { return };
            if !matches!(p.slots.get(item), Some(Slot::Queued)) {
                continue;
            }
            p.queue.retain(|queued| queued != item);
            p.slots.insert(item.clone(), Slot::Copying);
        }
        let slot = copy(item, &mut buffer);
        if let Some(p) = lock().as_mut() {
            p.slots.insert(item.clone(), slot);
        }
        DONE.notify_all();
    }
}

/// The in-memory file prefetched for (`kind`, `name`), once its thread is done with it;
/// None when it was not asked for, is still queued (taken out: the caller copies it),
/// or failed, and in a forked child. The file is the caller's from then on.
pub fn take(kind: Kind, name: &str) -> Option<c_int> {
    // Checked before the lock: see above.
    // SAFETY: always safe.
    if OWNER.load(Ordering::Acquire) != unsafe { libc::getpid() } {
        return None;
    }
    let mut guard = lock();
    let key = (kind, name.to_owned());
    loop {
        let p = guard.as_mut()?;
        match p.slots.get(&key) {
            None | Some(Slot::Failed) => return None,
            Some(Slot::Queued) => {
                p.queue.retain(|item| *item != key);
                p.slots.insert(key, Slot::Failed);
                return None;
            }
            Some(Slot::Ready(_)) => {
                return match p.slots.insert(key, Slot::Failed) {
                    Some(Slot::Ready(fd)) => Some(fd),
                    _ => None,
                }
            }
            Some(Slot::Copying) => {
                guard = DONE.wait(guard).unwrap_or_else(|e| e.into_inner());
            }
        }
    }
}
