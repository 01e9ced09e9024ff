"""The compiled loops of the fast TreeSHAP (numba, shap's own dependency): which way a
row goes at a node, a leaf's share of each feature's value for a row or a block of rows,
and the raw score by walking each tree from its root, as LightGBM does."""

from __future__ import annotations

import math

import numba
import numpy as np

_ZERO = 1e-35  # LightGBM's kZeroThreshold


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
def shap_row_by_row(x, out, nodes, leaves):
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
    """Rows start..stop, leaf by leaf: the sum of treeshap's docstring, without branches. A
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
def shap_blocks(x, out, nodes, leaves, block):
    rows = x.shape[0]
    for b in numba.prange((rows + block - 1) // block):
        _shap_block(x, b * block, min(rows, (b + 1) * block), out, *nodes, *leaves)


@numba.njit(cache=True, nogil=True)
def shap_blocks_serial(x, out, nodes, leaves, block):
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
def margins(x, out, nodes, walk, leaf_value, block):
    rows = x.shape[0]
    for b in numba.prange((rows + block - 1) // block):
        _margin_block(x, b * block, min(rows, (b + 1) * block), out, *nodes, *walk, leaf_value)


@numba.njit(cache=True, nogil=True)
def margins_serial(x, out, nodes, walk, leaf_value):
    _margin_block(x, 0, x.shape[0], out, *nodes, *walk, leaf_value)
