//! Compiled extension modules and the shared libraries they bundle, loaded from memory.
//!
//! glibc's dynamic loader only opens files, so each shared object is copied
//! from the payload into an anonymous in-memory file (`memfd_create`) and
//! opened by the name `/proc/self/fd/N`. Nothing is written to disk; where
//! `/proc` is not mounted, importing an extension fails with an ImportError
//! that says so.
//!
//! An extension from a manylinux wheel names its bundled libraries in its
//! `DT_NEEDED` entries and finds them through `RUNPATH $ORIGIN/../pkg.libs`,
//! which means nothing for `/proc/self/fd/N`. So the libraries it needs are
//! loaded first, dependencies first, as the build lists them in the setting
//! `extension_libraries` (docs/packed-format.md, settings.rs): glibc then satisfies
//! the extension's `DT_NEEDED` by the `DT_SONAME` of objects already loaded,
//! before it searches any directory.
//!
//! The libraries are opened `RTLD_LOCAL`, as glibc opens the dependencies of an
//! extension that CPython loads from disk: they join the scope of the objects
//! that need them and nobody else's, so two packages that bundle different
//! builds of a library exporting the same symbols (OpenBLAS in numpy and in
//! scipy) each keep binding to their own, as they do when installed.
//!
//! Every in-memory file stays open for the life of the process: the dynamic
//! loader knows an object by the name it was opened with, and a closed number,
//! reused for the next file, would make it hand out the old object again.

use std::collections::{HashMap, HashSet};
use std::ffi::{c_int, CStr, CString};
use std::fs::File;
use std::io::Write;
use std::mem::ManuallyDrop;
use std::os::fd::FromRawFd;
use std::sync::Mutex;

use pyingot_payload::{Entry, Kind, Payload, PayloadError, CODEC_LZ4};

use crate::settings::Settings;
use crate::{prefetch, state};

/// What has been loaded, for the life of the process.
#[derive(Default)]
struct Loaded {
    /// Descriptor numbers whose `/proc/self/fd/N` name was given to the dynamic loader.
    used_fds: HashSet<c_int>,
    /// Per extension module, the name of its in-memory copy (one copy per module,
    /// so that importing it again after `del sys.modules[...]` finds the object
    /// CPython and glibc already know, as it does for a file on disk).
    extensions: HashMap<String, String>,
    /// The bundled libraries already loaded, by file name.
    libraries: HashSet<String>,
    /// `extension_libraries`, read when the first extension is loaded.
    needs: Option<HashMap<String, Vec<String>>>,
    /// Per stored blob (its address and length in the payload), the name of its
    /// in-memory copy: modules that share one shared object (the build stores its bytes
    /// once for each of them: `_ssl` and `_hashlib`, one OpenSSL) share its copy, which
    /// the dynamic loader then loads once.
    blobs: HashMap<(usize, usize), String>,
}

/// Serialises loading: threads importing extensions at once (truly at once in a
/// free-threaded interpreter) each copy and load a library exactly once.
///
/// Held only by a thread attached to the interpreter, which calls no Python API
/// while holding it. So a fork never copies it taken: `os.fork` holds the GIL,
/// or in a free-threaded interpreter stops the world first, which waits until
/// every attached thread is back in the interpreter, past this lock.
static LOADED: Mutex<Option<Loaded>> = Mutex::new(None);

/// Loads the bundled libraries that extension module `name` needs, and returns
/// the path (`/proc/self/fd/N`) of an in-memory copy of `bytes`, the module's
/// shared object, for CPython's own loader to open. The error says why, in
/// words that follow "cannot load extension module NAME: ".
pub fn prepare(
    payload: &Payload,
    settings: &Settings,
    name: &str,
    entry: &Entry<'_>,
) -> Result<String, String> {
    if std::fs::metadata("/proc/self/fd").is_err() {
        return Err(
            "/proc is not mounted, and pyingot loads compiled extension modules \
             from memory through /proc/self/fd"
                .into(),
        );
    }
    let mut guard = LOADED.lock().unwrap_or_else(|e| e.into_inner());
    let loaded = guard.get_or_insert_with(Loaded::default);
    if loaded.needs.is_none() {
        loaded.needs = Some(settings.extension_libraries()?);
    }
    let wanted: Vec<String> = loaded
        .needs
        .as_ref()
        .and_then(|n| n.get(name))
        .cloned()
        .unwrap_or_default();
    // What is still queued for copying ahead is copied here and now, before this
    // thread waits for what another thread is copying (prefetch.rs).
    let mut queued: Vec<(Kind, String)> = wanted
        .iter()
        .filter(|library| !loaded.libraries.contains(*library))
        .map(|library| (Kind::SharedLibrary, library.clone()))
        .collect();
    if !loaded.extensions.contains_key(name) {
        queued.push((Kind::Extension, name.to_owned()));
    }
    prefetch::copy_queued(&queued);
    for library in wanted {
        if loaded.libraries.contains(&library) {
            continue;
        }
        let entry = match payload.get(Kind::SharedLibrary, &library) {
            Ok(Some(e)) => e,
            Ok(None) => {
                return Err(format!(
                    "it needs the bundled library {library}, which is not in this executable"
                ))
            }
            Err(e) => return Err(e.to_string()),
        };
        let (fd, path) = match prefetch::take(Kind::SharedLibrary, &library) {
            Some(fd) => register(fd, &mut loaded.used_fds),
            None => memfd(&library, &entry, &mut loaded.used_fds),
        }
        .map_err(|e| format!("cannot copy the bundled library {library} to memory: {e}"))?;
        if let Err(e) = dlopen_local(&path) {
            // SAFETY: our own descriptor; the loader kept nothing of the failed load.
            unsafe { libc::close(fd) };
            return Err(format!(
                "cannot load the bundled library {library}: {}",
                e.replace(&path, &library)
            ));
        }
        loaded.libraries.insert(library);
    }
    if let Some(path) = loaded.extensions.get(name) {
        return Ok(path.clone());
    }
    let blob = (
        entry.primary.stored.as_ptr() as usize,
        entry.primary.stored.len(),
    );
    let path = match loaded.blobs.get(&blob) {
        Some(path) => path.clone(),
        None => {
            let (_, path) = match prefetch::take(Kind::Extension, name) {
                Some(fd) => register(fd, &mut loaded.used_fds),
                None => memfd(&format!("{name}.so"), entry, &mut loaded.used_fds),
            }
            .map_err(|e| format!("cannot copy it to memory: {e}"))?;
            loaded.blobs.insert(blob, path.clone());
            path
        }
    };
    loaded.extensions.insert(name.to_owned(), path.clone());
    Ok(path)
}

/// `dlopen(path, RTLD_NOW | RTLD_LOCAL)`, the handle kept for the process's life.
fn dlopen_local(path: &str) -> Result<(), String> {
    let c = CString::new(path).map_err(|_| "bad path".to_string())?;
    // SAFETY: a valid C string; the handle is never closed (the library is
    // used by the extensions loaded after it). dlerror's message is per thread.
    let handle = unsafe { libc::dlopen(c.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    if handle.is_null() {
        // SAFETY: dlerror returns NULL or a C string valid until the next dl* call.
        let err = unsafe { libc::dlerror() };
        return Err(if err.is_null() {
            "unknown error".into()
        } else {
            unsafe { CStr::from_ptr(err) }
                .to_string_lossy()
                .into_owned()
        });
    }
    Ok(())
}

/// An anonymous in-memory file holding `bytes`, sealed against change; returns
/// its descriptor and `/proc/self/fd/N` name. `name` only shows in
/// `/proc/PID/maps` (`/memfd:NAME (deleted)`), for whoever debugs the process.
/// A sealed in-memory file holding `bytes`, named `name`, for the process's life
/// (a data file handed out by path); its number is never reused for another.
pub fn in_memory_file(name: &str, entry: &Entry<'_>) -> std::io::Result<c_int> {
    let mut guard = LOADED.lock().unwrap_or_else(|e| e.into_inner());
    let loaded = guard.get_or_insert_with(Loaded::default);
    memfd(name, entry, &mut loaded.used_fds).map(|(fd, _)| fd)
}

/// Writes the entry's primary blob into the in-memory file `fd`: a raw blob is
/// written from the mapped executable; an LZ4 one decoded a piece (1 MiB) at a time
/// through `buffer` (a copying thread keeps one from file to file) and written, so that
/// neither its decoding nor the file's pages count in this process's memory beyond a
/// piece (a 25 MB library decoded into a mapping of its file would add 25 MB to the
/// peak RSS); a zstd one decoded straight into the file's pages (mapped for the time of
/// the decoding). A damaged blob is the inner error.
fn fill(
    fd: c_int,
    entry: &Entry<'_>,
    buffer: &mut Vec<u8>,
) -> std::io::Result<Result<(), PayloadError>> {
    if entry.primary.codec == CODEC_LZ4 {
        // SAFETY: fd is ours and open; ManuallyDrop keeps File from closing it.
        let mut file = ManuallyDrop::new(unsafe { File::from_raw_fd(fd) });
        let result = match entry.decode_primary_with(buffer, |piece| file.write_all(piece)) {
            Ok(written) => written.map(Ok),
            Err(damage) => Ok(Err(damage)),
        };
        state::release(entry.primary.stored);
        return result;
    }
    if !entry.primary.is_compressed() {
        // In pieces, each checksummed, written and unmapped in turn: a 25 MB library
        // never takes more than a piece of this process's memory besides its file.
        // SAFETY: fd is ours and open; ManuallyDrop keeps File from closing it.
        let mut file = ManuallyDrop::new(unsafe { File::from_raw_fd(fd) });
        let mut crc = crc32fast::Hasher::new();
        for piece in entry.primary.stored.chunks(1 << 20) {
            crc.update(piece);
            file.write_all(piece)?;
            state::release(piece);
        }
        return Ok(entry.check_primary_crc32(crc.finalize()));
    }
    let len = entry.primary.len();
    // SAFETY: our own descriptor.
    if unsafe { libc::ftruncate(fd, len as libc::off_t) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a shared writable mapping of `len` bytes of our own file, unmapped below.
    let ptr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            fd,
            0,
        )
    };
    if ptr == libc::MAP_FAILED {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: ptr points to `len` writable bytes until the munmap below.
    let out = unsafe { std::slice::from_raw_parts_mut(ptr as *mut u8, len) };
    let result = entry.decode_primary_into(out);
    // SAFETY: the mapping made above; `out` is not used after this.
    unsafe { libc::munmap(ptr, len) };
    state::release(entry.primary.stored);
    Ok(result)
}

/// A new sealed in-memory file named `name` holding the entry's primary blob, decoded
/// through `buffer` (see `fill`); the inner error when the blob is damaged. Any thread
/// may call it (it keeps no state).
pub fn filled_memfd(
    name: &str,
    entry: &Entry<'_>,
    buffer: &mut Vec<u8>,
) -> std::io::Result<Result<c_int, PayloadError>> {
    // The kernel accepts names of up to 249 bytes.
    let mut shown: String = name.chars().filter(|c| *c != '\0').collect();
    while shown.len() > 249 {
        shown.pop();
    }
    let cname = CString::new(shown).unwrap_or_default();
    // The system call rather than glibc's wrapper (2.27): the stub keeps
    // running on the older glibc that python-build-standalone targets.
    // SAFETY: a valid C string and flags; the result is checked.
    let raw = unsafe {
        libc::syscall(
            libc::SYS_memfd_create,
            cname.as_ptr(),
            libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING,
        )
    };
    if raw < 0 {
        return Err(std::io::Error::last_os_error());
    }
    let fd = raw as c_int;
    let filled = fill(fd, entry, buffer);
    if !matches!(filled, Ok(Ok(()))) {
        // SAFETY: our own descriptor, not yet given to anyone.
        unsafe { libc::close(fd) };
        return filled.map(|r| r.map(|()| fd));
    }
    // Best effort: nobody (another process of the same user through
    // /proc/PID/fd) can change the code under the loader's feet. Private
    // mappings, which is all the loader makes, are allowed on a sealed file.
    // SAFETY: fcntl on our own descriptor.
    unsafe {
        libc::fcntl(
            fd,
            libc::F_ADD_SEALS,
            libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE | libc::F_SEAL_SEAL,
        )
    };
    Ok(Ok(fd))
}

/// The in-memory file for the entry, for the life of the process: a damaged blob stops
/// the process with the message naming the entry.
fn memfd(
    name: &str,
    entry: &Entry<'_>,
    used: &mut HashSet<c_int>,
) -> std::io::Result<(c_int, String)> {
    let fd = filled_memfd(name, entry, &mut Vec::new())?.unwrap_or_else(|e| state::damaged(&e));
    register(fd, used)
}

/// Records `fd`, a filled in-memory file, as given to the dynamic loader, and returns
/// it with its `/proc/self/fd/N` name.
fn register(mut fd: c_int, used: &mut HashSet<c_int>) -> std::io::Result<(c_int, String)> {
    if used.contains(&fd) {
        // Our earlier file with this number was closed behind our back (a
        // daemon closing every descriptor): take a number never used.
        let above = used.iter().max().copied().unwrap_or(fd) + 1;
        // SAFETY: fcntl on our own descriptor.
        let moved = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, above) };
        let err = std::io::Error::last_os_error();
        // SAFETY: our own descriptor, replaced by `moved`.
        unsafe { libc::close(fd) };
        if moved < 0 {
            return Err(err);
        }
        fd = moved;
    }
    used.insert(fd);
    Ok((fd, format!("/proc/self/fd/{fd}")))
}
