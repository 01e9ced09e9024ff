"""The pure scorer: models in, explained scores and ranked, explained offers out.

It reads nothing and writes nothing: known customers' features come from the feature
table (``feature_table``) or the store (``live``), records' features from
``records``, and the score log is written by ``log_writer``. A PureScorer never changes
the models it is given: ``fast_models`` gives it compiled copies (the same values, several
times faster), as batch scoring and the service use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from leadscore.common.errors import InputError
from leadscore.explain import ReasonWriter
from leadscore.features.definitions import Description, FeatureSetDefinition
from leadscore.models.conversion import ConversionPredictor
from leadscore.models.nbo import NBOModel, OfferView
from leadscore.models.propensity import PropensityModel
from leadscore.scoring.encoded import (
    LOCAL_MODEL,
    ConversionParts,
    EncodedLeads,
    ModelInfo,
    impacts_row,
)
from leadscore.scoring.fast_models import fast_conversion, fast_nbo
from leadscore.store.score_log import LoggedScore

OFFER_REASONS = 3


def _descriptions(model: PropensityModel | OfferView) -> dict[str, tuple[Description, object]]:
    raw = model.metadata.get("descriptions", {})
    out = {}
    for name in model.features:
        info = raw.get(name) or {
            "en": f"{name}: {{value}}",
            "de": f"{name}: {{value}}",
            "window": None,
        }
        out[name] = (Description.from_metadata(info), info.get("window"))
    return out


@dataclass(frozen=True, eq=False)
class PureScorer:
    """Scores, reasons and offers for encoded leads or feature rows. Without a conversion
    model (``None``: batch scoring of a next-best-offer model alone) results hold the offers
    only, and every eligible offer is open to every lead (there is no grade to tell sales
    readiness). Build one with ``of`` (as given) or ``compiled`` (on fast copies)."""

    conversion: ConversionPredictor | None
    nbo: NBOModel | None = None
    conversion_info: ModelInfo = LOCAL_MODEL
    nbo_info: ModelInfo | None = None

    @classmethod
    def of(
        cls,
        conversion: ConversionPredictor | None,
        nbo: NBOModel | None = None,
        *,
        conversion_info: ModelInfo = LOCAL_MODEL,
        nbo_info: ModelInfo | None = None,
    ) -> PureScorer:
        """A scorer on these models; an offer model that could model no offer has nothing
        to rank, so it counts as none."""
        offers = nbo if nbo is not None and nbo.models else None
        if conversion is None and offers is None:
            raise InputError("nothing to score with: neither a conversion nor an offer model")
        scorer = cls(conversion, offers, conversion_info, nbo_info)
        # the sentences are made at load, not at the first request: a model whose
        # descriptions cannot be read fails its load, and the service keeps the one it has
        if conversion is not None:
            _ = scorer.conversion_writer
        if offers is not None:
            _ = scorer.offer_writer
        return scorer

    @classmethod
    def compiled(
        cls,
        conversion: ConversionPredictor | None,
        nbo: NBOModel | None = None,
        *,
        conversion_info: ModelInfo = LOCAL_MODEL,
        nbo_info: ModelInfo | None = None,
    ) -> PureScorer:
        """A scorer on compiled copies of the models (see ``fast_models``)."""
        return cls.of(
            None if conversion is None else fast_conversion(conversion),
            None if nbo is None else fast_nbo(nbo),
            conversion_info=conversion_info,
            nbo_info=nbo_info,
        )

    @property
    def conversion_model(self) -> PropensityModel:
        """The conversion model, which a scorer of scores has (an InputError otherwise)."""
        if self.conversion is None:
            raise InputError("this scorer has no conversion model, so it gives no scores")
        return self.conversion.model

    @property
    def offers(self) -> NBOModel:
        """The offer model, which a scorer of offers has (an InputError otherwise)."""
        if self.nbo is None:
            raise InputError("this scorer has no next-best-offer model")
        return self.nbo

    @property
    def first_offer(self) -> PropensityModel | OfferView:
        """One offer's model: every offer shares the lead features, their texts and set."""
        return next(iter(self.offers.models.values()))

    @cached_property
    def conversion_writer(self) -> ReasonWriter:
        model = self.conversion_model
        typical = model.metadata.get("typical_impacts")  # absent from older models
        return ReasonWriter(model.encoder, _descriptions(model), typical)

    @cached_property
    def offer_writer(self) -> ReasonWriter:
        """The offers' models share the lead features' texts."""
        return ReasonWriter(self.offers.encoder, _descriptions(self.first_offer))

    @property
    def feature_set(self) -> FeatureSetDefinition:
        """The conversion model's feature set (the offer model's, where it scores alone)."""
        model = self.conversion.model if self.conversion is not None else self.first_offer
        return FeatureSetDefinition.model_validate(model.metadata["feature_set_definition"])

    def check_table(self, columns: Sequence[str]) -> None:
        """An InputError naming the model, its feature set and the command that builds a
        table it can score, when ``columns`` lack any of the models' features."""
        for info, needed, feature_set in self._needs():
            missing = [f for f in needed if f not in set(columns)]
            if missing:
                shown = ", ".join(missing[:8]) + (" ..." if len(missing) > 8 else "")
                raise InputError(
                    f"the feature table lacks {len(missing)} of the {len(needed)} features of "
                    f"{info.name} v{info.version} ({shown}); that model reads feature set "
                    f"{feature_set}: build the table with `leadscore features SOURCE "
                    f"--feature-set {feature_set} --out table.parquet`"
                )

    def _needs(self) -> list[tuple[ModelInfo, list[str], str]]:
        needs = []
        if self.conversion is not None:
            model = self.conversion.model
            needs.append((self.conversion_info, list(model.features), self.feature_set.id))
        if self.nbo is not None and self.nbo_info is not None:
            offer_set = self.first_offer.metadata.get("feature_set", "?")
            needs.append((self.nbo_info, list(self.nbo.features), offer_set))
        return needs

    def encode(self, frame: pd.DataFrame) -> EncodedLeads:
        ids = (
            frame["customer_id"].astype("object").map(str).tolist()
            if "customer_id" in frame
            else [None] * len(frame)
        )
        conversion = (
            None if self.conversion is None else self.conversion.model.encoder.matrix(frame)
        )
        if self.nbo is None:
            return EncodedLeads(ids, conversion, None, None)
        return EncodedLeads(
            ids, conversion, self.nbo.encoder.matrix(frame), self.nbo.allowed(frame)
        )

    def score_frame(self, frame: pd.DataFrame, *, lang: str = "en", top_k: int = 5) -> list[dict]:
        """Explained scores (and offers) for feature rows, vectorised over the batch."""
        return self.score_encoded(self.encode(frame), lang=lang, top_k=top_k)

    def conversion_parts(self, matrix: np.ndarray) -> ConversionParts:
        """The conversion model's exact explanation of encoded rows and what follows from
        it: margin, calibrated probability, score and grade."""
        if self.conversion is None:
            raise InputError("this scorer has no conversion model, so it gives no scores")
        model = self.conversion.model
        contributions = model.contributions(matrix)
        margin = contributions.sum(axis=1)
        probability = model.calibrator(margin)
        bands = self.conversion.bands
        scores, grades = bands.score(margin, probability), bands.grades(margin, probability)
        return ConversionParts(contributions, margin, probability, scores, grades)

    def score_encoded(
        self,
        leads: EncodedLeads,
        *,
        lang: str,
        top_k: int,
        parts: ConversionParts | None = None,
    ) -> list[dict]:
        """Explained scores of encoded leads (``parts``: their conversion parts, where
        worked out already)."""
        if self.conversion is None:
            offers = self.ranked_offers(leads, None, lang)
            info = None if self.nbo_info is None else self.nbo_info.as_dict()
            return [
                {"customer_id": customer_id, "next_best_offers": offers[i], "model": info}
                for i, customer_id in enumerate(leads.customer_ids)
            ]
        parts = parts or self.conversion_parts(leads.conversion_rows)
        contributions, margin, probability = parts.contributions, parts.margin, parts.probability
        scores, grades = parts.scores, parts.grades
        offers = (
            self.ranked_offers(leads, grades, lang)
            if self.nbo is not None
            else [[] for _ in leads.customer_ids]
        )
        reasons = self.conversion_writer.reasons(
            contributions, leads.conversion_rows, top_k=top_k, lang=lang
        )
        model_info = self.conversion_info.as_dict()
        return [
            {
                "customer_id": customer_id,
                "probability": float(probability[i]),
                "score": int(scores[i]),
                "grade": str(grades[i]),
                "base_value": float(contributions[i, -1]),
                "margin": float(margin[i]),
                "reasons": reasons[i],
                "next_best_offers": offers[i],
                "model": model_info,
            }
            for i, customer_id in enumerate(leads.customer_ids)
        ]

    def ranked_offers(
        self, leads: EncodedLeads, grades: np.ndarray | None, lang: str
    ) -> list[list[dict]]:
        """Ranked, explained offers; without grades (or with a model that learnt what
        each offer adds) every eligible offer is open."""
        nbo = self.offers
        rows_of_leads = leads.offer_rows
        propensity, expected = nbo.expected_values(rows_of_leads)
        if grades is None or not nbo.splits_by_readiness:
            eligible = leads.allowed
        else:
            ready = np.isin(grades, nbo.config.sales_ready_grades)
            eligible = nbo.for_readiness(leads.allowed, ready)
        ranked = nbo.rank(propensity, eligible, expected, lang=lang)
        explained, rows = [], []
        for i, offers in enumerate(ranked):
            for offer in offers:
                if offer["offer_id"] in nbo.models:
                    explained.append(offer)
                    rows.append(i)
                else:  # an offer without a model ranks by its base rate: nothing to explain
                    offer["reasons"] = []
        if not explained:
            return ranked
        # each offer's reasons are its own: what makes it more likely than the lead's
        # other offers (one TreeSHAP pass for every offer of these leads), among the
        # features that may explain an offer of its kind
        explained_leads, at = np.unique(rows, return_inverse=True)
        shown: list[set[str]] = [set() for _ in explained_leads]
        for k, offer in zip(at, explained, strict=True):
            shown[k].add(offer["kind"])
        modelled, relative = nbo.relative_contributions(rows_of_leads, explained_leads, shown)
        slot = {offer: j for j, offer in enumerate(modelled)}
        pairs = relative[at, [slot[o["offer_id"]] for o in explained]]
        for kind in {o["kind"] for o in explained}:
            of_kind = np.array([o["kind"] == kind for o in explained])
            pairs[np.ix_(of_kind, np.flatnonzero(~nbo.reason_mask(kind)))] = 0.0
        reasons = self.offer_writer.reasons(
            pairs, rows_of_leads[np.asarray(rows)], top_k=OFFER_REASONS, lang=lang
        )
        for offer, offer_reasons in zip(explained, reasons, strict=True):
            offer["reasons"] = offer_reasons
        return ranked

    def logged_reasons(
        self, entries: Sequence[LoggedScore], *, lang: str, top_k: int
    ) -> list[list[dict]]:
        """The reasons of logged scores (their exact impacts, their feature values), as a
        result's ``reasons`` say them, with the model serving now's sentences."""
        if not entries:
            return []
        model = self.conversion_model
        names = list(model.features)
        matrix = model.encoder.matrix(pd.DataFrame([e.features for e in entries], columns=names))
        contributions = np.vstack([impacts_row(e.impacts, names, e.base_value) for e in entries])
        return self.conversion_writer.reasons(contributions, matrix, top_k=top_k, lang=lang)
