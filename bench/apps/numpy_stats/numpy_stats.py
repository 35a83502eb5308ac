"""A numpy script: solves a linear system, takes an FFT, prints statistics.

One of the benchmark's applications (bench/README.md): a program whose
dependency is mostly compiled code (numpy's extension modules and OpenBLAS).
"""

import numpy as np


def main() -> int:
    rng = np.random.default_rng(42)
    a = rng.standard_normal((200, 200))
    b = rng.standard_normal(200)
    x = np.linalg.solve(a, b)
    residual = float(np.linalg.norm(a @ x - b))
    spectrum = np.abs(np.fft.rfft(rng.standard_normal(4096)))
    print(f"numpy {np.__version__}: solve residual {residual:.2e}")
    print(f"spectrum peak {spectrum.max():.1f}, mean {spectrum.mean():.2f}; std {a.std():.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
