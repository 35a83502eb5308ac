//! The meta-path finder: `find_spec`, and how a module name is looked up.

use std::ptr::null_mut;
use std::sync::OnceLock;

use pyingot_payload::{Entry, Kind};
use pyo3_ffi as ffi;
use pyo3_ffi::{PyObject, Py_ssize_t};

use super::paths::{module_path, package_dir};
use super::{lookup, self_module};
use crate::capi::{arg_str, cached_attribute, none, positional, py_str, raise};
use crate::settings::Entry as EntryPoint;
use crate::state;

/// An importable name in the payload.
#[derive(Clone, Copy)]
pub enum Found {
    /// A Python module (MODULE entry).
    Module(Entry<'static>),
    /// A compiled extension module (EXTENSION entry).
    Extension(Entry<'static>),
}

impl Found {
    pub fn entry(&self) -> &Entry<'static> {
        match self {
            Found::Module(e) | Found::Extension(e) => e,
        }
    }

    /// The module's virtual path (its `__file__`), see paths.rs.
    pub fn path(&self, name: &str) -> String {
        module_path(name, self.entry(), matches!(self, Found::Extension(_)))
    }
}

/// The module `name`: a compiled extension first, then a Python module, the
/// order of CPython's FileFinder (mypyc-compiled packages ship both
/// `mod.cpython-3X-….so` and the `mod.py` it was compiled from). An error is
/// raised as ImportError.
pub unsafe fn module_entry(name: &str) -> Result<Option<Found>, ()> {
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

/// Calls `f` with the module named by the str `arg`, if there is one.
pub unsafe fn with_name(
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

pub unsafe fn not_found(name: &str) -> *mut PyObject {
    raise(
        ffi::PyExc_ImportError,
        &format!("{name} is not in this executable"),
    )
}

static MODULE_SPEC: OnceLock<usize> = OnceLock::new();

/// `find_spec(fullname, path=None, target=None)`
pub unsafe extern "C" fn find_spec(
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
    if !name.contains('.') && state::get().settings.entry == EntryPoint::Python {
        let spec = shadowing_spec(a[0]);
        if spec.is_null() || spec != ffi::Py_None() {
            return spec;
        }
        ffi::Py_DecRef(spec);
    }
    let found = match module_entry(name) {
        Ok(Some(f)) => f,
        Ok(None) => return none(),
        Err(()) => return null_mut(),
    };
    let entry = *found.entry();
    if entry.is_package() {
        crate::prefetch::package_found(name);
    }
    if entry.is_namespace() {
        return namespace_spec(a[0], a.get(1).copied(), &package_dir(name));
    }
    let cls = cached_attribute(&MODULE_SPEC, c"_frozen_importlib", c"ModuleSpec");
    if cls.is_null() {
        return null_mut();
    }
    let origin = py_str(&found.path(name));
    let loader = loader_for(a[0], origin);
    if loader.is_null() {
        ffi::Py_DecRef(origin);
        return null_mut();
    }
    let spec_args = ffi::PyTuple_New(2);
    ffi::PyTuple_SetItem(spec_args, 0, ffi::Py_NewRef(a[0]));
    ffi::PyTuple_SetItem(spec_args, 1, loader);
    let kwargs = ffi::PyDict_New();
    ffi::PyDict_SetItemString(kwargs, c"origin".as_ptr(), origin);
    ffi::Py_DecRef(origin);
    let spec = ffi::PyObject_Call(cls, spec_args, kwargs);
    ffi::Py_DecRef(spec_args);
    ffi::Py_DecRef(kwargs);
    if spec.is_null() {
        return null_mut();
    }
    // __file__ is set from origin only when the spec says it has a location.
    ffi::PyObject_SetAttrString(spec, c"has_location".as_ptr(), ffi::Py_True());
    if entry.is_package() {
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

/// The loader for the module `name` whose file is `origin`: once `_pyingot_boot` has
/// set the class `_pyingot.Loader`, an instance of it with `name` and `path` set (one
/// loader per module, as importlib's file loaders); before that the `_pyingot` module.
/// A new reference; NULL with an exception set.
unsafe fn loader_for(name: *mut PyObject, origin: *mut PyObject) -> *mut PyObject {
    let cls = ffi::PyObject_GetAttrString(self_module(), c"Loader".as_ptr());
    if cls.is_null() {
        ffi::PyErr_Clear();
        return ffi::Py_NewRef(self_module());
    }
    // The class has no __init__: made and filled here, no Python code runs.
    let loader = ffi::PyObject_CallNoArgs(cls);
    ffi::Py_DecRef(cls);
    if loader.is_null()
        || ffi::PyObject_SetAttrString(loader, c"name".as_ptr(), name) < 0
        || ffi::PyObject_SetAttrString(loader, c"path".as_ptr(), origin) < 0
    {
        if !loader.is_null() {
            ffi::Py_DecRef(loader);
        }
        return null_mut();
    }
    loader
}

/// In a python-like executable, the spec of a top-level module that a directory on
/// sys.path before the executable's own entry holds (the script's directory,
/// PYTHONPATH), which shadows the payload's as such a directory shadows python's
/// standard library: `_pyingot.shadowing(fullname)`, which `_pyingot_boot.install`
/// sets; None before that, or when nothing shadows the name.
unsafe fn shadowing_spec(fullname: *mut PyObject) -> *mut PyObject {
    let f = ffi::PyObject_GetAttrString(self_module(), c"shadowing".as_ptr());
    if f.is_null() {
        ffi::PyErr_Clear();
        return none();
    }
    let spec = ffi::PyObject_CallOneArg(f, fullname);
    ffi::Py_DecRef(f);
    spec
}

static NAMESPACE_SPEC: OnceLock<usize> = OnceLock::new();

/// The spec of a namespace package, as importlib's PathFinder makes it (no
/// loader, no origin, a `_NamespacePath`), with the payload's directory as its
/// first portion and the portions on `path` (sys.path for a top-level package)
/// after it: `_pyingot_boot.namespace_spec(fullname, path, directory)`.
unsafe fn namespace_spec(
    fullname: *mut PyObject,
    path: Option<*mut PyObject>,
    directory: &str,
) -> *mut PyObject {
    let f = cached_attribute(&NAMESPACE_SPEC, c"_pyingot_boot", c"namespace_spec");
    if f.is_null() {
        return null_mut();
    }
    let directory = py_str(directory);
    let path = path.unwrap_or_else(|| ffi::Py_None());
    let spec =
        ffi::PyObject_CallFunctionObjArgs(f, fullname, path, directory, null_mut::<PyObject>());
    ffi::Py_DecRef(directory);
    spec
}

/// `invalidate_caches()`: the payload does not change.
pub unsafe extern "C" fn invalidate_caches(_m: *mut PyObject, _a: *mut PyObject) -> *mut PyObject {
    none()
}
