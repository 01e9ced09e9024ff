"""Exact path-dependent TreeSHAP for LightGBM boosters, several times faster than
LightGBM's own ``pred_contrib``: the values are the same (tested to 1e-9), the work is not.

LightGBM's TreeSHAP costs O(T x L x D^2) per row (trees, leaves, depth). Following Fast
TreeSHAP v2 (Yang, 2021, arXiv:2109.09847), each leaf's share of the Shapley sum depends
on the row only through *which* of the leaf's d path features the row satisfies (a bit
pattern), so a table over the 2^d patterns is computed once per model; a row then costs
O(T x L x d). For a leaf with value v, path features F (|F| = d), cover fractions z_j and
the pattern B of satisfied features, with
    G(P) = sum over T subset of P of  |T|! (d - |T| - 1)! / d!  x  prod_{j in F \\ T} z_j,
feature i gets  v (1 - z_i) / z_i x G(B without i)  if i is in B, and  -v x G(B)  if not.

The loops are compiled with numba (shap's own dependency). Rows go through the model in
blocks, leaf by leaf, so that a leaf's path and table are read once for the whole block
rather than once per row (five times faster than row by row); blocks run in parallel and
release the GIL. Margins walk each tree from its root, as LightGBM does.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

import lightgbm as lgb
import numba
import numpy as np

BLOCK_ROWS = 64  # rows explained together, leaf by leaf; more gain nothing measurable
ROW_BY_ROW = 1  # one row: the row-at-a-time kernel is faster than a block of one
# fewer rows run on the calling thread: a parallel region costs more than it saves there,
# and its idle threads spin for a while after it, taking CPU from a busy service
PARALLEL_ROWS = 64
MAX_PATH_FEATURES = 20  # a leaf's table has 2^d entries; deeper paths use LightGBM's own
_ZERO = 1e-35  # LightGBM's kZeroThreshold
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


def fast_treeshap(
    booster: lgb.Booster, *, keep: Callable[[dict], bool] | None = None
) -> FastTreeShap | None:
    """The fast explainer, compiled and ready, or None where the booster needs LightGBM's."""
    try:
        fast = FastTreeShap(booster, keep=keep)
    except UnsupportedModel:
        return None
    for rows in (1, 2, 2 * PARALLEL_ROWS):  # compile (or load the cache) every kernel now
        fast.contributions(np.zeros((rows, fast.n_features)))
        fast.margin(np.zeros((rows, fast.n_features)))
    return fast


def reads_feature(tree: dict, feature: int) -> bool:
    """Whether any split of a dumped tree (``booster.dump_model()["tree_info"]``) reads
    the feature at column ``feature``."""
    stack = [tree["tree_structure"]]
    while stack:
        node = stack.pop()
        if "leaf_value" in node:
            continue
        if node["split_feature"] == feature:
            return True
        stack += [node["left_child"], node["right_child"]]
    return False


class FastTreeShap:
    """Exact TreeSHAP values of a binary or regression LightGBM booster.

    ``contributions(matrix)`` returns what ``booster.predict(matrix, pred_contrib=True)``
    returns: one column per feature, then the base value; each row sums to the raw score.
    ``keep`` explains only the trees it accepts (a dumped tree in, True to keep): the
    values of a model are the sums of those of any partition of its trees.
    """

    def __init__(self, booster: lgb.Booster, *, keep: Callable[[dict], bool] | None = None):
        model = booster.dump_model()
        if model["num_tree_per_iteration"] != 1:
            raise UnsupportedModel("multi-class boosters are explained by LightGBM itself")
        trees = model["tree_info"][: booster.num_trees()]
        if booster.best_iteration > 0:
            trees = trees[: booster.best_iteration]
        if keep is not None:
            trees = [tree for tree in trees if keep(tree)]
        self.n_features = model["max_feature_idx"] + 1
        self.n_trees = len(trees)
        self.base_value = 0.0
        self.constant = 0.0  # trees of a single leaf
        self._nodes, self._leaves, self._walk = self._flatten(trees)

    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        x = self._checked(matrix)
        out = np.zeros((x.shape[0], self.n_features + 1))
        if len(x) <= ROW_BY_ROW:
            _shap_row_by_row(x, out, self._nodes, self._leaves)
        elif len(x) < PARALLEL_ROWS:
            _shap_blocks_serial(x, out, self._nodes, self._leaves, BLOCK_ROWS)
        else:
            _shap_blocks(x, out, self._nodes, self._leaves, _block_rows(len(x)))
        out[:, -1] = self.base_value
        return out

    def margin(self, matrix: np.ndarray) -> np.ndarray:
        """The raw score, as ``booster.predict(matrix, raw_score=True)`` gives it."""
        x = self._checked(matrix)
        out = np.empty(x.shape[0])
        if len(x) < PARALLEL_ROWS:
            _margins_serial(x, out, self._nodes, self._walk, self._leaves[0])
        else:
            _margins(x, out, self._nodes, self._walk, self._leaves[0], _block_rows(len(x)))
        return out + self.constant

    def _checked(self, matrix: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(matrix, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise ValueError(f"expected a matrix with {self.n_features} columns, got {x.shape}")
        return x

    def _flatten(self, trees: list[dict]) -> tuple[tuple, tuple, tuple]:
        walk: dict[str, list] = {k: [] for k in _Walk.__dataclass_fields__}
        nodes: dict[str, list] = {k: [] for k in _Nodes.__dataclass_fields__}
        nodes["categories"] = []
        leaves: dict[str, list] = {k: [] for k in _Leaves.__dataclass_fields__}
        for tree in trees:
            root = tree["tree_structure"]
            if "leaf_value" in root:  # a single leaf: a constant, part of the base value
                self.base_value += root["leaf_value"]
                self.constant += root["leaf_value"]
                continue
            total = root["internal_count"]
            walk["roots"].append(len(nodes["feature"]))
            stack = [(root, [])]
            while stack:
                node, path = stack.pop()
                if path:  # tell the parent where this child is
                    parent, left = path[-1][0], path[-1][1]
                    child = (
                        len(nodes["feature"])
                        if "split_feature" in node
                        else -1 - len(leaves["value"])
                    )
                    walk["left_child" if left else "right_child"][parent] = child
                if "leaf_value" in node:
                    self.base_value += node["leaf_value"] * node["leaf_count"] / total
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
        return (
            tuple(getattr(nodes_, f.name) for f in fields(nodes_)),
            tuple(getattr(leaves_, f.name) for f in fields(leaves_)),
            tuple(getattr(walk_, f.name) for f in fields(walk_)),
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
    """G(P) for every pattern P (bit j set: path feature j satisfied), as in the module
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


@numba.njit(cache=True, nogil=True, inline="always")
def _goes_left(value, threshold, categorical, default_left, missing, categories, start, end):
    if categorical:  # a missing or negative category goes right, as unseen ones do
        if math.isnan(value) or value < 0:
            return False
        code = int(value)
        for k in range(start, end):  # noqa: SIM110 (numba compiles loops, not generators)
            if categories[k] == code:
                return True
        return False
    if math.isnan(value) and missing != 2:
        value = 0.0
    if (missing == 1 and abs(value) <= _ZERO) or (missing == 2 and math.isnan(value)):
        return default_left
    return value <= threshold


def _block_rows(rows: int) -> int:
    """Rows per parallel block: BLOCK_ROWS, or fewer so that every thread gets a block."""
    return max(1, min(BLOCK_ROWS, -(-rows // numba.get_num_threads())))


@numba.njit(cache=True, nogil=True)
def _decide(
    x, row, left, feature, threshold, categorical, default_left, missing, starts, ends, categories
):
    """Which way the row goes at every internal node of every tree."""
    for node in range(feature.shape[0]):
        left[node] = _goes_left(
            x[row, feature[node]],
            threshold[node],
            categorical[node],
            default_left[node],
            missing[node],
            categories,
            starts[node],
            ends[node],
        )


@numba.njit(cache=True, nogil=True)
def _shap_row(
    row,
    out,
    left,
    leaf_value,
    path_start,
    path_end,
    path_node,
    path_left,
    path_bit,
    features_start,
    features_end,
    feature_index,
    feature_z,
    table_start,
    tables,
):
    for leaf in range(leaf_value.shape[0]):
        first, last = features_start[leaf], features_end[leaf]
        pattern = (1 << (last - first)) - 1
        for step in range(path_start[leaf], path_end[leaf]):
            if left[path_node[step]] != path_left[step]:
                pattern &= ~(1 << path_bit[step])
        value = leaf_value[leaf]
        table = table_start[leaf]
        for k in range(first, last):
            bit = 1 << (k - first)
            if pattern & bit:
                z = feature_z[k]
                out[row, feature_index[k]] += value * (1 - z) / z * tables[table + (pattern ^ bit)]
            else:
                out[row, feature_index[k]] -= value * tables[table + pattern]


@numba.njit(cache=True, nogil=True)
def _shap_row_by_row(x, out, nodes, leaves):
    left = np.empty(nodes[0].shape[0], dtype=np.bool_)
    for row in range(x.shape[0]):
        _decide(x, row, left, *nodes)
        _shap_row(row, out, left, *leaves)


@numba.njit(cache=True, nogil=True)
def _shap_block(
    x,
    start,
    stop,
    out,
    feature,
    threshold,
    categorical,
    default_left,
    missing,
    categories_start,
    categories_end,
    categories,
    leaf_value,
    path_start,
    path_end,
    path_node,
    path_left,
    path_bit,
    features_start,
    features_end,
    feature_index,
    feature_z,
    table_start,
    tables,
):
    """Rows start..stop, leaf by leaf: the module docstring's sum, without branches. A
    feature's term reads the table at the pattern without its own bit either way; it is
    v (1 - z) / z there if the row satisfies the feature, -v if not."""
    n = stop - start
    went_left = np.empty((feature.shape[0], n), dtype=np.int64)  # node-major: rows adjacent
    for node in range(feature.shape[0]):
        for r in range(n):
            went_left[node, r] = _goes_left(
                x[start + r, feature[node]],
                threshold[node],
                categorical[node],
                default_left[node],
                missing[node],
                categories,
                categories_start[node],
                categories_end[node],
            )
    impacts = np.zeros((out.shape[1] - 1, n))  # feature-major: rows adjacent
    pattern = np.empty(n, dtype=np.int64)
    for leaf in range(leaf_value.shape[0]):
        first, last = features_start[leaf], features_end[leaf]
        pattern[:] = (1 << (last - first)) - 1
        for step in range(path_start[leaf], path_end[leaf]):
            node, bit = path_node[step], path_bit[step]
            wanted = 1 if path_left[step] else 0
            for r in range(n):
                pattern[r] &= ~((went_left[node, r] ^ wanted) << bit)
        value, table = leaf_value[leaf], table_start[leaf]
        for k in range(first, last):
            j, bit, z = feature_index[k], k - first, feature_z[k]
            gain = value * (1 - z) / z + value
            others = ~(1 << bit)
            for r in range(n):
                p = pattern[r]
                impacts[j, r] += (((p >> bit) & 1) * gain - value) * tables[table + (p & others)]
    for r in range(n):
        for j in range(impacts.shape[0]):
            out[start + r, j] = impacts[j, r]


@numba.njit(cache=True, nogil=True, parallel=True)
def _shap_blocks(x, out, nodes, leaves, block):
    rows = x.shape[0]
    for b in numba.prange((rows + block - 1) // block):
        _shap_block(x, b * block, min(rows, (b + 1) * block), out, *nodes, *leaves)


@numba.njit(cache=True, nogil=True)
def _shap_blocks_serial(x, out, nodes, leaves, block):
    for start in range(0, x.shape[0], block):
        _shap_block(x, start, min(x.shape[0], start + block), out, *nodes, *leaves)


@numba.njit(cache=True, nogil=True)
def _margin_block(
    x,
    start,
    stop,
    out,
    feature,
    threshold,
    categorical,
    default_left,
    missing,
    categories_start,
    categories_end,
    categories,
    roots,
    left_child,
    right_child,
    leaf_value,
):
    for row in range(start, stop):
        total = 0.0
        for tree in range(roots.shape[0]):
            node = roots[tree]
            while node >= 0:
                left = _goes_left(
                    x[row, feature[node]],
                    threshold[node],
                    categorical[node],
                    default_left[node],
                    missing[node],
                    categories,
                    categories_start[node],
                    categories_end[node],
                )
                node = left_child[node] if left else right_child[node]
            total += leaf_value[-node - 1]
        out[row] = total


@numba.njit(cache=True, nogil=True, parallel=True)
def _margins(x, out, nodes, walk, leaf_value, block):
    rows = x.shape[0]
    for b in numba.prange((rows + block - 1) // block):
        _margin_block(x, b * block, min(rows, (b + 1) * block), out, *nodes, *walk, leaf_value)


@numba.njit(cache=True, nogil=True)
def _margins_serial(x, out, nodes, walk, leaf_value):
    _margin_block(x, 0, x.shape[0], out, *nodes, *walk, leaf_value)
