//! Primitives for the embedded Python helpers (`runtime/python/`): `get` and `names`
//! hand out entries of any kind as read-only memoryviews of the map, on which
//! `_pyingot_resources` builds a `Traversable` for `importlib.resources` and
//! `_pyingot_metadata` the `Distribution` objects of `importlib.metadata`; the finder's
//! own entry points into those two (`get_resource_reader`, `find_distributions`), and
//! `iter_modules` for `pkgutil`.

use std::borrow::Cow;
use std::ffi::c_long;
use std::ptr::null_mut;

use pyingot_payload::Kind;
use pyo3_ffi as ffi;
use pyo3_ffi::{PyObject, Py_ssize_t};

use super::lookup;
use crate::capi::{
    arg_str, attribute, bool_obj, memoryview, none, positional, py_bytes, py_str, raise, release,
};
use crate::{extensions, state};

/// The arguments `(kind, text)` of `get` and `names`: a kind's byte and a str.
unsafe fn kind_and_str<'a>(
    args: *const *mut PyObject,
    nargs: Py_ssize_t,
    function: &str,
    what: &str,
) -> Result<(Kind, &'a str), ()> {
    let a = positional(args, nargs, 2, function)?;
    let v = ffi::PyLong_AsLong(a[0]);
    if v == -1 && !ffi::PyErr_Occurred().is_null() {
        return Err(());
    }
    let kind = u8::try_from(v)
        .ok()
        .and_then(Kind::from_u8)
        .ok_or_else(|| {
            raise(ffi::PyExc_ValueError, &format!("unknown payload kind {v}"));
        })?;
    Ok((kind, arg_str(a[1], what)?))
}

/// A raw blob as a memoryview of the mapped executable, a decoded one as bytes.
unsafe fn view(bytes: Cow<'static, [u8]>) -> *mut PyObject {
    match bytes {
        Cow::Borrowed(b) => memoryview(b),
        Cow::Owned(b) => py_bytes(&b),
    }
}

/// `get(kind, name)` -> None or (flags, memoryview primary, memoryview | None secondary)
pub unsafe extern "C" fn get(
    _m: *mut PyObject,
    args: *const *mut PyObject,
    nargs: Py_ssize_t,
    _kw: *mut PyObject,
) -> *mut PyObject {
    let Ok((kind, name)) = kind_and_str(args, nargs, "get", "name") else {
        return null_mut();
    };
    match lookup(kind, name) {
        Err(e) => raise(ffi::PyExc_OSError, &e),
        Ok(None) => none(),
        Ok(Some(e)) => {
            let flags = ffi::PyLong_FromLong(e.flags as c_long);
            let (primary, secondary) = match (e.primary(), e.secondary()) {
                (Ok(p), Ok(s)) => (p, s),
                (Err(err), _) | (_, Err(err)) => state::damaged(&err),
            };
            let primary = view(primary);
            let secondary = if e.secondary.is_empty() {
                none()
            } else {
                view(secondary)
            };
            let t = ffi::PyTuple_Pack(3, flags, primary, secondary);
            release([flags, primary, secondary]);
            t
        }
    }
}

/// `memfd(kind, name)` -> the descriptor of a sealed, named in-memory file holding the
/// entry's bytes (`importlib.resources.as_file` hands out its `/proc/self/fd` path).
/// The system call, not `os.memfd_create`: glibc 2.17 has no wrapper, so a portable
/// interpreter has no `os.memfd_create`.
pub unsafe extern "C" fn memfd(
    _m: *mut PyObject,
    args: *const *mut PyObject,
    nargs: Py_ssize_t,
    _kw: *mut PyObject,
) -> *mut PyObject {
    let Ok((kind, name)) = kind_and_str(args, nargs, "memfd", "name") else {
        return null_mut();
    };
    match lookup(kind, name) {
        Err(e) => raise(ffi::PyExc_OSError, &e),
        Ok(None) => raise(
            ffi::PyExc_FileNotFoundError,
            &format!("no {kind:?} entry {name}"),
        ),
        Ok(Some(e)) => match extensions::in_memory_file(name, &e) {
            Ok(fd) => ffi::PyLong_FromLong(fd as c_long),
            Err(err) => raise(ffi::PyExc_OSError, &format!("{name}: {err}")),
        },
    }
}

/// `names(kind, prefix)` -> list of the names of that kind starting with prefix
pub unsafe extern "C" fn names(
    _m: *mut PyObject,
    args: *const *mut PyObject,
    nargs: Py_ssize_t,
    _kw: *mut PyObject,
) -> *mut PyObject {
    let Ok((kind, prefix)) = kind_and_str(args, nargs, "names", "prefix") else {
        return null_mut();
    };
    let list = ffi::PyList_New(0);
    for item in state::get().payload.iter_prefix(kind, prefix) {
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

/// `get_resource_reader(fullname)`: see runtime/python/_pyingot_resources.py.
pub unsafe extern "C" fn get_resource_reader(
    _m: *mut PyObject,
    arg: *mut PyObject,
) -> *mut PyObject {
    let reader = attribute(c"_pyingot_resources", c"reader");
    if reader.is_null() {
        return null_mut();
    }
    let r = ffi::PyObject_CallFunctionObjArgs(reader, arg, null_mut::<PyObject>());
    ffi::Py_DecRef(reader);
    r
}

/// `find_distributions(context=...)`: see runtime/python/_pyingot_metadata.py.
pub unsafe extern "C" fn find_distributions(
    _m: *mut PyObject,
    args: *const *mut PyObject,
    nargs: Py_ssize_t,
    kwnames: *mut PyObject,
) -> *mut PyObject {
    let n = ffi::PyVectorcall_NARGS(nargs as usize) as usize;
    let f = attribute(c"_pyingot_metadata", c"find_distributions");
    if f.is_null() {
        return null_mut();
    }
    let r = ffi::PyObject_Vectorcall(f, args, n, kwnames);
    ffi::Py_DecRef(f);
    r
}

/// `iter_modules(prefix="")`: the top-level modules, for pkgutil.iter_modules().
pub unsafe extern "C" fn iter_modules(
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
        for item in state::get().payload.iter_prefix(kind, "") {
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
        release([name, pkg]);
        ffi::PyList_Append(list, pair);
        ffi::Py_DecRef(pair);
    }
    let it = ffi::PyObject_GetIter(list);
    ffi::Py_DecRef(list);
    it
}
