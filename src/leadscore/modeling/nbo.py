"""Next-best-offer: calibrated propensities per offer, ranked by expected value.

Products are modelled as "buys this product within the horizon", nurture offers as
"engages with this content within the horizon" (downloads, webinar attendance). By
default one pooled model learns from every (lead, offer) pair with the offer as a
categorical feature: on the synthetic CRM it ranks better and is better calibrated than
one model per offer (benchmarks/bench_nbo_pooled.py; figures in the README), because the
offers share most of what makes a lead ready to take something. ``strategy: per_offer``
keeps one model per offer. Eligibility (owned products, profile rules, contact caps) and
the sales-ready split (products for sales-ready leads, nurture content for the rest)
apply when ranking.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import log_loss

from leadscore.errors import InputError
from leadscore.features.spine import converted_within
from leadscore.features.training_set import FeatureTable
from leadscore.loading import CanonicalData
from leadscore.modeling.calibration import fit_calibrator
from leadscore.modeling.config import NBOConfig, TrainingConfig
from leadscore.modeling.conversion import (
    PartMatrices,
    fit_booster,
    make_split,
    self_description,
)
from leadscore.modeling.metrics import ranking_metrics
from leadscore.modeling.propensity import FeatureEncoder, PropensityModel
from leadscore.modeling.splits import Split

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

    def use_fast_treeshap(self) -> None:
        if self.pooled.fast is None:
            self.pooled.use_fast_treeshap()


class PooledExplainer:
    """The pooled model's margins and TreeSHAP values for several offers of the same leads.

    A tree that never splits on the offer puts a lead in the same leaf whatever the offer,
    so its share of the margin and of the TreeSHAP values is the lead's alone: those trees
    are evaluated once per lead, the others once per (lead, offer). The sums are the
    model's margins and values (TreeSHAP is additive over trees).
    """

    def __init__(self, pooled: PropensityModel) -> None:
        # imported here: numba's compiler is for serving, not for training
        from leadscore.modeling.treeshap import UnsupportedModel, fast_treeshap, reads_feature

        offer = len(pooled.features) - 1  # the offer is the pooled model's last column

        def reads_offer(tree: dict) -> bool:
            return reads_feature(tree, offer)

        shared = fast_treeshap(pooled.booster, keep=lambda tree: not reads_offer(tree))
        by_offer = fast_treeshap(pooled.booster, keep=reads_offer)
        if shared is None or by_offer is None:
            raise UnsupportedModel("the pooled booster needs LightGBM's own TreeSHAP")
        self.shared = shared
        self.by_offer = by_offer

    def margins(self, matrix: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """(leads, offers) raw scores of every lead with every offer code."""
        shared = self.shared.margin(with_offer(matrix, 0.0))  # the offer is not read
        pairs = with_offer(np.repeat(matrix, len(codes), axis=0), np.tile(codes, len(matrix)))
        return shared[:, None] + self.by_offer.margin(pairs).reshape(len(matrix), len(codes))

    def contributions(self, matrix: np.ndarray, rows: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """TreeSHAP values of the pairs (lead ``matrix[rows[k]]``, offer ``codes[k]``), in
        the lead's features (see ``offer_share_into_base``)."""
        leads, pair_lead = np.unique(rows, return_inverse=True)
        shared = self.shared.contributions(with_offer(matrix[leads], 0.0))
        values = shared[pair_lead] + self.by_offer.contributions(with_offer(matrix[rows], codes))
        return offer_share_into_base(values)


def offer_labels(
    data: CanonicalData, spine: pd.DataFrame, horizon_days: int, config: NBOConfig
) -> pd.DataFrame:
    """Per offer: did the customer take it (buy it, or engage with it) in the horizon?"""
    offers = data.offers
    labels = {}
    for offer in offers.itertuples():
        if offer.kind == "product":
            taken = data.outcomes[data.outcomes["offer_id"].astype("object") == offer.offer_id]
        else:
            events = data.events
            chosen = events["event_type"].astype("object").isin(config.engagement_event_types)
            taken = events[chosen & (events["offer_id"].astype("object") == offer.offer_id)]
        labels[f"{LABEL_PREFIX}{offer.offer_id}"] = converted_within(
            spine, taken[["customer_id", "ts"]], horizon_days=horizon_days
        )
    return pd.DataFrame(labels)


@dataclass
class NBOModel:
    """Per-offer propensity models, the catalog, and the rules that decide eligibility."""

    offers: pd.DataFrame  # offer_id, name, kind, value
    models: dict[str, PropensityModel | OfferView]
    priors: dict[str, float]  # offers with too few positives: their base rate
    config: NBOConfig
    features: list[str]
    kind: str = "nbo"
    _pooled_fast: PooledExplainer | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def encoder(self) -> FeatureEncoder:
        return next(iter(self.models.values())).encoder

    def use_fast_treeshap(self) -> None:
        """Margins and TreeSHAP values from the compiled explainer (see ``treeshap``)."""
        from leadscore.modeling.treeshap import UnsupportedModel

        if self.pooled is not None:
            try:
                self._pooled_fast = PooledExplainer(self.pooled)
                return
            except UnsupportedModel:
                pass
        for model in self.models.values():
            model.use_fast_treeshap()

    def propensities(self, matrix: np.ndarray) -> np.ndarray:
        """(rows, offers) calibrated probabilities, in catalog order."""
        if self._pooled_fast is not None:  # every catalog offer has a view of the pool
            codes = np.array([self.models[o].code for o in self._catalog["offer_id"]])
            return self.pooled.calibrator(self._pooled_fast.margins(matrix, codes))
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
        if self._pooled_fast is not None:
            codes = np.array([self.models[o].code for o in offer_ids])
            return self._pooled_fast.contributions(matrix, rows, codes)
        out = np.empty((len(rows), matrix.shape[1] + 1))
        offer_ids_ = np.asarray(offer_ids, dtype=object)
        for offer in dict.fromkeys(offer_ids):  # one call per offer for all its leads
            pairs = np.flatnonzero(offer_ids_ == offer)
            out[pairs] = self.models[offer].contributions(matrix[rows[pairs]])
        return out

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
            "kind": self.offers["kind"].tolist(),
            "value": self.offers["value"].to_numpy(dtype=float),
            "is_product": self.offers["kind"].to_numpy() == "product",
        }

    def for_readiness(self, allowed: np.ndarray, sales_ready: np.ndarray) -> np.ndarray:
        """Products for sales-ready leads, nurture content for the others."""
        is_product = self._catalog["is_product"]
        mask = allowed.copy()
        mask[:, is_product] &= sales_ready[:, None]
        mask[:, ~is_product] &= ~sales_ready[:, None]
        return mask

    def rank(self, propensity: np.ndarray, eligible: np.ndarray) -> list[list[dict]]:
        """Per row, up to ``max_offers`` eligible offers by expected value."""
        catalog = self._catalog
        values = catalog["value"]
        ids, names, kinds = catalog["offer_id"], catalog["name"], catalog["kind"]
        expected = np.where(eligible, propensity * values, -np.inf)
        order = np.argsort(-expected, axis=1, kind="stable")[:, : self.config.max_offers]
        out = []
        for i, row in enumerate(order):
            out.append(
                [
                    {
                        "offer_id": ids[j],
                        "name": names[j],
                        "kind": kinds[j],
                        "propensity": float(propensity[i, j]),
                        "expected_value": float(propensity[i, j] * values[j]),
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


@dataclass
class NBOEvaluation:
    model: NBOModel
    rankings: dict[str, dict[str, float]]
    per_offer: pd.DataFrame
    split_ranges: dict[str, str]
    test: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)


def train_nbo(
    table: FeatureTable,
    labels: pd.DataFrame,
    offers: pd.DataFrame,
    config: TrainingConfig,
    affinity: pd.DataFrame | None = None,
) -> NBOEvaluation:
    frame, features = table.frame, table.feature_names
    split = make_split(table, config)
    encoder = FeatureEncoder.fit(frame, features)
    matrix = encoder.matrix(frame)
    metadata = {"feature_set": table.feature_set.id, **self_description(table)}
    fit = _fit_pooled if config.nbo.strategy == "pooled" else _fit_per_offer
    models, rows = fit(matrix, labels, offers, split, encoder, config, metadata)
    priors = {
        o: float(labels[f"{LABEL_PREFIX}{o}"].to_numpy(dtype=bool)[split.train].mean())
        for o in offers["offer_id"]
    }
    model = NBOModel(offers.reset_index(drop=True), models, priors, config.nbo, features)
    test = frame.iloc[split.test].reset_index(drop=True)
    test_labels = labels.iloc[split.test].reset_index(drop=True)
    propensity = model.propensities(matrix[split.test])
    per_offer = pd.DataFrame(rows)
    per_offer["test_log_loss"] = [
        float(
            log_loss(
                test_labels[f"{LABEL_PREFIX}{o}"],
                np.clip(propensity[:, j], 1e-6, 1 - 1e-6),
                labels=[0, 1],
            )
        )
        for j, o in enumerate(offers["offer_id"])
    ]
    rankings = evaluate_rankings(
        model, test, test_labels, propensity, labels.iloc[split.train], affinity, config.seed
    )
    return NBOEvaluation(
        model,
        rankings,
        per_offer,
        split.describe(frame["as_of"]),
        pd.concat([test[["customer_id", "as_of", *features]], test_labels], axis=1),
    )


def _fit_per_offer(matrix, labels, offers, split, encoder, config, metadata):
    """One calibrated model per offer with enough positives; the others rank by base rate."""
    models, rows = {}, []
    for offer in offers.itertuples():
        label = labels[f"{LABEL_PREFIX}{offer.offer_id}"].to_numpy(dtype=bool)
        positives = int(label[split.train].sum())
        enough = positives >= config.min_positives and label[split.validation].sum() > 0
        row = {"offer_id": offer.offer_id, "kind": offer.kind, "train_positives": positives}
        row["trees"] = 0  # too few positives: the offer's base rate stands in
        if enough:
            fitted = fit_booster(PartMatrices.of(matrix, split), label, split, encoder, config)
            calibrator, _ = fit_calibrator(
                fitted.validation_margin, label[split.validation], config.calibration
            )
            models[offer.offer_id] = PropensityModel(
                fitted.booster,
                encoder,
                calibrator,
                {"kind": "nbo_offer", "offer_id": offer.offer_id, **metadata},
            )
            row["trees"] = fitted.booster.best_iteration
        rows.append(row)
    return models, rows


def _fit_pooled(matrix, labels, offers, split, encoder, config, metadata):
    """One calibrated model over (row, offer) pairs, the offer a categorical feature."""
    ids = offers["offer_id"].tolist()
    n, k = len(matrix), len(ids)
    stacked = with_offer(np.tile(matrix, (k, 1)), np.repeat(np.arange(k, dtype=float), n))
    label = np.concatenate([labels[f"{LABEL_PREFIX}{o}"].to_numpy(dtype=bool) for o in ids])

    def every_offer(rows: np.ndarray) -> np.ndarray:
        return np.concatenate([rows + j * n for j in range(k)])

    pooled_split = Split(
        every_offer(split.train), every_offer(split.validation), every_offer(split.test), split.kind
    )
    pooled_encoder = FeatureEncoder(
        [*encoder.features, OFFER_FEATURE], {**encoder.categories, OFFER_FEATURE: ids}
    )
    fitted = fit_booster(
        PartMatrices.of(stacked, pooled_split), label, pooled_split, pooled_encoder, config
    )
    calibrator, _ = fit_calibrator(
        fitted.validation_margin, label[pooled_split.validation], config.calibration
    )
    pooled = PropensityModel(
        fitted.booster, pooled_encoder, calibrator, {"kind": "nbo_pooled", **metadata}
    )
    rows = [
        {
            "offer_id": o,
            "kind": kind,
            "train_positives": int(
                labels[f"{LABEL_PREFIX}{o}"].to_numpy(dtype=bool)[split.train].sum()
            ),
            "trees": fitted.booster.best_iteration,
        }
        for o, kind in zip(ids, offers["kind"], strict=True)
    ]
    return {o: OfferView(pooled, o) for o in ids}, rows


def evaluate_rankings(
    model: NBOModel,
    test: pd.DataFrame,
    test_labels: pd.DataFrame,
    propensity: np.ndarray,
    train_labels: pd.DataFrame,
    affinity: pd.DataFrame | None,
    seed: int,
) -> dict[str, dict[str, float]]:
    """Hit rates, MAP and NDCG at 3 for products (rows with a purchase) and nurture content
    (rows with an engagement), against popularity, random and, on synthetic data, the oracle."""
    offers = model.offers["offer_id"].to_numpy()
    kinds = model.offers["kind"].to_numpy()
    taken = test_labels[[f"{LABEL_PREFIX}{o}" for o in offers]].to_numpy(dtype=bool)
    eligible = model.eligible(test)
    popularity = train_labels[[f"{LABEL_PREFIX}{o}" for o in offers]].to_numpy().mean(axis=0)
    random = np.random.default_rng(seed).random(propensity.shape)
    scores = {
        "model": propensity,
        "popularity": np.broadcast_to(popularity, propensity.shape),
        "random": random,
    }
    if affinity is not None:
        scores["oracle"] = _oracle_scores(test, affinity, offers)
    out = {}
    for kind_name, kind_mask in (("products", kinds == "product"), ("nurture", kinds != "product")):
        for name, values in scores.items():
            if values is None:
                continue
            relevant, ranked = [], []
            for i in range(len(test)):
                allowed = np.flatnonzero(kind_mask & eligible[i] & np.isfinite(values[i]))
                truth = {offers[j] for j in allowed if taken[i, j]}
                if not truth:
                    continue
                order = allowed[np.argsort(-values[i, allowed], kind="stable")]
                relevant.append(truth)
                ranked.append([offers[j] for j in order])
            out[f"{kind_name}/{name}"] = ranking_metrics(relevant, ranked, k=3)
    return out


def _oracle_scores(test: pd.DataFrame, affinity: pd.DataFrame, offers: np.ndarray) -> np.ndarray:
    table = affinity.pivot(index="customer_id", columns="offer_id", values="affinity")
    table = table.reindex(columns=offers)
    values = table.reindex(test["customer_id"].astype("str")).to_numpy(dtype=float)
    return np.where(np.isnan(values), -np.inf, values)  # rows without truth rank nothing


def nbo_gate(
    old: NBOModel,
    new: NBOModel,
    test: pd.DataFrame,
    challenger: str,
    champion: str,
    tolerance: float = 0.002,
):
    labels = test[[c for c in test.columns if c.startswith(LABEL_PREFIX)]]
    results = {}
    for name, model in (("champion", old), ("challenger", new)):
        matrix = model.encoder.matrix(test)
        propensity = model.propensities(matrix)
        ranks = evaluate_rankings(model, test, labels, propensity, labels, None, 0)
        losses = [
            log_loss(
                labels[f"{LABEL_PREFIX}{o}"],
                np.clip(propensity[:, j], 1e-6, 1 - 1e-6),
                labels=[0, 1],
            )
            for j, o in enumerate(model.offers["offer_id"])
        ]
        results[name] = (ranks["products/model"].get("map_at_3", 0.0), float(np.mean(losses)))
    (new_map, new_loss), (old_map, old_loss) = results["challenger"], results["champion"]
    reasons = []
    if new_map < old_map - tolerance:
        reasons.append(f"product MAP@3 {new_map:.4f} is worse than the champion's {old_map:.4f}")
    if not new_loss < old_loss:
        reasons.append(
            f"mean log loss {new_loss:.5f} is not better than the champion's {old_loss:.5f}"
        )
    summary = (
        f"on {len(test):,} test rows: challenger v{challenger} MAP@3 {new_map:.4f}, log loss "
        f"{new_loss:.5f}; champion v{champion} MAP@3 {old_map:.4f}, log loss {old_loss:.5f}"
    )
    return not reasons, reasons, summary


def run_nbo(config: TrainingConfig, *, features_file: Path | None = None):
    from leadscore import tracking
    from leadscore.features.definitions import load_feature_set
    from leadscore.features.training_set import build_feature_table
    from leadscore.modeling.jobs import JobResult, file_digest, load_data

    if features_file is not None:
        raise InputError("the nbo job builds its own per-offer labels: leave out --features")
    timings = {}
    clock = time.perf_counter()
    data, files = load_data(config)
    feature_set = load_feature_set(config.feature_set, directory=config.path(config.features_dir))
    table = build_feature_table(
        data, feature_set, horizon_days=config.horizon_days, spine_kind=config.spine
    )
    labels = offer_labels(
        data, table.frame[["customer_id", "as_of"]], config.horizon_days, config.nbo
    )
    timings["features"] = time.perf_counter() - clock
    clock = time.perf_counter()
    affinity_path = config.path(config.source) / "ground_truth" / "offer_affinity.parquet"
    affinity = pd.read_parquet(affinity_path) if affinity_path.exists() else None
    offers = data.offers[["offer_id", "name", "kind", "value"]].astype({"offer_id": "str"})
    if config.nbo.offers:
        offers = offers[offers["offer_id"].isin(config.nbo.offers)]
    evaluation = train_nbo(table, labels, offers, config, affinity)
    timings["train_evaluate"] = time.perf_counter() - clock
    clock = time.perf_counter()
    metrics = {
        f"{name.replace('/', '_')}_{k}": v
        for name, values in evaluation.rankings.items()
        for k, v in values.items()
    }
    for row in evaluation.per_offer.itertuples():
        metrics[f"offer_{row.offer_id}_test_log_loss"] = row.test_log_loss
    card = _card(evaluation, table)
    with tempfile.TemporaryDirectory() as tmp:
        evaluation.model.save(Path(tmp))
        run = tracking.log_training_run(
            tracking.RunRecord(
                kind="nbo",
                model_dir=Path(tmp),
                params={
                    "feature_set": feature_set.id,
                    "horizon_days": config.horizon_days,
                    "offers": ",".join(offers["offer_id"]),
                    "seed": config.seed,
                    "max_offers": config.nbo.max_offers,
                },
                metrics=metrics,
                tags={
                    "feature_set": feature_set.id,
                    "data_hash": file_digest(files),
                    "git_commit": tracking.git_commit(),
                },
                figures={},
                texts={
                    "model_card.md": card,
                    "per_offer.csv": evaluation.per_offer.to_csv(index=False),
                },
                frames={"evaluation/test.parquet": evaluation.test},
            ),
            experiment=config.experiment,
            model_name=config.model_name,
        )
    timings["track"] = time.perf_counter() - clock
    return JobResult("nbo", evaluation, table, run, timings)


def _card(evaluation: NBOEvaluation, table: FeatureTable) -> str:
    from leadscore.modeling.card import markdown_table

    rankings = pd.DataFrame(evaluation.rankings).T.reset_index(names="ranking")
    return "\n".join(
        [
            "# Model card: next-best offer",
            "",
            f"Feature set `{table.feature_set.id}`; "
            + (
                "one calibrated LightGBM over (lead, offer) pairs, the offer a feature"
                if evaluation.model.pooled is not None
                else "one calibrated LightGBM per offer"
            )
            + "; offers ranked by expected value (propensity x value) among eligible offers.",
            "",
            "Split: " + "; ".join(f"{k}: {v}" for k, v in evaluation.split_ranges.items()),
            "",
            "## Ranking quality on the test set",
            "",
            markdown_table(rankings.round(4)),
            "",
            "## Offers",
            "",
            markdown_table(evaluation.per_offer.round(4)),
            "",
        ]
    )
