"""A matrix product and an inverse with numpy, checked against known values."""

import json

import numpy as np


def main() -> int:
    a = np.array([[4.0, 7.0], [2.0, 6.0]])
    b = np.arange(4.0).reshape(2, 2)
    product = a @ b
    inverse = np.linalg.inv(a)
    identity = a @ inverse
    print(json.dumps({
        "numpy": np.__version__,
        "product": product.tolist(),
        "inverse": np.round(inverse, 6).tolist(),
        "identity_ok": bool(np.allclose(identity, np.eye(2))),
        "blas": "openblas" in json.dumps(np.show_config(mode="dicts")).lower(),
    }))
    return 0
