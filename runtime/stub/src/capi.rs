//! Small helpers over CPython's C API, shared by the importer and the interpreter's start.

use std::ffi::{c_char, c_long, CStr, CString};
use std::ptr::null_mut;
use std::sync::OnceLock;

use pyo3_ffi as ffi;
use pyo3_ffi::{PyObject, Py_ssize_t};

pub unsafe fn none() -> *mut PyObject {
    ffi::Py_IncRef(ffi::Py_None());
    ffi::Py_None()
}

pub unsafe fn bool_obj(v: bool) -> *mut PyObject {
    ffi::PyBool_FromLong(v as c_long)
}

/// Sets `exc` with `msg`; returns NULL, for `return raise(...)`.
pub unsafe fn raise(exc: *mut PyObject, msg: &str) -> *mut PyObject {
    let c = CString::new(msg.replace('\0', "?")).unwrap_or_default();
    ffi::PyErr_SetString(exc, c.as_ptr());
    null_mut()
}

pub unsafe fn py_str(s: &str) -> *mut PyObject {
    ffi::PyUnicode_FromStringAndSize(s.as_ptr() as *const c_char, s.len() as Py_ssize_t)
}

/// `str`, or None for `None`.
pub unsafe fn py_str_or_none(s: Option<&str>) -> *mut PyObject {
    s.map_or_else(|| none(), |s| py_str(s))
}

pub unsafe fn py_bytes(bytes: &[u8]) -> *mut PyObject {
    ffi::PyBytes_FromStringAndSize(bytes.as_ptr() as *const c_char, bytes.len() as Py_ssize_t)
}

/// A read-only memoryview of the mapped executable.
pub unsafe fn memoryview(bytes: &'static [u8]) -> *mut PyObject {
    ffi::PyMemoryView_FromMemory(
        bytes.as_ptr() as *mut c_char,
        bytes.len() as Py_ssize_t,
        ffi::PyBUF_READ,
    )
}

/// Releases each non-NULL reference.
pub unsafe fn release<const N: usize>(objects: [*mut PyObject; N]) {
    for o in objects {
        if !o.is_null() {
            ffi::Py_DecRef(o);
        }
    }
}

/// The UTF-8 of a str argument (borrowed from the object).
pub unsafe fn arg_str<'a>(obj: *mut PyObject, what: &str) -> Result<&'a str, ()> {
    if obj.is_null() || ffi::PyUnicode_Check(obj) == 0 {
        raise(ffi::PyExc_TypeError, &format!("{what} must be a str"));
        return Err(());
    }
    let mut len: Py_ssize_t = 0;
    let ptr = ffi::PyUnicode_AsUTF8AndSize(obj, &mut len);
    if ptr.is_null() {
        return Err(());
    }
    let bytes = std::slice::from_raw_parts(ptr as *const u8, len as usize);
    std::str::from_utf8(bytes).map_err(|_| ())
}

/// The positional arguments of a METH_FASTCALL function, at least `min` of them.
pub unsafe fn positional<'a>(
    args: *const *mut PyObject,
    nargs: Py_ssize_t,
    min: usize,
    name: &str,
) -> Result<&'a [*mut PyObject], ()> {
    let n = ffi::PyVectorcall_NARGS(nargs as usize) as usize;
    if n < min {
        raise(
            ffi::PyExc_TypeError,
            &format!("{name}() takes at least {min} positional arguments ({n} given)"),
        );
        return Err(());
    }
    Ok(if n == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(args, n)
    })
}

/// `module.name` (a new reference), or NULL with the exception set.
pub unsafe fn attribute(module: &CStr, name: &CStr) -> *mut PyObject {
    let m = ffi::PyImport_ImportModule(module.as_ptr());
    if m.is_null() {
        return null_mut();
    }
    let f = ffi::PyObject_GetAttrString(m, name.as_ptr());
    ffi::Py_DecRef(m);
    f
}

/// `module.name`, looked up once and kept in `cell` for the process's life (borrowed).
///
/// Threads may race to the first lookup (without a GIL, truly at once): the
/// first to set the cell wins, a loser drops its own reference and returns the
/// winner's, so exactly one reference is kept.
pub unsafe fn cached_attribute(
    cell: &OnceLock<usize>,
    module: &CStr,
    name: &CStr,
) -> *mut PyObject {
    if let Some(p) = cell.get() {
        return *p as *mut PyObject;
    }
    let f = attribute(module, name);
    if f.is_null() {
        return f;
    }
    if cell.set(f as usize).is_err() {
        ffi::Py_DecRef(f);
    }
    cell.get().map_or(null_mut(), |p| *p as *mut PyObject)
}

/// ImportError(msg, name=name, path=path), as CPython's loaders raise it; returns NULL.
pub unsafe fn import_error(name: &str, path: &str, msg: &str) -> *mut PyObject {
    let (m, n, p) = (py_str(msg), py_str(name), py_str(path));
    if !m.is_null() && !n.is_null() && !p.is_null() {
        ffi::PyErr_SetImportError(m, n, p);
    }
    release([m, n, p]);
    null_mut()
}

pub type PendingError = (*mut PyObject, *mut PyObject, *mut PyObject);

/// Takes the pending exception (all NULL if none), normalized if asked. Fetch
/// and Restore are deprecated since 3.12, whose replacement 3.11 lacks, and
/// are still in 3.13's stable ABI: one source for every version.
#[allow(deprecated)]
pub unsafe fn fetch_error(normalize: bool) -> PendingError {
    let (mut t, mut v, mut tb) = (null_mut(), null_mut(), null_mut());
    ffi::PyErr_Fetch(&mut t, &mut v, &mut tb);
    if normalize && !t.is_null() {
        ffi::PyErr_NormalizeException(&mut t, &mut v, &mut tb);
    }
    (t, v, tb)
}

/// Sets the exception taken by `fetch_error` again (steals its references).
#[allow(deprecated)]
pub unsafe fn restore_error((t, v, tb): PendingError) {
    ffi::PyErr_Restore(t, v, tb);
}
