"""The next-best-offer model: calibrated propensities per offer, ranked by expected value.

Products are modelled as "buys this product within the horizon", nurture offers as
"engages with this content within the horizon" (downloads, webinar attendance). By
default one pooled model learns from every (lead, offer) pair with the offer as a
categorical feature: on the synthetic CRM it ranks better and is better calibrated than
one model per offer (benchmarks/bench_nbo_pooled.py; figures in docs/training.md), because the
offers share most of what makes a lead ready to take something. ``strategy: per_offer``
keeps one model per offer. Eligibility (owned products, profile rules, contact caps) and
the sales-ready split (products for sales-ready leads, nurture content for the rest)
apply when ranking. Its training is :mod:`leadscore.training.nbo`, its evaluation
:mod:`leadscore.evaluation.nbo`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from fnmatch import fnmatch
from functools import cached_property
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd

from leadscore.models.encoding import FeatureEncoder
from leadscore.models.nbo_config import NBOConfig
from leadscore.models.propensity import PropensityModel

NBO_FILE = "nbo.json"
LABEL_PREFIX = "label__"
OFFER_FEATURE = "offer"
POOLED_DIR = "pooled"


def with_offer(matrix: np.ndarray, codes: np.ndarray | float) -> np.ndarray:
    """The pooled model's input: the leads' features, then the offer's code (one for all
    rows, or one per row)."""
    out = np.empty((len(matrix), matrix.shape[1] + 1))
    out[:, :-1] = matrix
    out[:, -1] = codes
    return out


# the catalog's column of each language's offer names (``name`` where it gives none)
LOCALISED_NAMES = {"de": "name_de", "en": "name_en"}


def _names(offers: pd.DataFrame) -> dict[str, list[str]]:
    """Each language's offer names: its own where the catalog gives one, else ``name``."""
    default = offers["name"].astype(str).tolist()
    names = {}
    for lang, column in LOCALISED_NAMES.items():
        own = offers[column] if column in offers.columns else [None] * len(offers)
        names[lang] = [
            d if n is None or pd.isna(n) or str(n).strip() == "" else str(n)
            for d, n in zip(default, own, strict=True)
        ]
    return names


def _currencies(offers: pd.DataFrame) -> list[str | None]:
    """Each offer's currency, where the catalog states one."""
    if "currency" not in offers.columns:
        return [None] * len(offers)
    return [None if pd.isna(c) or c == "" else str(c) for c in offers["currency"]]


def offer_share_into_base(values: np.ndarray) -> np.ndarray:
    """TreeSHAP values of the pooled model in the lead's features: the offer's own share
    joins the base value, so that reasons speak of the lead (base + impacts = raw output
    still)."""
    out = np.delete(values, -2, axis=1)
    out[:, -1] += values[:, -2]
    return out


class OfferView:
    """One offer's propensities and reasons from the pooled model, which reads the lead's
    features plus the offer asked about. Behaves like a per-offer PropensityModel."""

    def __init__(self, pooled: PropensityModel, offer_id: str) -> None:
        self.pooled = pooled
        self.code = float(pooled.encoder.categories[OFFER_FEATURE].index(offer_id))
        categories = {k: v for k, v in pooled.encoder.categories.items() if k != OFFER_FEATURE}
        self.encoder = FeatureEncoder(pooled.features[:-1], categories)
        self.calibrator = pooled.calibrator
        self.metadata = pooled.metadata

    @property
    def features(self) -> list[str]:
        return self.encoder.features

    def margin(self, matrix: np.ndarray) -> np.ndarray:
        return self.pooled.margin(with_offer(matrix, self.code))

    def probability(self, matrix: np.ndarray) -> np.ndarray:
        return self.calibrator(self.margin(matrix))

    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        """TreeSHAP on the lead's features (see ``offer_share_into_base``)."""
        return offer_share_into_base(self.pooled.contributions(with_offer(matrix, self.code)))


class PairExplainer(Protocol):
    """Margins and TreeSHAP values of the pooled model for (lead, offer) pairs
    (``leadscore.models.nbo_explainer``)."""

    def margins(self, matrix: np.ndarray, codes: np.ndarray) -> np.ndarray: ...

    def contributions(
        self, matrix: np.ndarray, rows: np.ndarray, codes: np.ndarray
    ) -> np.ndarray: ...


@dataclass
class NBOModel:
    """Per-offer propensity models, the catalog, and the rules that decide eligibility."""

    offers: pd.DataFrame  # offer_id, name, kind, value
    models: dict[str, PropensityModel | OfferView]
    priors: dict[str, float]  # offers with too few positives: their base rate
    config: NBOConfig
    features: list[str]
    kind: str = "nbo"
    # serving copies (``leadscore.scoring.fast_models``) explain pooled offers with the
    # compiled explainer of every (lead, offer) pair at once; None: offer by offer
    pooled_fast: PairExplainer | None = field(default=None, repr=False, compare=False)

    @property
    def encoder(self) -> FeatureEncoder:
        return next(iter(self.models.values())).encoder

    def propensities(self, matrix: np.ndarray) -> np.ndarray:
        """(rows, offers) calibrated probabilities, in catalog order."""
        if self.pooled_fast is not None:  # every catalog offer has a view of the pool
            codes = np.array([self.models[o].code for o in self._catalog["offer_id"]])
            return self.pooled.calibrator(self.pooled_fast.margins(matrix, codes))
        out = np.empty((len(matrix), len(self.offers)))
        for j, offer in enumerate(self._catalog["offer_id"]):
            model = self.models.get(offer)
            out[:, j] = model.probability(matrix) if model else self.priors[offer]
        return out

    def offer_contributions(
        self, matrix: np.ndarray, rows: np.ndarray, offer_ids: list[str]
    ) -> np.ndarray:
        """TreeSHAP values (the lead's features, then the base value) of each pair (lead
        ``matrix[rows[k]]``, offer ``offer_ids[k]``); every offer must have a model."""
        if self.pooled_fast is not None:
            codes = np.array([self.models[o].code for o in offer_ids])
            return self.pooled_fast.contributions(matrix, rows, codes)
        out = np.empty((len(rows), matrix.shape[1] + 1))
        offer_ids_ = np.asarray(offer_ids, dtype=object)
        for offer in dict.fromkeys(offer_ids):  # one call per offer for all its leads
            pairs = np.flatnonzero(offer_ids_ == offer)
            out[pairs] = self.models[offer].contributions(matrix[rows[pairs]])
        return out

    def relative_contributions(
        self, matrix: np.ndarray, leads: np.ndarray, shown: list[set[str]]
    ) -> tuple[list[str], np.ndarray]:
        """What makes each offer more or less likely than the lead's other offers of its
        kind (products against products, content against content; against every offer
        where it is its kind's only one): the TreeSHAP values of a modelled offer for each
        of ``leads``, less the lead's average over its peers, as (leads, offers, features
        + base). What they share (a lead's general readiness) cancels out; the base column
        is 0. Only the offers of the kinds ``shown`` to each lead are worked out (NaN for
        the others): a sales-ready lead's products are not compared with content."""
        modelled = [o for o in self._catalog["offer_id"] if o in self.models]
        kind_of = dict(zip(self._catalog["offer_id"], self._catalog["kind"], strict=True))
        kinds = np.array([kind_of[o] for o in modelled])
        peers = {
            kind: kinds == kind if (kinds == kind).sum() > 1 else np.ones(len(kinds), bool)
            for kind in set(kinds)
        }
        needed = np.zeros((len(leads), len(modelled)), dtype=bool)
        for k, lead_kinds in enumerate(shown):
            for kind in lead_kinds & peers.keys():
                needed[k] |= peers[kind]
        at, slots = np.nonzero(needed)
        values = np.full((len(leads), len(modelled), matrix.shape[1] + 1), np.nan)
        offers = [modelled[j] for j in slots]
        values[at, slots] = self.offer_contributions(matrix, leads[at], offers)
        relative = np.full_like(values, np.nan)
        for j, kind in enumerate(kinds):
            rows = needed[:, j]
            relative[rows, j] = values[rows, j] - values[rows][:, peers[kind]].mean(axis=1)
        relative[..., -1] = 0.0
        return modelled, relative

    def reason_mask(self, kind: str) -> np.ndarray:
        """Which features may explain an offer of ``kind`` (``reasons_exclude``)."""
        return self._reason_masks.get(kind, self._reason_masks[None])

    @cached_property
    def _reason_masks(self) -> dict[str | None, np.ndarray]:
        """Per offer kind with exclusions its mask, and under None the mask of the others
        (every feature): read on every request, worked out once."""
        features = self.encoder.features
        masks: dict[str | None, np.ndarray] = {None: np.ones(len(features), dtype=bool)}
        for kind, patterns in self.config.reasons_exclude.items():
            masks[kind] = np.array([not any(fnmatch(f, p) for p in patterns) for f in features])
        return masks

    def eligible(self, frame: pd.DataFrame, sales_ready: np.ndarray | None = None) -> np.ndarray:
        """(rows, offers) mask: owned products, profile rules, contact cap, sales readiness."""
        mask = self.allowed(frame)
        return mask if sales_ready is None else self.for_readiness(mask, sales_ready)

    def allowed(self, frame: pd.DataFrame) -> np.ndarray:
        """(rows, offers) mask of what the rules allow: owned products, profile rules and
        the contact cap (everything but sales readiness, which needs the score)."""
        mask = np.ones((len(frame), len(self.offers)), dtype=bool)
        for j, offer in enumerate(self.offers["offer_id"]):
            owned = self.config.owned_features.get(offer)
            if self.config.exclude_owned and owned in frame.columns:
                mask[:, j] &= ~(
                    pd.to_numeric(frame[owned], errors="coerce").fillna(0) > 0
                ).to_numpy()
            for rule in self.config.rules:
                if rule.offer_id != offer:
                    continue
                for column, allowed in rule.requires.items():
                    if column in frame.columns:
                        mask[:, j] &= frame[column].astype("object").isin(allowed).to_numpy()
        cap = self.config.contact_cap
        if cap is not None and self.config.contact_feature in frame.columns:
            sent = pd.to_numeric(frame[self.config.contact_feature], errors="coerce").fillna(0)
            mask[(sent >= cap).to_numpy(), :] = False
        return mask

    @cached_property
    def _catalog(self) -> dict:
        """The catalog's columns as plain arrays and lists: read on every request."""
        return {
            "offer_id": self.offers["offer_id"].tolist(),
            "name": self.offers["name"].tolist(),
            "names": _names(self.offers),
            "kind": self.offers["kind"].tolist(),
            "value": self.offers["value"].to_numpy(dtype=float),
            "currency": _currencies(self.offers),
            "is_product": self.offers["kind"].to_numpy() == "product",
        }

    def for_readiness(self, allowed: np.ndarray, sales_ready: np.ndarray) -> np.ndarray:
        """Products for sales-ready leads, nurture content for the others."""
        is_product = self._catalog["is_product"]
        mask = allowed.copy()
        mask[:, is_product] &= sales_ready[:, None]
        mask[:, ~is_product] &= ~sales_ready[:, None]
        return mask

    @property
    def splits_by_readiness(self) -> bool:
        """Products for sales-ready leads only, nurture content for the others."""
        return True

    def expected_values(self, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(propensity, expected value: propensity x the offer's value), each (rows, offers)."""
        propensity = self.propensities(matrix)
        return propensity, propensity * self._catalog["value"]

    def rank(
        self,
        propensity: np.ndarray,
        eligible: np.ndarray,
        expected: np.ndarray | None = None,
        *,
        lang: str = "en",
    ) -> list[list[dict]]:
        """Per row, up to ``max_offers`` eligible offers by expected value (by default
        propensity x value), named in ``lang``."""
        catalog = self._catalog
        values = catalog["value"]
        ids, names, kinds = catalog["offer_id"], catalog["names"][lang], catalog["kind"]
        currencies = catalog["currency"]
        if expected is None:
            expected = propensity * values
        ranking = np.where(eligible, expected, -np.inf)
        order = np.argsort(-ranking, axis=1, kind="stable")[:, : self.config.max_offers]
        out = []
        for i, row in enumerate(order):
            out.append(
                [
                    {
                        "offer_id": ids[j],
                        "name": names[j],
                        "kind": kinds[j],
                        "propensity": float(propensity[i, j]),
                        "expected_value": float(expected[i, j]),
                        "currency": currencies[j],
                    }
                    for j in row
                    if eligible[i, j]
                ]
            )
        return out

    def predict_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        propensity = self.propensities(self.encoder.matrix(frame))
        return pd.DataFrame(
            propensity, columns=[f"propensity__{o}" for o in self.offers["offer_id"]]
        )

    @property
    def pooled(self) -> PropensityModel | None:
        first = next(iter(self.models.values()), None)
        return first.pooled if isinstance(first, OfferView) else None

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        if self.pooled is not None:
            self.pooled.save(directory / POOLED_DIR)
        else:
            for offer, model in self.models.items():
                model.save(directory / "offers" / offer)
        meta = {
            "offers": self.offers.to_dict(orient="records"),
            "priors": self.priors,
            "config": self.config.model_dump(mode="json"),
            "features": self.features,
            "pooled": self.pooled is not None,
        }
        (directory / NBO_FILE).write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")

    @classmethod
    def load(cls, directory: Path) -> NBOModel:
        meta = json.loads((directory / NBO_FILE).read_text())
        offers = pd.DataFrame(meta["offers"])
        if meta.get("pooled"):
            pooled = PropensityModel.load(directory / POOLED_DIR)
            models = {o: OfferView(pooled, o) for o in offers["offer_id"]}
        else:
            models = {
                o: PropensityModel.load(directory / "offers" / o)
                for o in offers["offer_id"]
                if (directory / "offers" / o).exists()
            }
        return cls(
            offers,
            models,
            meta["priors"],
            NBOConfig.model_validate(meta["config"]),
            meta["features"],
        )
