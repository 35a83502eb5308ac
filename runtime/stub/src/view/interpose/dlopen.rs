//! Dlopen: the dynamic loader opens files with system calls of its own.

use super::*;

/// The in-memory copies of view files given to the dynamic loader, by view path:
/// the loader knows an object by the name it was opened with, so a second `dlopen`
/// of one path must give it the same name to get the same handle.
static LOADED: Mutex<Option<HashMap<String, String>>> = Mutex::new(None);

#[no_mangle]
pub unsafe extern "C" fn dlopen(path: *const c_char, flags: c_int) -> *mut c_void {
    let real = real!(c"dlopen", fn(*const c_char, c_int) -> *mut c_void);
    let Some(real) = real else {
        return std::ptr::null_mut();
    };
    let Some(rel) = under_view(path) else {
        return real(path, flags);
    };
    // Anything but a file: glibc's dlopen fails on the path as it did before the
    // view (the kernel says ENOTDIR), and dlerror() tells the caller.
    let Some((r, file)) = tree::resolve(rel).ok().and_then(|r| match r.node {
        // A shared object is a primary blob (an extension module or a data file).
        Node::File(file) if !file.source => Some((r, file)),
        _ => None,
    }) else {
        return real(path, flags);
    };
    let name = {
        let mut loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
        let loaded = loaded.get_or_insert_with(HashMap::new);
        match loaded.get(&r.normalized) {
            Some(name) => name.clone(),
            None => match crate::extensions::in_memory_file(&r.normalized, &file.entry) {
                Ok(fd) => {
                    let name = format!("/proc/self/fd/{fd}");
                    loaded.insert(r.normalized.clone(), name.clone());
                    name
                }
                Err(e) => return fail(e.raw_os_error().unwrap_or(libc::EIO), std::ptr::null_mut()),
            },
        }
    };
    let c = CString::new(name).unwrap_or_default();
    real(c.as_ptr(), flags)
}
