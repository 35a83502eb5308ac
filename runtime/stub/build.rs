//! The interpreter's cfgs (`Py_3_13`, `Py_GIL_DISABLED`), read from the configuration
//! pyo3-ffi is built with (`PYO3_CONFIG_FILE`, written by src/pyingot/stub/runtime.py).

fn main() {
    pyo3_build_config::use_pyo3_cfgs();
}
