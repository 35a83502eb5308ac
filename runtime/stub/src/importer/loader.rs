//! The loader: `create_module`, `exec_module` and the `InspectLoader`,
//! `ExecutionLoader` and `ResourceLoader` methods (`get_code`, `get_source`,
//! `is_package`, `get_filename`, `get_data`). Code objects are unmarshalled straight
//! from the mapped executable; extension modules are copied to memory and loaded by
//! CPython's own `_imp.create_dynamic` (see extensions.rs).

use std::ffi::c_char;
use std::ptr::null_mut;
use std::sync::OnceLock;

use pyingot_payload::Entry;
use pyo3_ffi as ffi;
use pyo3_ffi::{PyObject, Py_ssize_t};

use super::finder::{module_entry, not_found, with_name, Found};
use super::paths::{data_file, DataPath};
use crate::capi::{
    arg_str, bool_obj, cached_attribute, fetch_error, import_error, none, py_bytes, py_str, raise,
    release, restore_error,
};
use crate::{extensions, state};

static CREATE_DYNAMIC: OnceLock<usize> = OnceLock::new();
static EXEC_DYNAMIC: OnceLock<usize> = OnceLock::new();
static FIX_CO_FILENAME: OnceLock<usize> = OnceLock::new();
static DECODE_SOURCE: OnceLock<usize> = OnceLock::new();

/// `create_module(spec)`: an extension module, loaded; None (the default module
/// creation) for a Python module.
pub unsafe extern "C" fn create_module(_m: *mut PyObject, spec: *mut PyObject) -> *mut PyObject {
    let name_obj = ffi::PyObject_GetAttrString(spec, c"name".as_ptr());
    if name_obj.is_null() {
        return null_mut();
    }
    let result = match arg_str(name_obj, "spec.name") {
        Ok(name) => match module_entry(name) {
            Ok(Some(Found::Extension(entry))) => create_extension(spec, name, &entry),
            Ok(_) => none(),
            Err(()) => null_mut(),
        },
        Err(()) => null_mut(),
    };
    ffi::Py_DecRef(name_obj);
    result
}

/// Loads the extension module `name` from memory (see extensions.rs).
unsafe fn create_extension(
    spec: *mut PyObject,
    name: &str,
    entry: &Entry<'static>,
) -> *mut PyObject {
    let shown = Found::Extension(*entry).path(name);
    let state = state::get();
    let path = match extensions::prepare(&state.payload, &state.settings, name, entry) {
        Ok(p) => p,
        Err(msg) => {
            return import_error(
                name,
                &shown,
                &format!("cannot load extension module {name}: {msg}"),
            )
        }
    };
    let create = cached_attribute(&CREATE_DYNAMIC, c"_imp", c"create_dynamic");
    let (fd_path, shown_obj) = (py_str(&path), py_str(&shown));
    if create.is_null() || fd_path.is_null() || shown_obj.is_null() {
        release([fd_path, shown_obj]);
        return null_mut();
    }
    // CPython loads it as it loads a file (dlopen, PyInit_<name>, single- or
    // multi-phase initialization, its cache of single-phase modules by path):
    // the spec names the in-memory file for this call only.
    let module = if ffi::PyObject_SetAttrString(spec, c"origin".as_ptr(), fd_path) < 0 {
        null_mut()
    } else {
        ffi::PyObject_CallFunctionObjArgs(create, spec, null_mut::<PyObject>())
    };
    ffi::Py_DecRef(fd_path);
    let pending = fetch_error(false);
    if ffi::PyObject_SetAttrString(spec, c"origin".as_ptr(), shown_obj) < 0 {
        ffi::PyErr_Clear();
    }
    restore_error(pending);
    if module.is_null() {
        explain_load_error(name, &path, &shown);
    } else if ffi::PyObject_SetAttrString(module, c"__file__".as_ptr(), shown_obj) < 0 {
        // CPython gave a single-phase module the in-memory file's name; an
        // object that is not a module (Py_mod_create) may refuse attributes.
        ffi::PyErr_Clear();
    }
    ffi::Py_DecRef(shown_obj);
    module
}

/// Turns the loader's own ImportError (dlopen's message, a missing `PyInit_`
/// function), which names `/proc/self/fd/N`, into one naming the module and its
/// virtual path. Errors raised by the module's initialization are left alone.
unsafe fn explain_load_error(name: &str, fd_path: &str, shown: &str) {
    if ffi::PyErr_ExceptionMatches(ffi::PyExc_ImportError) == 0 {
        return;
    }
    let (t, v, tb) = fetch_error(true);
    let mut text = None;
    if !v.is_null() {
        let p = ffi::PyObject_GetAttrString(v, c"path".as_ptr());
        if !p.is_null() && ffi::PyUnicode_Check(p) != 0 && arg_str(p, "path") == Ok(fd_path) {
            let s = ffi::PyObject_Str(v);
            if !s.is_null() {
                text = arg_str(s, "message").ok().map(str::to_owned);
                ffi::Py_DecRef(s);
            }
        }
        if !p.is_null() {
            ffi::Py_DecRef(p);
        }
        ffi::PyErr_Clear();
    }
    match text {
        Some(text) => {
            release([t, v, tb]);
            let text = text.replace(&format!("{fd_path}:"), &format!("{shown}:"));
            import_error(
                name,
                shown,
                &format!("cannot load extension module {name}: {text}"),
            );
        }
        None => restore_error((t, v, tb)),
    }
}

unsafe fn code_from(entry: &Entry<'static>) -> *mut PyObject {
    if entry.primary.is_empty() {
        // A namespace package: no code.
        return none();
    }
    let bytes = match entry.primary() {
        Ok(bytes) => bytes,
        Err(e) => state::damaged(&e),
    };
    let code = ffi::PyMarshal_ReadObjectFromString(
        bytes.as_ptr() as *const c_char,
        bytes.len() as Py_ssize_t,
    );
    state::release(entry.primary.stored);
    if !code.is_null() && rebase_filename(code).is_err() {
        ffi::Py_DecRef(code);
        return null_mut();
    }
    code
}

/// Give a code object (and its nested ones) the virtual path as `co_filename`,
/// as `SourceLoader.get_code` does with `_imp._fix_co_filename`. The payload
/// holds the path relative to the search root (no build paths in artifacts);
/// left relative, tracebacks, `inspect` and `linecache` would look for that
/// path in the current directory and show a file on disk that happens to be
/// there instead of the embedded source.
unsafe fn rebase_filename(code: *mut PyObject) -> Result<(), ()> {
    let current = ffi::PyObject_GetAttrString(code, c"co_filename".as_ptr());
    if current.is_null() {
        return Err(());
    }
    let rel = arg_str(current, "co_filename").map(|s| s.to_owned());
    ffi::Py_DecRef(current);
    let rel = rel?;
    if rel.is_empty() || rel.starts_with('/') || rel.starts_with('<') {
        return Ok(());
    }
    let fix = cached_attribute(&FIX_CO_FILENAME, c"_imp", c"_fix_co_filename");
    if fix.is_null() {
        return Err(());
    }
    let path = py_str(&format!("{}/{rel}", state::get().executable));
    if path.is_null() {
        return Err(());
    }
    let r = ffi::PyObject_CallFunctionObjArgs(fix, code, path, null_mut::<PyObject>());
    ffi::Py_DecRef(path);
    if r.is_null() {
        return Err(());
    }
    ffi::Py_DecRef(r);
    Ok(())
}

/// `exec_module(module)`
pub unsafe extern "C" fn exec_module(_m: *mut PyObject, module: *mut PyObject) -> *mut PyObject {
    let name_obj = ffi::PyObject_GetAttrString(module, c"__name__".as_ptr());
    if name_obj.is_null() {
        return null_mut();
    }
    let spec = ffi::PyObject_GetAttrString(module, c"__spec__".as_ptr());
    // The spec's name is authoritative (runpy runs modules under "__main__").
    let lookup_obj = if !spec.is_null() && spec != ffi::Py_None() {
        let n = ffi::PyObject_GetAttrString(spec, c"name".as_ptr());
        ffi::Py_DecRef(name_obj);
        n
    } else {
        ffi::PyErr_Clear();
        name_obj
    };
    if !spec.is_null() {
        ffi::Py_DecRef(spec);
    }
    if lookup_obj.is_null() {
        return null_mut();
    }
    let result = match arg_str(lookup_obj, "module name") {
        Ok(name) => match module_entry(name) {
            Ok(Some(Found::Extension(_))) => {
                let exec = cached_attribute(&EXEC_DYNAMIC, c"_imp", c"exec_dynamic");
                let r = if exec.is_null() {
                    null_mut()
                } else {
                    ffi::PyObject_CallFunctionObjArgs(exec, module, null_mut::<PyObject>())
                };
                if r.is_null() {
                    null_mut()
                } else {
                    ffi::Py_DecRef(r);
                    none()
                }
            }
            Ok(Some(Found::Module(entry))) => exec_code(module, code_from(&entry)),
            Ok(None) => not_found(name),
            Err(()) => null_mut(),
        },
        Err(()) => null_mut(),
    };
    ffi::Py_DecRef(lookup_obj);
    result
}

/// Runs `code` (a new reference, None for a namespace package, or NULL with
/// an exception set) in `module`'s namespace.
unsafe fn exec_code(module: *mut PyObject, code: *mut PyObject) -> *mut PyObject {
    if code.is_null() || code == ffi::Py_None() {
        return code;
    }
    let dict = ffi::PyModule_GetDict(module);
    // As exec() does: C code that imports (PyImport_Import) reads the calling
    // frame's globals["__builtins__"], so every module needs it, as it has
    // when imported by python.
    let r = if ffi::PyDict_GetItemString(dict, c"__builtins__".as_ptr()).is_null()
        && ffi::PyDict_SetItemString(dict, c"__builtins__".as_ptr(), ffi::PyEval_GetBuiltins()) < 0
    {
        null_mut()
    } else {
        ffi::PyEval_EvalCode(code, dict, dict)
    };
    ffi::Py_DecRef(code);
    if r.is_null() {
        null_mut()
    } else {
        ffi::Py_DecRef(r);
        none()
    }
}

/// `get_code(fullname)`
pub unsafe extern "C" fn get_code(_m: *mut PyObject, arg: *mut PyObject) -> *mut PyObject {
    with_name(arg, |name, found| match found {
        Some(Found::Module(entry)) => code_from(&entry),
        // As ExtensionFileLoader.get_code: no code object.
        Some(Found::Extension(_)) => none(),
        None => not_found(name),
    })
}

/// `get_source(fullname)`: the embedded source, or None when sources were not kept.
/// The payload holds the source file's bytes as they were; they are decoded as
/// `SourceLoader.get_source` does (`decode_source`: the PEP 263 declaration,
/// else UTF-8, and universal newlines).
pub unsafe extern "C" fn get_source(_m: *mut PyObject, arg: *mut PyObject) -> *mut PyObject {
    with_name(arg, |name, found| match found {
        None => not_found(name),
        Some(Found::Extension(_)) => none(),
        Some(Found::Module(e)) => match e.source() {
            Ok(source) => {
                let text = source.map_or_else(|| none(), |src| decode_source(&src));
                state::release(e.secondary.stored);
                text
            }
            Err(e) => state::damaged(&e),
        },
    })
}

unsafe fn decode_source(src: &[u8]) -> *mut PyObject {
    let decode = cached_attribute(
        &DECODE_SOURCE,
        c"_frozen_importlib_external",
        c"decode_source",
    );
    if decode.is_null() {
        return null_mut();
    }
    let bytes = py_bytes(src);
    if bytes.is_null() {
        return null_mut();
    }
    let r = ffi::PyObject_CallOneArg(decode, bytes);
    ffi::Py_DecRef(bytes);
    r
}

/// `is_package(fullname)`
pub unsafe extern "C" fn is_package(_m: *mut PyObject, arg: *mut PyObject) -> *mut PyObject {
    with_name(arg, |name, found| match found {
        None => not_found(name),
        Some(f) => bool_obj(f.entry().is_package() || f.entry().is_namespace()),
    })
}

/// `get_filename(fullname)`: the virtual path (see paths.rs).
pub unsafe extern "C" fn get_filename(_m: *mut PyObject, arg: *mut PyObject) -> *mut PyObject {
    with_name(arg, |name, found| match found {
        None => not_found(name),
        Some(f) => py_str(&f.path(name)),
    })
}

/// `get_data(path)`: a package data file's bytes by its virtual path
/// (`<executable>/<package directories>/<file>`), as zipimport's loader reads
/// `archive.zip/pkg/file`; `pkgutil.get_data` and code that builds names from
/// `os.path.dirname(__file__)` read through it. The file belongs to the
/// deepest package on its path, as the DATA entries are named.
pub unsafe extern "C" fn get_data(_m: *mut PyObject, arg: *mut PyObject) -> *mut PyObject {
    let Ok(path) = arg_str(arg, "path") else {
        return null_mut();
    };
    match data_file(path) {
        Ok(DataPath::Embedded(bytes)) => py_bytes(&bytes),
        // A data-on-disk file: a real file beside the executable.
        Ok(DataPath::OnDisk) => match std::fs::read(path) {
            Ok(bytes) => py_bytes(&bytes),
            Err(e) => {
                let exc = if e.kind() == std::io::ErrorKind::NotFound {
                    ffi::PyExc_FileNotFoundError
                } else {
                    ffi::PyExc_OSError
                };
                raise(exc, &format!("{path}: {e}"))
            }
        },
        Ok(DataPath::Missing) => raise(
            ffi::PyExc_FileNotFoundError,
            &format!("no such data file in this executable: {path}"),
        ),
        Err(e) => raise(ffi::PyExc_OSError, &e),
    }
}
