"""A LightGBM booster's dumped trees flattened into arrays for the TreeSHAP kernels, with
each leaf's path and its table over the 2^d patterns of path features it satisfies (see
:mod:`leadscore.models.treeshap` for the sum the tables hold)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

MAX_PATH_FEATURES = 20  # a leaf's table has 2^d entries; deeper paths use LightGBM's own
_MISSING = {"None": 0, "Zero": 1, "NaN": 2}


class UnsupportedModel(ValueError):
    """The booster uses something this explainer does not handle (LightGBM's own will)."""


@dataclass(frozen=True)
class _Nodes:
    feature: np.ndarray  # int64 per internal node
    threshold: np.ndarray  # float64 (numerical splits)
    categorical: np.ndarray  # bool
    default_left: np.ndarray  # bool
    missing: np.ndarray  # int8: 0 None, 1 Zero, 2 NaN
    categories_start: np.ndarray  # int64: slice of ``categories`` going left
    categories_end: np.ndarray
    categories: np.ndarray  # int64


@dataclass(frozen=True)
class _Walk:
    roots: np.ndarray  # int64, the root node of every tree with a split
    left_child: np.ndarray  # int64 per internal node: a node, or -(leaf + 1)
    right_child: np.ndarray


@dataclass(frozen=True)
class _Leaves:
    value: np.ndarray  # float64
    path_start: np.ndarray  # slice of path_node / path_left / path_bit
    path_end: np.ndarray
    path_node: np.ndarray  # int64, global internal-node index
    path_left: np.ndarray  # bool: the path goes left at that node
    path_bit: np.ndarray  # int64: which of the leaf's path features the node tests
    features_start: np.ndarray  # slice of feature_index / feature_z
    features_end: np.ndarray
    feature_index: np.ndarray  # int64, column in the matrix
    feature_z: np.ndarray  # float64, product of cover fractions for that feature
    table_start: np.ndarray  # int64, where the leaf's 2^d table starts in ``tables``
    tables: np.ndarray  # float64


@dataclass(frozen=True)
class FlatTrees:
    """A model's trees as the kernels read them: tuples of the arrays of ``_Nodes``,
    ``_Leaves`` and ``_Walk`` in field order."""

    nodes: tuple
    leaves: tuple
    walk: tuple
    base_value: float  # the expected raw score: every tree's cover-weighted mean leaf
    constant: float  # the sum of the trees of a single leaf


def flatten(trees: list[dict]) -> FlatTrees:
    """The trees' nodes, leaves (with their paths and pattern tables) and walks as flat
    arrays, and the base value and constant of the model they make."""
    base_value = 0.0
    constant = 0.0  # trees of a single leaf
    walk: dict[str, list] = {k: [] for k in _Walk.__dataclass_fields__}
    nodes: dict[str, list] = {k: [] for k in _Nodes.__dataclass_fields__}
    nodes["categories"] = []
    leaves: dict[str, list] = {k: [] for k in _Leaves.__dataclass_fields__}
    for tree in trees:
        root = tree["tree_structure"]
        if "leaf_value" in root:  # a single leaf: a constant, part of the base value
            base_value += root["leaf_value"]
            constant += root["leaf_value"]
            continue
        total = root["internal_count"]
        walk["roots"].append(len(nodes["feature"]))
        stack = [(root, [])]
        while stack:
            node, path = stack.pop()
            if path:  # tell the parent where this child is
                parent, left = path[-1][0], path[-1][1]
                child = (
                    len(nodes["feature"]) if "split_feature" in node else -1 - len(leaves["value"])
                )
                walk["left_child" if left else "right_child"][parent] = child
            if "leaf_value" in node:
                base_value += node["leaf_value"] * node["leaf_count"] / total
                _add_leaf(leaves, node["leaf_value"], path)
                continue
            index = len(nodes["feature"])
            _add_node(nodes, node)
            walk["left_child"].append(0)
            walk["right_child"].append(0)
            count = node["internal_count"]
            for child, left in ((node["left_child"], True), (node["right_child"], False)):
                child_count = child.get("internal_count", child.get("leaf_count"))
                step = (index, left, node["split_feature"], child_count / count)
                stack.append((child, [*path, step]))
    sizes = [len(t) for t in leaves["tables"]]
    leaves["table_start"] = np.concatenate([[0], np.cumsum(sizes)[:-1]]) if sizes else []
    nodes_, leaves_ = (
        _Nodes(
            np.asarray(nodes["feature"], dtype=np.int64),
            np.asarray(nodes["threshold"], dtype=np.float64),
            np.asarray(nodes["categorical"], dtype=np.bool_),
            np.asarray(nodes["default_left"], dtype=np.bool_),
            np.asarray(nodes["missing"], dtype=np.int8),
            np.asarray(nodes["categories_start"], dtype=np.int64),
            np.asarray(nodes["categories_end"], dtype=np.int64),
            np.asarray(nodes["categories"], dtype=np.int64),
        ),
        _Leaves(
            np.asarray(leaves["value"], dtype=np.float64),
            np.asarray(leaves["path_start"], dtype=np.int64),
            np.asarray(leaves["path_end"], dtype=np.int64),
            np.asarray(leaves["path_node"], dtype=np.int64),
            np.asarray(leaves["path_left"], dtype=np.bool_),
            np.asarray(leaves["path_bit"], dtype=np.int64),
            np.asarray(leaves["features_start"], dtype=np.int64),
            np.asarray(leaves["features_end"], dtype=np.int64),
            np.asarray(leaves["feature_index"], dtype=np.int64),
            np.asarray(leaves["feature_z"], dtype=np.float64),
            np.asarray(leaves["table_start"], dtype=np.int64),
            np.concatenate(leaves["tables"]) if leaves["tables"] else np.zeros(0),
        ),
    )
    walk_ = _Walk(*(np.asarray(walk[f], dtype=np.int64) for f in _Walk.__dataclass_fields__))
    fields = dataclasses.fields
    return FlatTrees(
        tuple(getattr(nodes_, f.name) for f in fields(nodes_)),
        tuple(getattr(leaves_, f.name) for f in fields(leaves_)),
        tuple(getattr(walk_, f.name) for f in fields(walk_)),
        base_value,
        constant,
    )


def _add_node(nodes: dict[str, list], node: dict) -> None:
    categorical = node["decision_type"] == "=="
    if node["decision_type"] not in ("<=", "=="):
        raise UnsupportedModel(f"unknown decision type {node['decision_type']!r}")
    nodes["feature"].append(node["split_feature"])
    nodes["categorical"].append(categorical)
    nodes["default_left"].append(bool(node["default_left"]))
    nodes["missing"].append(_MISSING[node["missing_type"]])
    start = len(nodes["categories"])
    if categorical:
        nodes["categories"].extend(int(c) for c in str(node["threshold"]).split("||"))
        nodes["threshold"].append(0.0)
    else:
        nodes["threshold"].append(float(node["threshold"]))
    nodes["categories_start"].append(start)
    nodes["categories_end"].append(len(nodes["categories"]))


def _add_leaf(leaves: dict[str, list], value: float, path: list[tuple]) -> None:
    """One leaf: its path (node, direction, which path feature) and its pattern table."""
    features: list[int] = []
    z: list[float] = []
    bits = []
    for _, _, feature, fraction in path:
        if feature not in features:
            features.append(feature)
            z.append(1.0)
        bit = features.index(feature)
        z[bit] *= fraction  # a feature tested twice: its cover fractions multiply
        bits.append(bit)
    if len(features) > MAX_PATH_FEATURES:
        raise UnsupportedModel(f"a leaf tests {len(features)} features; too many for tables")
    if min(z, default=1.0) <= 0:
        raise UnsupportedModel("a branch without training rows (cover 0)")
    leaves["value"].append(value)
    leaves["path_start"].append(len(leaves["path_node"]))
    leaves["path_node"].extend(node for node, _, _, _ in path)
    leaves["path_left"].extend(left for _, left, _, _ in path)
    leaves["path_bit"].extend(bits)
    leaves["path_end"].append(len(leaves["path_node"]))
    leaves["features_start"].append(len(leaves["feature_index"]))
    leaves["feature_index"].extend(features)
    leaves["feature_z"].extend(z)
    leaves["features_end"].append(len(leaves["feature_index"]))
    leaves["tables"].append(pattern_table(np.asarray(z)))


def pattern_table(z: np.ndarray) -> np.ndarray:
    """G(P) for every pattern P (bit j set: path feature j satisfied), as in treeshap's module
    docstring: the polynomial prod_j (z_j + t [j in P]) weighted by the Shapley weights."""
    d = len(z)
    patterns = np.arange(2**d)
    coefficients = np.zeros((2**d, d + 1))
    coefficients[:, 0] = 1.0
    for j in range(d):
        has = (patterns >> j) & 1 == 1
        shifted = np.zeros_like(coefficients)
        shifted[:, 1:] = coefficients[:, :-1]
        coefficients = coefficients * z[j] + np.where(has[:, None], shifted, 0.0)
    weights = np.array(
        [math.factorial(k) * math.factorial(d - k - 1) / math.factorial(d) for k in range(d)]
        + [0.0]  # |T| = d needs every feature in T, i included: never summed
    )
    return coefficients @ weights
