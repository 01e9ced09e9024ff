"""Feature tables and records as LightGBM's float matrix, and encoded values back."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leadscore.common.errors import InputError
from leadscore.models.encoding import FeatureEncoder, lightgbm_names

FEATURES = ["visits", "industry", "size", "active"]


def _training() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "visits": pd.array([3, None, 7], dtype="Int64"),
            "industry": ["retail", "banking", None],
            "size": pd.Categorical(["small", "large", "small"], categories=["small", "large"]),
            "active": [True, False, True],
        }
    )


def test_names_lightgbm_refuses_are_replaced_and_kept_unique_in_order() -> None:
    names = lightgbm_names(
        ["Score [raw]", "Score_[raw]", "a b", 'say "hi"', "k:v", "plain", "plain"]
    )
    assert names == ["Score__raw_", "Score__raw__2", "a_b", "say__hi_", "k_v", "plain", "plain_2"]
    assert len(set(names)) == len(names)


def test_fitting_keeps_the_levels_of_text_and_categorical_features_only() -> None:
    encoder = FeatureEncoder.fit(_training(), FEATURES)
    assert encoder.categories == {"industry": ["banking", "retail"], "size": ["small", "large"]}
    assert encoder.categorical_index == [1, 2]


def test_the_matrix_holds_numbers_as_they_are_and_categories_as_their_codes() -> None:
    frame = _training()
    encoder = FeatureEncoder.fit(frame, FEATURES)
    matrix = encoder.matrix(frame)
    assert matrix.shape == (3, 4) and matrix.dtype == np.float64
    np.testing.assert_array_equal(
        matrix,
        [[3.0, 1.0, 0.0, 1.0], [np.nan, 0.0, 1.0, 0.0], [7.0, np.nan, 0.0, 1.0]],
    )


def test_a_category_unseen_in_training_becomes_missing() -> None:
    encoder = FeatureEncoder.fit(_training(), FEATURES)
    later = _training().assign(
        industry=["energy", "retail", "banking"], size=["medium", "large", "small"]
    )
    matrix = encoder.matrix(later)
    np.testing.assert_array_equal(matrix[:, 1], [np.nan, 1.0, 0.0])
    np.testing.assert_array_equal(matrix[:, 2], [np.nan, 1.0, 0.0])


def test_categories_in_another_order_encode_by_the_training_levels() -> None:
    encoder = FeatureEncoder.fit(_training(), FEATURES)
    reordered = _training().assign(
        size=pd.Categorical(["small", "large", "small"], categories=["large", "small"])
    )
    np.testing.assert_array_equal(encoder.matrix(reordered)[:, 2], [0.0, 1.0, 0.0])


def test_numeric_text_in_a_numeric_feature_is_read_as_a_number_and_the_rest_as_missing() -> None:
    encoder = FeatureEncoder(["visits"], {})
    frame = pd.DataFrame({"visits": pd.Series(["4", "x", None], dtype=object)})
    np.testing.assert_array_equal(encoder.matrix(frame)[:, 0], [4.0, np.nan, np.nan])


def test_the_matrix_of_chosen_rows_is_those_rows_of_the_whole() -> None:
    frame = _training()
    encoder = FeatureEncoder.fit(frame, FEATURES)
    rows = np.array([2, 0])
    np.testing.assert_array_equal(encoder.matrix(frame, rows=rows), encoder.matrix(frame)[rows])


def test_a_table_without_a_models_feature_is_refused_by_name() -> None:
    encoder = FeatureEncoder.fit(_training(), FEATURES)
    with pytest.raises(InputError, match="industry"):
        encoder.matrix(_training().drop(columns="industry"))


def test_a_record_encodes_as_its_row_of_the_table_would() -> None:
    frame = _training()
    encoder = FeatureEncoder.fit(frame, FEATURES)
    records = [
        {"visits": 3, "industry": "retail", "size": "small", "active": True},
        {"visits": None, "industry": "banking", "size": "large", "active": False},
    ]
    for position, record in enumerate(records):
        np.testing.assert_array_equal(encoder.row(record)[0], encoder.matrix(frame)[position])


def test_a_record_leaving_out_a_feature_or_giving_an_unseen_category_has_it_missing() -> None:
    encoder = FeatureEncoder.fit(_training(), FEATURES)
    row = encoder.row({"industry": "energy", "size": "large"})
    np.testing.assert_array_equal(row, [[np.nan, np.nan, 1.0, np.nan]])


def test_encoded_values_read_back_as_a_person_would_write_them() -> None:
    encoder = FeatureEncoder.fit(_training(), FEATURES)
    assert encoder.value(1, 1.0) == "retail"
    assert encoder.value(2, 1.0) == "large"
    assert encoder.value(0, 7.0) == 7 and isinstance(encoder.value(0, 7.0), int)
    assert encoder.value(0, 2.5) == 2.5
    assert encoder.value(0, 2.0**60) == 2.0**60 and isinstance(encoder.value(0, 2.0**60), float)
    assert encoder.value(1, np.nan) is None


def test_the_encoders_lightgbm_names_are_those_of_its_features() -> None:
    encoder = FeatureEncoder(["a b", "c"], {})
    assert encoder.lightgbm_names == ["a_b", "c"]
