"""The playground's data: five 2-D classification sets, one 2-D regression set, and the
input features the network may read.

Points lie in the square [-6, 6]² (as in TensorFlow's playground, so that sin x1 turns a
few times across it). Classification labels are 0 and 1; the regression target lies in
[-1, 1]. ``noise`` is the standard deviation of Gaussian noise added to every point, as a
fraction of the data's radius of 5.
"""
import math

import numpy as np

__all__ = ["DATASETS", "CLASSIFICATION", "FEATURES", "RADIUS", "EXTENT", "make_dataset",
           "split", "features"]

RADIUS = 5.0
"""The data's radius: most points lie within it."""
EXTENT = 6.0
"""The input plane drawn and fed to the heatmaps: [-EXTENT, EXTENT]²."""


def _circle(rng, n):
    inner = n // 2
    r = np.concatenate([rng.uniform(0, 0.5, inner), rng.uniform(0.7, 1.0, n - inner)]) * RADIUS
    angle = rng.uniform(0, 2 * math.pi, n)
    labels = np.concatenate([np.ones(inner), np.zeros(n - inner)])
    return np.stack([r * np.cos(angle), r * np.sin(angle)], 1), labels


def _xor(rng, n):
    points = rng.uniform(-RADIUS, RADIUS, (n, 2))
    points += np.where(points > 0, 0.3, -0.3)  # a gap along the axes, where the label flips
    return points, (points[:, 0] * points[:, 1] > 0).astype(float)


def _gaussians(rng, n):
    half = n // 2
    points = np.concatenate([rng.normal(2.0, 1.0, (half, 2)), rng.normal(-2.0, 1.0, (n - half, 2))])
    return points, np.concatenate([np.ones(half), np.zeros(n - half)])


def _spiral(rng, n):
    half = n // 2
    arms, labels = [], []
    for arm, count in ((0, half), (1, n - half)):
        i = np.arange(count) / count
        r, angle = i * RADIUS, 1.75 * i * 2 * math.pi + arm * math.pi
        arms.append(np.stack([r * np.sin(angle), r * np.cos(angle)], 1))
        labels.append(np.full(count, 1.0 - arm))
    return np.concatenate(arms), np.concatenate(labels)


def _moons(rng, n):
    half = n // 2
    upper = rng.uniform(0, math.pi, half)
    lower = rng.uniform(0, math.pi, n - half)
    points = np.concatenate([np.stack([np.cos(upper), np.sin(upper)], 1),
                             np.stack([1 - np.cos(lower), 0.5 - np.sin(lower)], 1)])
    return (points - [0.5, 0.25]) * 2.6, np.concatenate([np.ones(half), np.zeros(n - half)])


# (centre x1, centre x2, height) of the regression set's Gaussian bumps
BUMPS = ((-2.5, -2.0, 1.0), (2.5, 2.0, -1.0), (-2.0, 3.0, -0.6), (3.0, -2.5, 0.6))


def regression_target(points):
    """The regression set's noiseless target at ``points`` (n, 2): a sum of Gaussian bumps."""
    total = np.zeros(len(points))
    for cx, cy, height in BUMPS:
        total += height * np.exp(-((points[:, 0] - cx) ** 2 + (points[:, 1] - cy) ** 2) / 6.0)
    return np.clip(total, -1.0, 1.0)


def _regression(rng, n):
    points = rng.uniform(-RADIUS, RADIUS, (n, 2))
    return points, regression_target(points)


DATASETS = {"circle": _circle, "xor": _xor, "gaussians": _gaussians, "spiral": _spiral,
            "moons": _moons, "regression": _regression}
"""Name -> generator; every set but ``regression`` is a classification set."""
CLASSIFICATION = ("circle", "xor", "gaussians", "spiral", "moons")


def make_dataset(name, n, noise, seed):
    """``(points, labels)``: ``n`` points (n, 2) of the set ``name`` with Gaussian noise of
    standard deviation ``noise * RADIUS``, drawn from ``seed``; labels (n,) are 0/1 for
    classification sets, the target (computed before the noise) for ``regression``."""
    rng = np.random.default_rng(seed)
    points, labels = DATASETS[name](rng, n)
    points = points + rng.normal(0.0, noise * RADIUS, points.shape)
    order = rng.permutation(n)
    return points[order], labels[order]


def split(points, labels, train_ratio):
    """``(train points, train labels, test points, test labels)``: the first ``train_ratio``
    of the (already shuffled) points train, the rest test; each side keeps at least one."""
    cut = min(max(int(round(len(points) * train_ratio)), 1), len(points) - 1)
    return points[:cut], labels[:cut], points[cut:], labels[cut:]


FEATURES = {
    "x1": lambda p: p[:, 0] / EXTENT,
    "x2": lambda p: p[:, 1] / EXTENT,
    "x1²": lambda p: (p[:, 0] / EXTENT) ** 2,
    "x2²": lambda p: (p[:, 1] / EXTENT) ** 2,
    "x1·x2": lambda p: p[:, 0] * p[:, 1] / EXTENT ** 2,
    "sin x1": lambda p: np.sin(p[:, 0]),
    "sin x2": lambda p: np.sin(p[:, 1]),
}
"""Feature name -> its value at points (n, 2); the coordinates are scaled by 1/EXTENT so
that every feature lies in [-1, 1]."""


def features(points, names):
    """The float32 matrix (n, len(names)) of the named features at ``points`` (n, 2)."""
    return np.stack([FEATURES[name](points) for name in names], 1).astype(np.float32)
