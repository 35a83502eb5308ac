//! `_pyingot`: the built-in module that is the meta-path finder and loader.
//!
//! importlib only needs objects with the right methods, so the module itself is
//! put on `sys.meta_path` and is every embedded module's `__loader__`; no class
//! is defined. The hot path (`find_spec`, `exec_module`, `get_code`) is here:
//! a binary search in the payload index and `PyMarshal_ReadObjectFromString`
//! reading the code object straight from the mapped executable. The richer
//! protocols (a `Traversable` for `importlib.resources`, `Distribution` objects
//! for `importlib.metadata`, path hooks for `pkgutil`) are small Python modules
//! embedded in the payload (`runtime/python/`), built on the primitives `get`
//! and `names` (resources.rs), which hand out read-only memoryviews of the map.
//!
//! Compiled extension modules (EXTENSION entries) are served by the same
//! finder: `create_module` copies the shared object to memory and has CPython's
//! own `_imp.create_dynamic` load it (see extensions.rs), `exec_module` runs
//! `_imp.exec_dynamic`. Their `__file__` is a virtual path ending in `.so`
//! (`<executable>/pkg/mod.so`, `<executable>/pkg/__init__.so` for a package):
//! the payload keeps the module's dotted name, not the file name the wheel had
//! (`mod.cpython-311-x86_64-linux-gnu.so` or `mod.abi3.so`), and `.so` is one of
//! `importlib.machinery.EXTENSION_SUFFIXES`, so code that looks at the suffix
//! still sees an extension module.
//!
//! The parts, by protocol: `finder` (`find_spec`), `loader` (`create_module`,
//! `exec_module`, `get_code`, `get_source`, `get_data`, ...), `resources` (the
//! primitives and the `importlib.resources`, `importlib.metadata` and `pkgutil`
//! hooks), `paths` (virtual paths), with helpers over the C API in capi.rs; this
//! file defines the module and puts it on `sys.meta_path`.

mod finder;
mod loader;
pub(crate) mod paths;
mod resources;

use std::ffi::{c_long, CString};
use std::ptr::null_mut;
use std::sync::{Once, OnceLock};

use pyingot_payload::{Entry, Kind};
use pyo3_ffi as ffi;
use pyo3_ffi::PyObject;

use crate::capi::{arg_str, py_str, py_str_or_none};
use crate::state;
use finder::{find_spec, invalidate_caches};
use loader::{
    create_module, exec_module, get_code, get_data, get_filename, get_source, is_package,
};
use resources::{find_distributions, get, get_resource_reader, iter_modules, memfd, names};

/// The entry of `kind` named `name`; a damaged entry's message as the error.
fn lookup(kind: Kind, name: &str) -> Result<Option<Entry<'static>>, String> {
    state::get()
        .payload
        .get(kind, name)
        .map_err(|e| e.to_string())
}

static SELF_MODULE: OnceLock<usize> = OnceLock::new();

/// The `_pyingot` module: every embedded module's loader (borrowed).
unsafe fn self_module() -> *mut PyObject {
    SELF_MODULE
        .get()
        .map(|p| *p as *mut PyObject)
        .unwrap_or(null_mut())
}

macro_rules! fastcall {
    ($name:literal, $f:ident, $doc:literal) => {
        ffi::PyMethodDef {
            ml_name: $name.as_ptr(),
            ml_meth: ffi::PyMethodDefPointer {
                PyCFunctionFastWithKeywords: $f,
            },
            ml_flags: ffi::METH_FASTCALL | ffi::METH_KEYWORDS,
            ml_doc: $doc.as_ptr(),
        }
    };
}

macro_rules! one_arg {
    ($name:literal, $f:ident, $doc:literal) => {
        ffi::PyMethodDef {
            ml_name: $name.as_ptr(),
            ml_meth: ffi::PyMethodDefPointer { PyCFunction: $f },
            ml_flags: ffi::METH_O,
            ml_doc: $doc.as_ptr(),
        }
    };
}

macro_rules! no_args {
    ($name:literal, $f:ident, $doc:literal) => {
        ffi::PyMethodDef {
            ml_name: $name.as_ptr(),
            ml_meth: ffi::PyMethodDefPointer { PyCFunction: $f },
            ml_flags: ffi::METH_NOARGS,
            ml_doc: $doc.as_ptr(),
        }
    };
}

static mut METHODS: [ffi::PyMethodDef; 16] = [
    fastcall!(
        c"find_spec",
        find_spec,
        c"find_spec(fullname, path=None, target=None)"
    ),
    one_arg!(
        c"create_module",
        create_module,
        c"create_module(spec) -> extension module | None"
    ),
    one_arg!(c"exec_module", exec_module, c"exec_module(module)"),
    one_arg!(c"get_code", get_code, c"get_code(fullname) -> code object"),
    one_arg!(
        c"get_source",
        get_source,
        c"get_source(fullname) -> str | None"
    ),
    one_arg!(c"is_package", is_package, c"is_package(fullname) -> bool"),
    one_arg!(
        c"get_filename",
        get_filename,
        c"get_filename(fullname) -> virtual path"
    ),
    one_arg!(
        c"get_data",
        get_data,
        c"get_data(path) -> bytes of a package data file"
    ),
    one_arg!(
        c"get_resource_reader",
        get_resource_reader,
        c"importlib.resources reader"
    ),
    fastcall!(
        c"find_distributions",
        find_distributions,
        c"importlib.metadata finder"
    ),
    fastcall!(
        c"iter_modules",
        iter_modules,
        c"iter_modules(prefix='') for pkgutil"
    ),
    // `importlib.invalidate_caches()` calls `finder.invalidate_caches()`.
    no_args!(
        c"invalidate_caches",
        invalidate_caches,
        c"nothing to invalidate"
    ),
    fastcall!(
        c"get",
        get,
        c"get(kind, name) -> (flags, primary, secondary) | None"
    ),
    fastcall!(c"names", names, c"names(kind, prefix) -> list[str]"),
    fastcall!(
        c"memfd",
        memfd,
        c"memfd(kind, name) -> descriptor of a sealed in-memory copy"
    ),
    ffi::PyMethodDef::zeroed(),
];

static mut MODULE_DEF: ffi::PyModuleDef = ffi::PyModuleDef {
    m_base: ffi::PyModuleDef_HEAD_INIT,
    m_name: c"_pyingot".as_ptr(),
    m_doc: c"pyingot's in-memory importer (finder and loader for the embedded payload)".as_ptr(),
    m_size: -1,
    m_methods: null_mut(),
    m_slots: null_mut(),
    m_traverse: None,
    m_clear: None,
    m_free: None,
};

/// Guards the one write to `MODULE_DEF` (CPython calls `init_module` once at
/// start-up; the `Once` keeps a second call from racing with a reader).
static DEF_READY: Once = Once::new();

/// Registered with `PyImport_AppendInittab` before the interpreter starts.
pub unsafe extern "C" fn init_module() -> *mut PyObject {
    let def = std::ptr::addr_of_mut!(MODULE_DEF);
    DEF_READY.call_once(|| {
        (*def).m_methods = std::ptr::addr_of_mut!(METHODS) as *mut ffi::PyMethodDef;
    });
    let m = ffi::PyModule_Create(def);
    if m.is_null() {
        return null_mut();
    }
    // A free-threaded interpreter turns the GIL on for a module that does not say
    // it can run without it (CPython's import.c, _PyImport_CheckGILForModule).
    // Every entry point here is safe without it: docs/executables.md, "What
    // guards what".
    #[cfg(Py_GIL_DISABLED)]
    if ffi::PyUnstable_Module_SetGIL(m, ffi::Py_MOD_GIL_NOT_USED) < 0 {
        ffi::Py_DecRef(m);
        return null_mut();
    }
    let state = state::get();
    // PyModule_AddObject steals the reference it is given when it succeeds.
    ffi::PyModule_AddObject(m, c"executable".as_ptr(), py_str(&state.executable));
    // The directories beside the executable that settings.rs worked out, or None.
    let on_disk = py_str_or_none(state.settings.on_disk_dir.as_deref());
    ffi::PyModule_AddObject(m, c"on_disk_dir".as_ptr(), on_disk);
    let data_root = state.settings.data_root.as_ref().map(|r| r.dir.as_str());
    ffi::PyModule_AddObject(m, c"data_root_dir".as_ptr(), py_str_or_none(data_root));
    for kind in Kind::ALL {
        let name = CString::new(kind.name()).unwrap_or_default();
        ffi::PyModule_AddIntConstant(m, name.as_ptr(), kind as u8 as c_long);
    }
    ffi::Py_IncRef(m); // the finder must outlive every module it loaded
    let _ = SELF_MODULE.set(m as usize);
    m
}

/// Put `_pyingot` on `sys.meta_path` right after the frozen importer, so that
/// built-in and frozen modules win as they do in `python`, and the path finder
/// (which would look at the disk) comes after us.
pub unsafe fn install() -> Result<(), String> {
    let m = ffi::PyImport_ImportModule(c"_pyingot".as_ptr());
    if m.is_null() {
        return Err("cannot import _pyingot".into());
    }
    let meta_path = ffi::PySys_GetObject(c"meta_path".as_ptr());
    if meta_path.is_null() {
        return Err("sys.meta_path is missing".into());
    }
    let n = ffi::PyList_Size(meta_path);
    let mut at = n;
    for i in 0..n {
        let finder = ffi::PyList_GetItem(meta_path, i);
        let repr = ffi::PyObject_GetAttrString(finder, c"__name__".as_ptr());
        if repr.is_null() {
            ffi::PyErr_Clear();
            continue;
        }
        let is_frozen = arg_str(repr, "name")
            .map(|s| s == "FrozenImporter")
            .unwrap_or(false);
        ffi::PyErr_Clear();
        ffi::Py_DecRef(repr);
        if is_frozen {
            at = i + 1;
        }
    }
    if ffi::PyList_Insert(meta_path, at, m) < 0 {
        return Err("cannot insert into sys.meta_path".into());
    }
    ffi::Py_DecRef(m);
    Ok(())
}
