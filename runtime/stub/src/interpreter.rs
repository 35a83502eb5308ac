//! Configure and start CPython, run the entry point, and exit with its status.
//!
//! An application's executable is isolated: no site, no user site, no PYTHON*
//! environment variables (`PYTHON_GIL` aside, on a free-threaded interpreter),
//! every argument the application's. A python-like
//! executable (`entry = "python"`) reads its command line and environment as
//! `python` does (docs/executables.md, "The python-like executable"). Either
//! way there is no module search path on disk but what `python` would add to
//! its standard library (the script's directory, PYTHONPATH, site), and the
//! payload's modules are found first, but for a python-like executable's
//! top-level modules that a directory before the executable on sys.path holds,
//! as such a directory shadows python's standard library. Start-up is
//! two-phase: the core (with frozen importlib) comes up first, `_pyingot` is
//! put on `sys.meta_path`, and only then does the main phase import
//! `encodings`, `site` and the rest, so that every module comes from the
//! payload.

use std::ffi::{c_char, c_int, CStr, CString};
use std::ptr::null_mut;

use pyo3_ffi as ffi;

use crate::capi::{py_str, release};
use crate::importer;
use crate::importer::paths::{LIB_DYNLOAD, TOP_LEVEL_DIR};
use crate::multiprocessing::Child;
use crate::settings::Entry;

/// What this process runs.
pub enum Run<'a> {
    /// The `entry` setting.
    Entry(&'a Entry),
    /// A child that multiprocessing started, whatever the setting.
    Child(Child),
}

impl Run<'_> {
    /// The `_pyingot_boot` function that runs it (through `main`), and its arguments;
    /// None when CPython runs the command line itself (`python`).
    fn runner(&self) -> Option<(&'static CStr, Vec<&str>)> {
        Some(match self {
            Run::Entry(Entry::Python) => return None,
            Run::Entry(Entry::Function { module, function }) => {
                (c"run_function", vec![module, function])
            }
            Run::Entry(Entry::Module(module)) => (c"run_module", vec![module]),
            Run::Entry(Entry::Script(path)) => (c"run_script", vec![path]),
            Run::Child(Child::Spawn) => (c"run_spawn_child", vec![]),
            Run::Child(Child::Command) => (c"run_command", vec![]),
        })
    }
}

unsafe fn check(status: ffi::PyStatus) {
    if ffi::PyStatus_Exception(status) != 0 {
        // Prints the error, exits with its code (1 for errors).
        ffi::Py_ExitStatusException(status);
    }
}

/// `PYTHON_GIL`, the one PYTHON* variable a free-threaded executable reads: CPython's
/// warning, when an extension module turns the GIL on, tells the user to set it to
/// keep the GIL off. `0`/`1`: off/on (`_PyConfig_GIL_DISABLE`/`_ENABLE`); anything
/// else: CPython's default (-1), the GIL off until a module needs it.
#[cfg(Py_GIL_DISABLED)]
fn gil_setting() -> c_int {
    match std::env::var_os("PYTHON_GIL")
        .as_deref()
        .and_then(|v| v.to_str())
    {
        Some("0") => 0,
        Some("1") => 1,
        _ => -1,
    }
}

unsafe fn set_string(config: *mut ffi::PyConfig, field: *mut *mut libc::wchar_t, value: &str) {
    let c = CString::new(value).unwrap_or_default();
    check(ffi::PyConfig_SetBytesString(config, field, c.as_ptr()));
}

/// PYTHONPATH's directories, when python would read it, appended to the module
/// search path as python's getpath puts them before its standard library: made
/// absolute against the current directory (an empty entry is the current
/// directory), in order, before the executable's own entry (see `run`).
unsafe fn append_pythonpath(config: *mut ffi::PyConfig) {
    let env = (*config).pythonpath_env;
    if env.is_null() {
        return;
    }
    let mut wide = Vec::new();
    for i in 0.. {
        let c = *env.add(i);
        if c == 0 {
            break;
        }
        wide.push(c);
    }
    let cwd: Vec<libc::wchar_t> = std::env::current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_default()
        .chars()
        .map(|c| c as libc::wchar_t)
        .collect();
    for part in wide.split(|c| *c == ':' as libc::wchar_t) {
        let mut dir = if part.first() == Some(&('/' as libc::wchar_t)) {
            part.to_vec()
        } else if part.is_empty() {
            cwd.clone()
        } else {
            let mut d = cwd.clone();
            d.push('/' as libc::wchar_t);
            d.extend_from_slice(part);
            d
        };
        dir.push(0);
        check(ffi::PyWideStringList_Append(
            &mut (*config).module_search_paths,
            dir.as_ptr(),
        ));
    }
}

/// Keeps this interpreter away from sys.path's `entry`, which the configuration keeps
/// for sub-interpreters. `initialized` false (before `_Py_InitializeMain`, when
/// sys.path does not exist yet): PathFinder is told the entry has no finder, as it
/// records a path no hook accepts, before `site` looks for `sitecustomize` along
/// sys.path (listing `TOP_LEVEL_DIR` there cost a python-like executable's start
/// 0.4 ms). `initialized` true: the entry is taken off sys.path.
unsafe fn keep_off(entry: &str, initialized: bool) {
    let key = py_str(entry);
    if initialized {
        let path = ffi::PySys_GetObject(c"path".as_ptr()); // borrowed
        let at = if path.is_null() || key.is_null() {
            -1
        } else {
            ffi::PySequence_Index(path, key)
        };
        if at >= 0 {
            ffi::PySequence_DelItem(path, at);
        }
    } else {
        let cache = ffi::PySys_GetObject(c"path_importer_cache".as_ptr()); // borrowed
        if !cache.is_null() && !key.is_null() && ffi::PyDict_Check(cache) != 0 {
            ffi::PyDict_SetItem(cache, key, ffi::Py_None());
        }
    }
    release([key]);
    ffi::PyErr_Clear();
}

pub unsafe fn run(executable: &str, what: Run, argc: c_int, argv: *mut *mut c_char) -> c_int {
    if ffi::PyImport_AppendInittab(c"_pyingot".as_ptr(), Some(importer::init_module)) != 0 {
        eprintln!("pyingot: cannot register the importer module");
        return 1;
    }
    let runner = what.runner();
    let python_mode = runner.is_none();

    let mut pre = std::mem::zeroed::<ffi::PyPreConfig>();
    ffi::PyPreConfig_InitPythonConfig(&mut pre);
    // Locale: as python does (stdio encodings follow LC_CTYPE; the C locale is
    // coerced to UTF-8).
    if python_mode {
        // -E, -I and -X utf8 on the command line, PYTHONUTF8, PYTHONMALLOC and
        // PYTHONCOERCECLOCALE in the environment, as python reads them.
        check(ffi::Py_PreInitializeFromBytesArgs(
            &pre,
            argc as ffi::Py_ssize_t,
            argv,
        ));
    } else {
        pre.use_environment = 0;
        pre.isolated = 1;
        check(ffi::Py_PreInitialize(&pre));
    }

    let mut config = std::mem::zeroed::<ffi::PyConfig>();
    ffi::PyConfig_InitPythonConfig(&mut config);
    let cfg: *mut ffi::PyConfig = &mut config;
    if !python_mode {
        config.isolated = 1;
        config.use_environment = 0;
        config.user_site_directory = 0;
        config.site_import = 0;
        config.safe_path = 1;
        config.write_bytecode = 0;
        // Every argument belongs to the app (sys.argv == argv).
        config.parse_argv = 0;
    }
    // A python-like executable keeps PyConfig_InitPythonConfig's defaults
    // (python's): parse_argv, the environment, site, the user site, writing
    // bytecode for modules imported from disk; options and PYTHON* variables
    // change them as they change python's.
    config.pathconfig_warnings = 0;
    // A python-like executable reads PYTHON_GIL (and -X gil) as python does.
    #[cfg(Py_GIL_DISABLED)]
    if !python_mode {
        config.enable_gil = gil_setting();
    }
    config.install_signal_handlers = 1;
    config._init_main = 0;
    // Nothing on disk to search for the standard library: the payload is the
    // module path (PYTHONPATH is added below, as python adds it).
    config.module_search_paths_set = 1;
    check(ffi::PyConfig_SetBytesArgv(
        cfg,
        argc as ffi::Py_ssize_t,
        argv as *mut *const c_char,
    ));
    set_string(cfg, &mut config.executable, executable);
    set_string(cfg, &mut config.base_executable, executable);
    // Fixed prefixes keep getpath from searching the disk for landmarks, and a
    // set `home` makes it skip pyvenv.cfg and `<exe>._pth` (Modules/getpath.py):
    // a file dropped beside the executable must not put directories on sys.path.
    let dir = std::path::Path::new(executable)
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "/".into());
    for field in [
        &mut config.home as *mut _,
        &mut config.prefix as *mut _,
        &mut config.base_prefix as *mut _,
        &mut config.exec_prefix as *mut _,
        &mut config.base_exec_prefix as *mut _,
    ] {
        set_string(cfg, field, &dir);
    }
    if python_mode {
        // Parses the command line and reads the environment (once: a second
        // read keeps the result), so that PYTHONPATH is known unless -E or -I.
        let status = ffi::PyConfig_Read(cfg);
        if ffi::PyStatus_Exception(status) != 0 {
            ffi::PyConfig_Clear(cfg);
            ffi::Py_ExitStatusException(status);
        }
        append_pythonpath(cfg);
        // The executable stands where python's standard library directories
        // would: what comes before it on sys.path shadows the payload's
        // top-level modules (see importer/finder.rs, `shadowing_spec`).
        let mut entries = vec![executable.to_owned()];
        // Then the view's directory of the executable's top-level modules, which
        // `keep_off` keeps this interpreter away from: it stays in the
        // configuration that a sub-interpreter copies, whose first imports
        // (`encodings`) CPython's own finders make before any finder of ours could be
        // installed there; importlib's FileFinder finds them in that directory.
        entries.push(format!("{executable}/{TOP_LEVEL_DIR}"));
        // And the directory of the distribution's shared-library extension modules,
        // as python's lib-dynload follows its standard library.
        if crate::state::get().settings.lib_dynload().next().is_some() {
            entries.push(format!("{executable}/{LIB_DYNLOAD}"));
        }
        for entry in entries {
            let wide: Vec<libc::wchar_t> = entry
                .chars()
                .map(|c| c as libc::wchar_t)
                .chain([0])
                .collect();
            check(ffi::PyWideStringList_Append(
                &mut (*cfg).module_search_paths,
                wide.as_ptr(),
            ));
        }
    }
    let status = ffi::Py_InitializeFromConfig(cfg);
    ffi::PyConfig_Clear(cfg);
    check(status);

    if let Err(e) = importer::install() {
        eprintln!("pyingot: {e}");
        ffi::PyErr_Print();
        return 1;
    }
    let top_level_dir = format!("{executable}/{TOP_LEVEL_DIR}");
    if python_mode {
        keep_off(&top_level_dir, false);
    }
    check(ffi::_Py_InitializeMain());
    if python_mode {
        keep_off(&top_level_dir, true);
    }
    ffi::PySys_SetObject(c"frozen".as_ptr(), ffi::Py_True());

    let boot = ffi::PyImport_ImportModule(c"_pyingot_boot".as_ptr());
    if boot.is_null() {
        eprintln!("pyingot: the runtime module _pyingot_boot is missing from the payload");
        ffi::PyErr_Print();
        return 1;
    }
    let Some((runner, args)) = runner else {
        let r = ffi::PyObject_CallMethod(boot, c"install".as_ptr(), null_mut());
        if r.is_null() {
            ffi::PyErr_Print();
            return 1;
        }
        ffi::Py_DecRef(r);
        ffi::Py_DecRef(boot);
        // Runs -c / -m / a script / the REPL as configured, then finalizes.
        return ffi::Py_RunMain();
    };
    // _pyingot_boot.main(_pyingot_boot.<runner>, *args)
    let call = ffi::PyTuple_New(1 + args.len() as ffi::Py_ssize_t);
    let runner = ffi::PyObject_GetAttrString(boot, runner.as_ptr());
    let main = ffi::PyObject_GetAttrString(boot, c"main".as_ptr());
    ffi::Py_DecRef(boot);
    let r = if call.is_null() || runner.is_null() || main.is_null() {
        release([call, runner, main]);
        null_mut()
    } else {
        // PyTuple_SetItem steals the references.
        ffi::PyTuple_SetItem(call, 0, runner);
        for (i, arg) in args.iter().enumerate() {
            ffi::PyTuple_SetItem(call, 1 + i as ffi::Py_ssize_t, py_str(arg));
        }
        let r = ffi::PyObject_Call(main, call, null_mut());
        release([call, main]);
        r
    };
    let rc = if r.is_null() {
        // _pyingot_boot.main handles everything; this is a runtime bug.
        ffi::PyErr_Print();
        1
    } else {
        let code = ffi::PyLong_AsLong(r) as c_int;
        ffi::Py_DecRef(r);
        code
    };
    if ffi::Py_FinalizeEx() < 0 {
        // Flushing buffered output failed at exit (as python: 120).
        return 120;
    }
    rc
}
