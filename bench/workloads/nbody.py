"""The n-body simulation of the five outer bodies of the solar system.

Float arithmetic on lists in a tight loop: the interpreter's own speed (its
compiler flags, PGO, LTO), nothing from a library.
"""

from __future__ import annotations

PI = 3.14159265358979323
SOLAR_MASS = 4 * PI * PI
DAYS_PER_YEAR = 365.24
STEPS = 200_000

BODIES = [
    ([0.0, 0.0, 0.0], [0.0, 0.0, 0.0], SOLAR_MASS),
    (  # Jupiter
        [4.84143144246472090e00, -1.16032004402742839e00, -1.03622044471123109e-01],
        [1.66007664274403694e-03, 7.69901118419740425e-03, -6.90460016972063023e-05],
        9.54791938424326609e-04 * SOLAR_MASS,
    ),
    (  # Saturn
        [8.34336671824457987e00, 4.12479856412430479e00, -4.03523417114321381e-01],
        [-2.76742510726862411e-03, 4.99852801234917238e-03, 2.30417297573763929e-05],
        2.85885980666130812e-04 * SOLAR_MASS,
    ),
    (  # Uranus
        [1.28943695621391310e01, -1.51111514016986312e01, -2.23307578892655734e-01],
        [2.96460137564761618e-03, 2.37847173959480950e-03, -2.96589568540237556e-05],
        4.36624404335156298e-05 * SOLAR_MASS,
    ),
    (  # Neptune
        [1.53796971148509165e01, -2.59193146099879641e01, 1.79258772950371181e-01],
        [2.68067772490389322e-03, 1.62824170038242295e-03, -9.51592254519715870e-05],
        5.15138902046611451e-05 * SOLAR_MASS,
    ),
]


def bodies() -> list[tuple[list[float], list[float], float]]:
    """A fresh system, velocities in AU per year, the sun's momentum cancelling the rest."""
    system = [(list(r), [v * DAYS_PER_YEAR for v in vel], m) for r, vel, m in BODIES]
    px = py = pz = 0.0
    for _, (vx, vy, vz), m in system:
        px, py, pz = px + vx * m, py + vy * m, pz + vz * m
    system[0][1][:] = [-px / SOLAR_MASS, -py / SOLAR_MASS, -pz / SOLAR_MASS]
    return system


def advance(system: list[tuple[list[float], list[float], float]], dt: float, steps: int) -> None:
    pairs = [(system[i], system[j]) for i in range(len(system)) for j in range(i + 1, len(system))]
    for _ in range(steps):
        for ([x1, y1, z1], v1, m1), ([x2, y2, z2], v2, m2) in pairs:
            dx, dy, dz = x1 - x2, y1 - y2, z1 - z2
            mag = dt * ((dx * dx + dy * dy + dz * dz) ** -1.5)
            b1, b2 = m1 * mag, m2 * mag
            v1[0] -= dx * b2
            v1[1] -= dy * b2
            v1[2] -= dz * b2
            v2[0] += dx * b1
            v2[1] += dy * b1
            v2[2] += dz * b1
        for r, (vx, vy, vz), _ in system:
            r[0] += dt * vx
            r[1] += dt * vy
            r[2] += dt * vz


def energy(system: list[tuple[list[float], list[float], float]]) -> float:
    e = 0.0
    for i, ((x1, y1, z1), (vx, vy, vz), m1) in enumerate(system):
        e += m1 * (vx * vx + vy * vy + vz * vz) / 2
        for (x2, y2, z2), _, m2 in system[i + 1 :]:
            e -= m1 * m2 / ((x1 - x2) ** 2 + (y1 - y2) ** 2 + (z1 - z2) ** 2) ** 0.5
    return e


def bench() -> str:
    system = bodies()
    before = energy(system)
    advance(system, 0.01, STEPS)
    return f"{before:.9f} {energy(system):.9f}"
