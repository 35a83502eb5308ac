//! `_pyingot`: the built-in module that is the meta-path finder and loader.
//!
//! importlib only needs objects with the right methods, so the module itself is
//! put on `sys.meta_path` and is every embedded module's `__loader__`; no class
//! is defined. The hot path (`find_spec`, `exec_module`, `get_code`) is here:
//! a binary search in the payload index and `PyMarshal_ReadObjectFromString`
//! reading the code object straight from the mapped executable. The richer
//! protocols (a `Traversable` for `importlib.resources`, `Distribution` objects
//! for `importlib.metadata`, path hooks for `pkgutil`) are small Python modules
//! embedded in the payload (`runtime/python/`), built on the primitives `get`,
//! `names` and `meta` below, which hand out read-only memoryviews of the map.
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

use std::ffi::{c_char, CStr, CString};
use std::ptr::null_mut;
use std::sync::OnceLock;

use pyingot_payload::{Entry, Kind, Payload};
use pyo3_ffi as ffi;
use pyo3_ffi::{PyObject, Py_ssize_t};

use crate::extensions;

/// What the module serves: set once, before the interpreter starts.
pub struct State {
    pub executable: String,
    pub payload: Payload<'static>,
}

static STATE: OnceLock<State> = OnceLock::new();

pub fn install_state(state: State) {
    let _ = STATE.set(state);
}

fn state() -> &'static State {
    STATE
        .get()
        .expect("_pyingot used before the runtime set its state")
}

// -- small helpers over the C API ------------------------------------------------

unsafe fn none() -> *mut PyObject {
    ffi::Py_IncRef(ffi::Py_None());
    ffi::Py_None()
}

unsafe fn bool_obj(v: bool) -> *mut PyObject {
    ffi::PyBool_FromLong(v as std::ffi::c_long)
}

unsafe fn raise(exc: *mut PyObject, msg: &str) -> *mut PyObject {
    let c = CString::new(msg.replace('\0', "?")).unwrap_or_default();
    ffi::PyErr_SetString(exc, c.as_ptr());
    null_mut()
}

unsafe fn py_str(s: &str) -> *mut PyObject {
    ffi::PyUnicode_FromStringAndSize(s.as_ptr() as *const c_char, s.len() as Py_ssize_t)
}

/// The UTF-8 of a str argument (borrowed from the object).
unsafe fn arg_str<'a>(obj: *mut PyObject, what: &str) -> Result<&'a str, ()> {
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

unsafe fn positional<'a>(
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

unsafe fn memoryview(bytes: &'static [u8]) -> *mut PyObject {
    ffi::PyMemoryView_FromMemory(
        bytes.as_ptr() as *mut c_char,
        bytes.len() as Py_ssize_t,
        ffi::PyBUF_READ,
    )
}

fn lookup(kind: Kind, name: &str) -> Result<Option<Entry<'static>>, String> {
    state().payload.get(kind, name).map_err(|e| e.to_string())
}

/// An importable name in the payload.
#[derive(Clone, Copy)]
enum Found {
    /// A Python module (MODULE entry).
    Module(Entry<'static>),
    /// A compiled extension module (EXTENSION entry).
    Extension(Entry<'static>),
}

impl Found {
    fn entry(&self) -> &Entry<'static> {
        match self {
            Found::Module(e) | Found::Extension(e) => e,
        }
    }
}

/// The module `name`: a compiled extension first, then a Python module, the
/// order of CPython's FileFinder (mypyc-compiled packages ship both
/// `mod.cpython-3X-….so` and the `mod.py` it was compiled from).
unsafe fn module_entry(name: &str) -> Result<Option<Found>, ()> {
    let found = match lookup(Kind::Extension, name) {
        Ok(Some(e)) => Ok(Some(Found::Extension(e))),
        Ok(None) => lookup(Kind::Module, name).map(|m| m.map(Found::Module)),
        Err(e) => Err(e),
    };
    found.map_err(|e| {
        raise(
            ffi::PyExc_ImportError,
            &format!("cannot import {name}: {e}"),
        );
    })
}

/// The documented virtual path of a module: the executable's path followed by
/// the module's path in a source tree, like zipimport's `archive.zip/pkg/mod.py`
/// (`.so` for an extension module, see the top of this file).
/// `data-on-disk` (META `data_root`, `data_root_packages`): the real directory
/// beside the executable holding those packages' data files, and the packages.
struct DataRoot {
    dir: String,
    packages: Vec<String>,
}

static DATA_ROOT: OnceLock<Option<DataRoot>> = OnceLock::new();

fn data_root() -> Option<&'static DataRoot> {
    DATA_ROOT
        .get_or_init(|| {
            let payload = &state().payload;
            let dir = payload.meta("data_root").ok().flatten()?;
            let packages = payload.meta("data_root_packages").ok().flatten()?;
            let exe_dir = state()
                .executable
                .rsplit_once('/')
                .map(|(d, _)| d)
                .unwrap_or("");
            Some(DataRoot {
                dir: format!("{exe_dir}/{dir}"),
                packages: packages.lines().map(str::to_owned).collect(),
            })
        })
        .as_ref()
}

/// Where a module's path starts: the executable, or for the packages of
/// `data-on-disk` distributions the real data directory beside it, so that
/// `os.path.dirname(__file__)` names a directory holding their data files.
fn root_of(name: &str) -> &'static str {
    let top = name.split('.').next().unwrap_or(name);
    match data_root() {
        Some(root) if root.packages.iter().any(|p| p == top) => root.dir.as_str(),
        _ => state().executable.as_str(),
    }
}

fn virtual_path(name: &str, found: &Found) -> String {
    let rel = name.replace('.', "/");
    let exe = root_of(name);
    let (entry, suffix) = match found {
        Found::Module(e) => (e, "py"),
        Found::Extension(e) => (e, "so"),
    };
    if entry.is_namespace() {
        format!("{exe}/{rel}")
    } else if entry.is_package() {
        format!("{exe}/{rel}/__init__.{suffix}")
    } else {
        format!("{exe}/{rel}.{suffix}")
    }
}

fn package_dir(name: &str) -> String {
    format!("{}/{}", root_of(name), name.replace('.', "/"))
}

static MODULE_SPEC: OnceLock<usize> = OnceLock::new();

unsafe fn module_spec_class() -> *mut PyObject {
    if let Some(p) = MODULE_SPEC.get() {
        return *p as *mut PyObject;
    }
    let bootstrap = ffi::PyImport_ImportModule(c"_frozen_importlib".as_ptr());
    if bootstrap.is_null() {
        return null_mut();
    }
    let cls = ffi::PyObject_GetAttrString(bootstrap, c"ModuleSpec".as_ptr());
    ffi::Py_DecRef(bootstrap);
    if !cls.is_null() {
        let _ = MODULE_SPEC.set(cls as usize); // kept for the process's life
    }
    cls
}

static SELF_MODULE: OnceLock<usize> = OnceLock::new();

unsafe fn self_module() -> *mut PyObject {
    SELF_MODULE
        .get()
        .map(|p| *p as *mut PyObject)
        .unwrap_or(null_mut())
}

// -- the finder and loader protocol -----------------------------------------------

/// `find_spec(fullname, path=None, target=None)`
unsafe extern "C" fn find_spec(
    _m: *mut PyObject,
    args: *const *mut PyObject,
    nargs: Py_ssize_t,
    _kw: *mut PyObject,
) -> *mut PyObject {
    let Ok(a) = positional(args, nargs, 1, "find_spec") else {
        return null_mut();
    };
    let Ok(name) = arg_str(a[0], "fullname") else {
        return null_mut();
    };
    let found = match module_entry(name) {
        Ok(Some(f)) => f,
        Ok(None) => return none(),
        Err(()) => return null_mut(),
    };
    let entry = *found.entry();
    let cls = module_spec_class();
    if cls.is_null() {
        return null_mut();
    }
    let spec_args = ffi::PyTuple_New(2);
    ffi::PyTuple_SetItem(spec_args, 0, ffi::Py_NewRef(a[0]));
    ffi::PyTuple_SetItem(spec_args, 1, ffi::Py_NewRef(self_module()));
    let kwargs = ffi::PyDict_New();
    let origin = if entry.is_namespace() {
        none()
    } else {
        py_str(&virtual_path(name, &found))
    };
    ffi::PyDict_SetItemString(kwargs, c"origin".as_ptr(), origin);
    ffi::Py_DecRef(origin);
    let spec = ffi::PyObject_Call(cls, spec_args, kwargs);
    ffi::Py_DecRef(spec_args);
    ffi::Py_DecRef(kwargs);
    if spec.is_null() {
        return null_mut();
    }
    if !entry.is_namespace() {
        // __file__ is set from origin only when the spec says it has a location.
        ffi::PyObject_SetAttrString(spec, c"has_location".as_ptr(), ffi::Py_True());
    }
    if entry.is_package() || entry.is_namespace() {
        let locations = ffi::PyList_New(1);
        ffi::PyList_SetItem(locations, 0, py_str(&package_dir(name)));
        let rc =
            ffi::PyObject_SetAttrString(spec, c"submodule_search_locations".as_ptr(), locations);
        ffi::Py_DecRef(locations);
        if rc < 0 {
            ffi::Py_DecRef(spec);
            return null_mut();
        }
    }
    spec
}

/// `create_module(spec)`: an extension module, loaded; None (the default module
/// creation) for a Python module.
unsafe extern "C" fn create_module(_m: *mut PyObject, spec: *mut PyObject) -> *mut PyObject {
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

static CREATE_DYNAMIC: OnceLock<usize> = OnceLock::new();
static EXEC_DYNAMIC: OnceLock<usize> = OnceLock::new();
static FIX_CO_FILENAME: OnceLock<usize> = OnceLock::new();

/// `_imp.<name>`, looked up once and kept for the process's life.
unsafe fn imp_function(cell: &OnceLock<usize>, name: &CStr) -> *mut PyObject {
    if let Some(p) = cell.get() {
        return *p as *mut PyObject;
    }
    let imp = ffi::PyImport_ImportModule(c"_imp".as_ptr());
    if imp.is_null() {
        return null_mut();
    }
    let f = ffi::PyObject_GetAttrString(imp, name.as_ptr());
    ffi::Py_DecRef(imp);
    if !f.is_null() {
        let _ = cell.set(f as usize);
    }
    f
}

/// ImportError(msg, name=name, path=path), as CPython's loaders raise it.
unsafe fn import_error(name: &str, path: &str, msg: &str) -> *mut PyObject {
    let (m, n, p) = (py_str(msg), py_str(name), py_str(path));
    if !m.is_null() && !n.is_null() && !p.is_null() {
        ffi::PyErr_SetImportError(m, n, p);
    }
    for o in [m, n, p] {
        if !o.is_null() {
            ffi::Py_DecRef(o);
        }
    }
    null_mut()
}

/// Loads the extension module `name` from memory (see extensions.rs).
unsafe fn create_extension(
    spec: *mut PyObject,
    name: &str,
    entry: &Entry<'static>,
) -> *mut PyObject {
    let shown = virtual_path(name, &Found::Extension(*entry));
    let path = match extensions::prepare(&state().payload, name, entry.primary) {
        Ok(p) => p,
        Err(msg) => {
            return import_error(
                name,
                &shown,
                &format!("cannot load extension module {name}: {msg}"),
            )
        }
    };
    let create = imp_function(&CREATE_DYNAMIC, c"create_dynamic");
    let (fd_path, shown_obj) = (py_str(&path), py_str(&shown));
    if create.is_null() || fd_path.is_null() || shown_obj.is_null() {
        for o in [fd_path, shown_obj] {
            if !o.is_null() {
                ffi::Py_DecRef(o);
            }
        }
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
            for o in [t, v, tb] {
                if !o.is_null() {
                    ffi::Py_DecRef(o);
                }
            }
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

type PendingError = (*mut PyObject, *mut PyObject, *mut PyObject);

/// Takes the pending exception (all NULL if none), normalized if asked. Fetch
/// and Restore are deprecated since 3.12, whose replacement 3.11 lacks, and
/// are still in 3.13's stable ABI: one source for every version.
#[allow(deprecated)]
unsafe fn fetch_error(normalize: bool) -> PendingError {
    let (mut t, mut v, mut tb) = (null_mut(), null_mut(), null_mut());
    ffi::PyErr_Fetch(&mut t, &mut v, &mut tb);
    if normalize && !t.is_null() {
        ffi::PyErr_NormalizeException(&mut t, &mut v, &mut tb);
    }
    (t, v, tb)
}

/// Sets the exception taken by `fetch_error` again (steals its references).
#[allow(deprecated)]
unsafe fn restore_error((t, v, tb): PendingError) {
    ffi::PyErr_Restore(t, v, tb);
}

unsafe fn code_of(name: &str) -> *mut PyObject {
    match module_entry(name) {
        Ok(Some(Found::Module(entry))) => code_from(&entry),
        // As ExtensionFileLoader.get_code: no code object.
        Ok(Some(Found::Extension(_))) => none(),
        Ok(None) => raise(
            ffi::PyExc_ImportError,
            &format!("{name} is not in this executable"),
        ),
        Err(()) => null_mut(),
    }
}

unsafe fn code_from(entry: &Entry<'static>) -> *mut PyObject {
    if entry.primary.is_empty() {
        // A namespace package: no code.
        return none();
    }
    let code = ffi::PyMarshal_ReadObjectFromString(
        entry.primary.as_ptr() as *const c_char,
        entry.primary.len() as Py_ssize_t,
    );
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
    let fix = imp_function(&FIX_CO_FILENAME, c"_fix_co_filename");
    if fix.is_null() {
        return Err(());
    }
    let path = py_str(&format!("{}/{rel}", state().executable));
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
unsafe extern "C" fn exec_module(_m: *mut PyObject, module: *mut PyObject) -> *mut PyObject {
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
                let exec = imp_function(&EXEC_DYNAMIC, c"exec_dynamic");
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

unsafe fn with_name(
    arg: *mut PyObject,
    f: impl FnOnce(&str, Option<Found>) -> *mut PyObject,
) -> *mut PyObject {
    let Ok(name) = arg_str(arg, "fullname") else {
        return null_mut();
    };
    match module_entry(name) {
        Ok(e) => f(name, e),
        Err(()) => null_mut(),
    }
}

unsafe fn not_found(name: &str) -> *mut PyObject {
    raise(
        ffi::PyExc_ImportError,
        &format!("{name} is not in this executable"),
    )
}

/// `get_code(fullname)`
unsafe extern "C" fn get_code(_m: *mut PyObject, arg: *mut PyObject) -> *mut PyObject {
    match arg_str(arg, "fullname") {
        Ok(name) => code_of(name),
        Err(()) => null_mut(),
    }
}

/// `get_source(fullname)`: the embedded source, or None when sources were not kept.
unsafe extern "C" fn get_source(_m: *mut PyObject, arg: *mut PyObject) -> *mut PyObject {
    with_name(arg, |name, found| match found {
        None => not_found(name),
        Some(Found::Extension(_)) => none(),
        Some(Found::Module(e)) => match e.source() {
            Some(src) => ffi::PyUnicode_DecodeUTF8(
                src.as_ptr() as *const c_char,
                src.len() as Py_ssize_t,
                c"replace".as_ptr(),
            ),
            None => none(),
        },
    })
}

/// `is_package(fullname)`
unsafe extern "C" fn is_package(_m: *mut PyObject, arg: *mut PyObject) -> *mut PyObject {
    with_name(arg, |name, found| match found {
        None => not_found(name),
        Some(f) => bool_obj(f.entry().is_package() || f.entry().is_namespace()),
    })
}

/// `get_filename(fullname)`: the virtual path (see `virtual_path`).
unsafe extern "C" fn get_filename(_m: *mut PyObject, arg: *mut PyObject) -> *mut PyObject {
    with_name(arg, |name, found| match found {
        None => not_found(name),
        Some(f) => py_str(&virtual_path(name, &f)),
    })
}

/// `get_data(path)`: a package data file's bytes by its virtual path
/// (`<executable>/<package directories>/<file>`), as zipimport's loader reads
/// `archive.zip/pkg/file`; `pkgutil.get_data` and code that builds names from
/// `os.path.dirname(__file__)` read through it. The file belongs to the
/// deepest package on its path, as the DATA entries are named.
unsafe extern "C" fn get_data(_m: *mut PyObject, arg: *mut PyObject) -> *mut PyObject {
    let Ok(path) = arg_str(arg, "path") else {
        return null_mut();
    };
    if let Some(root) = data_root() {
        if path.starts_with(&format!("{}/", root.dir)) {
            // A data-on-disk file: a real file beside the executable.
            return match std::fs::read(path) {
                Ok(bytes) => ffi::PyBytes_FromStringAndSize(
                    bytes.as_ptr() as *const c_char,
                    bytes.len() as Py_ssize_t,
                ),
                Err(e) => {
                    let exc = if e.kind() == std::io::ErrorKind::NotFound {
                        ffi::PyExc_FileNotFoundError
                    } else {
                        ffi::PyExc_OSError
                    };
                    raise(exc, &format!("{path}: {e}"))
                }
            };
        }
    }
    let rel = path
        .strip_prefix(state().executable.as_str())
        .and_then(|r| r.strip_prefix('/'))
        .unwrap_or("");
    let parts: Vec<&str> = rel.split('/').collect();
    for split in (1..parts.len()).rev() {
        let package = parts[..split].join(".");
        let found = match lookup(Kind::Module, &package) {
            Ok(None) => lookup(Kind::Extension, &package),
            other => other,
        };
        match found {
            Ok(Some(e)) if e.is_package() || e.is_namespace() => {
                let key = format!("{package}/{}", parts[split..].join("/"));
                match lookup(Kind::Data, &key) {
                    Ok(Some(d)) => {
                        return ffi::PyBytes_FromStringAndSize(
                            d.primary.as_ptr() as *const c_char,
                            d.primary.len() as Py_ssize_t,
                        )
                    }
                    Ok(None) => break,
                    Err(e) => return raise(ffi::PyExc_OSError, &e),
                }
            }
            Ok(_) => {}
            Err(e) => return raise(ffi::PyExc_OSError, &e),
        }
    }
    raise(
        ffi::PyExc_FileNotFoundError,
        &format!("no such data file in this executable: {path}"),
    )
}

unsafe fn call_helper(module: &CStr, func: &CStr, args: *mut PyObject) -> *mut PyObject {
    let m = ffi::PyImport_ImportModule(module.as_ptr());
    if m.is_null() {
        return null_mut();
    }
    let f = ffi::PyObject_GetAttrString(m, func.as_ptr());
    ffi::Py_DecRef(m);
    if f.is_null() {
        return null_mut();
    }
    let r = ffi::PyObject_Call(f, args, null_mut());
    ffi::Py_DecRef(f);
    r
}

/// `get_resource_reader(fullname)`: see runtime/python/_pyingot_resources.py.
unsafe extern "C" fn get_resource_reader(_m: *mut PyObject, arg: *mut PyObject) -> *mut PyObject {
    let args = ffi::PyTuple_New(1);
    ffi::PyTuple_SetItem(args, 0, ffi::Py_NewRef(arg));
    let r = call_helper(c"_pyingot_resources", c"reader", args);
    ffi::Py_DecRef(args);
    r
}

/// `find_distributions(context=...)`: see runtime/python/_pyingot_metadata.py.
unsafe extern "C" fn find_distributions(
    _m: *mut PyObject,
    args: *const *mut PyObject,
    nargs: Py_ssize_t,
    kwnames: *mut PyObject,
) -> *mut PyObject {
    let n = ffi::PyVectorcall_NARGS(nargs as usize) as usize;
    let m = ffi::PyImport_ImportModule(c"_pyingot_metadata".as_ptr());
    if m.is_null() {
        return null_mut();
    }
    let f = ffi::PyObject_GetAttrString(m, c"find_distributions".as_ptr());
    ffi::Py_DecRef(m);
    if f.is_null() {
        return null_mut();
    }
    let r = ffi::PyObject_Vectorcall(f, args, n, kwnames);
    ffi::Py_DecRef(f);
    r
}

/// `iter_modules(prefix="")`: the top-level modules, for pkgutil.iter_modules().
unsafe extern "C" fn iter_modules(
    _m: *mut PyObject,
    args: *const *mut PyObject,
    nargs: Py_ssize_t,
    _kw: *mut PyObject,
) -> *mut PyObject {
    let Ok(a) = positional(args, nargs, 0, "iter_modules") else {
        return null_mut();
    };
    let prefix = if a.is_empty() {
        ""
    } else {
        match arg_str(a[0], "prefix") {
            Ok(p) => p,
            Err(()) => return null_mut(),
        }
    };
    let mut top = std::collections::BTreeMap::new();
    for kind in [Kind::Module, Kind::Extension] {
        for item in state().payload.iter_prefix(kind, "") {
            let Ok(entry) = item else { continue };
            if entry.name.contains('.') || entry.name == "__main__" {
                continue;
            }
            let pkg = entry.is_package() || entry.is_namespace();
            *top.entry(entry.name).or_insert(false) |= pkg;
        }
    }
    let list = ffi::PyList_New(0);
    for (module, is_pkg) in top {
        let name = py_str(&format!("{prefix}{module}"));
        let pkg = bool_obj(is_pkg);
        let pair = ffi::PyTuple_Pack(2, name, pkg);
        ffi::Py_DecRef(name);
        ffi::Py_DecRef(pkg);
        ffi::PyList_Append(list, pair);
        ffi::Py_DecRef(pair);
    }
    let it = ffi::PyObject_GetIter(list);
    ffi::Py_DecRef(list);
    it
}

unsafe extern "C" fn invalidate_caches(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    none()
}

// -- primitives for the embedded Python helpers ---------------------------------------

unsafe fn kind_arg(obj: *mut PyObject) -> Result<Kind, ()> {
    let v = ffi::PyLong_AsLong(obj);
    if v == -1 && !ffi::PyErr_Occurred().is_null() {
        return Err(());
    }
    u8::try_from(v).ok().and_then(Kind::from_u8).ok_or_else(|| {
        raise(ffi::PyExc_ValueError, &format!("unknown payload kind {v}"));
    })
}

/// `get(kind, name)` -> None or (flags, memoryview primary, memoryview | None secondary)
unsafe extern "C" fn get(
    _m: *mut PyObject,
    args: *const *mut PyObject,
    nargs: Py_ssize_t,
    _kw: *mut PyObject,
) -> *mut PyObject {
    let Ok(a) = positional(args, nargs, 2, "get") else {
        return null_mut();
    };
    let Ok(kind) = kind_arg(a[0]) else {
        return null_mut();
    };
    let Ok(name) = arg_str(a[1], "name") else {
        return null_mut();
    };
    match lookup(kind, name) {
        Err(e) => raise(ffi::PyExc_OSError, &e),
        Ok(None) => none(),
        Ok(Some(e)) => {
            let flags = ffi::PyLong_FromLong(e.flags as std::ffi::c_long);
            let primary = memoryview(e.primary);
            let secondary = if e.secondary.is_empty() {
                none()
            } else {
                memoryview(e.secondary)
            };
            let t = ffi::PyTuple_Pack(3, flags, primary, secondary);
            ffi::Py_DecRef(flags);
            ffi::Py_DecRef(primary);
            ffi::Py_DecRef(secondary);
            t
        }
    }
}

/// `names(kind, prefix)` -> list of the names of that kind starting with prefix
unsafe extern "C" fn names(
    _m: *mut PyObject,
    args: *const *mut PyObject,
    nargs: Py_ssize_t,
    _kw: *mut PyObject,
) -> *mut PyObject {
    let Ok(a) = positional(args, nargs, 2, "names") else {
        return null_mut();
    };
    let Ok(kind) = kind_arg(a[0]) else {
        return null_mut();
    };
    let Ok(prefix) = arg_str(a[1], "prefix") else {
        return null_mut();
    };
    let list = ffi::PyList_New(0);
    for item in state().payload.iter_prefix(kind, prefix) {
        match item {
            Ok(entry) => {
                let s = py_str(entry.name);
                ffi::PyList_Append(list, s);
                ffi::Py_DecRef(s);
            }
            Err(e) => {
                ffi::Py_DecRef(list);
                return raise(ffi::PyExc_OSError, &e.to_string());
            }
        }
    }
    list
}

/// `meta(name)` -> the build setting's value (str) or None
unsafe extern "C" fn meta(_m: *mut PyObject, arg: *mut PyObject) -> *mut PyObject {
    let Ok(name) = arg_str(arg, "name") else {
        return null_mut();
    };
    match lookup(Kind::Meta, name) {
        Ok(Some(e)) => ffi::PyUnicode_DecodeUTF8(
            e.primary.as_ptr() as *const c_char,
            e.primary.len() as Py_ssize_t,
            c"replace".as_ptr(),
        ),
        Ok(None) => none(),
        Err(e) => raise(ffi::PyExc_OSError, &e),
    }
}

// -- the module ------------------------------------------------------------------

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
    one_arg!(
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
    one_arg!(c"meta", meta, c"meta(name) -> str | None"),
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

/// Registered with `PyImport_AppendInittab` before the interpreter starts.
pub unsafe extern "C" fn init_module() -> *mut PyObject {
    let def = std::ptr::addr_of_mut!(MODULE_DEF);
    (*def).m_methods = std::ptr::addr_of_mut!(METHODS) as *mut ffi::PyMethodDef;
    let m = ffi::PyModule_Create(def);
    if m.is_null() {
        return null_mut();
    }
    let exe = py_str(&state().executable);
    ffi::PyModule_AddObject(m, c"executable".as_ptr(), exe);
    for (name, kind) in [
        (c"META", Kind::Meta),
        (c"MODULE", Kind::Module),
        (c"DATA", Kind::Data),
        (c"METADATA", Kind::Metadata),
        (c"EXTENSION", Kind::Extension),
        (c"SHARED_LIBRARY", Kind::SharedLibrary),
    ] {
        ffi::PyModule_AddIntConstant(m, name.as_ptr(), kind as u8 as std::ffi::c_long);
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
