"""How customers respond to offers made: the chance of taking each offer up if it is made,
and of doing the same anyway if it is not; from the two, each offer's expected
incremental value, ``(P(take-up | offered) - P(take-up | not offered)) x value - cost``.
"No offer" is worth 0, so it wins wherever no offer adds value.

``ResponseNBOModel`` serves it where a next-best-offer model is served: offers rank by
incremental value, and each offer's reasons are the exact TreeSHAP values of what making
it adds on the margin.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from leadscore.common.errors import InputError
from leadscore.models.calibrator import Calibrator
from leadscore.models.nbo import NBO_FILE, NBOModel, OfferView
from leadscore.models.nbo_config import NBOConfig
from leadscore.models.propensity import PropensityModel

RESPONSE_DIR = "response"
RESPONSE_FILE = "response.json"
LEARNT_FROM_EXPOSURES = "exposures"


class CalibratedView(OfferView):
    """One offer of a pooled model, with a calibration of its own (fitted on that offer's
    validation rows: a pooled calibration lets one offer's bias tip the ranking)."""

    def __init__(self, pooled: PropensityModel, offer_id: str, calibrator: Calibrator) -> None:
        super().__init__(pooled, offer_id)
        self.calibrator = calibrator


class AveragedOffer:
    """One offer's chance of being taken up by several learners at once: the mean of their
    log-odds. Every member is calibrated by a sigmoid over its margin, so the mean is
    linear in the members' margins and its exact Shapley values are the members', scaled
    by their slopes and averaged."""

    def __init__(self, members: list[OfferModel]) -> None:
        for member in members:
            if member.calibrator.kind != "platt":
                raise ValueError("an average of learners needs sigmoid calibrations")
        self.members = members
        self.encoder = members[0].encoder
        self.metadata = members[0].metadata
        # its margin is log-odds already (so that an average can itself be averaged)
        self.calibrator = Calibrator("platt")

    @property
    def features(self) -> list[str]:
        return self.encoder.features

    def margin(self, matrix: np.ndarray) -> np.ndarray:
        """The mean of the members' calibrated log-odds."""
        return np.mean(
            [m.calibrator.slope * m.margin(matrix) + m.calibrator.intercept for m in self.members],
            axis=0,
        )

    def probability(self, matrix: np.ndarray) -> np.ndarray:
        return self.calibrator(self.margin(matrix))

    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        """Exact Shapley values of ``margin``: one column per feature, then the base."""
        total = np.zeros((len(matrix), len(self.features) + 1))
        for member in self.members:
            total += member.calibrator.slope * member.contributions(matrix)
            total[:, -1] += member.calibrator.intercept
        return total / len(self.members)


OfferModel = PropensityModel | OfferView | AveragedOffer


def _save_models(models: dict[str, OfferModel], directory: Path) -> dict:
    """Each offer's model (or the pooled model once, with each offer's own calibration;
    or each member of an average in a folder of its own) under ``directory``; returns
    what loading them needs to know."""
    first = next(iter(models.values()), None)
    if isinstance(first, AveragedOffer):
        count = len(first.members)
        return {
            "average": [
                _save_models({o: m.members[k] for o, m in models.items()}, directory / str(k))
                for k in range(count)
            ]
        }
    if isinstance(first, OfferView):
        first.pooled.save(directory / "pooled")
        own = {
            offer: model.calibrator.to_json() if isinstance(model, CalibratedView) else None
            for offer, model in models.items()
        }
        return {"pooled": True, "calibrators": own}
    for offer, model in models.items():
        model.save(directory / "offers" / offer)
    return {"pooled": False, "offers": list(models)}


def _load_models(directory: Path, layout: dict) -> dict[str, OfferModel]:
    if "average" in layout:
        members = [
            _load_models(directory / str(k), part) for k, part in enumerate(layout["average"])
        ]
        return {o: AveragedOffer([m[o] for m in members]) for o in members[0]}
    if layout["pooled"]:
        pooled = PropensityModel.load(directory / "pooled")
        return {
            offer: OfferView(pooled, offer)
            if calibrator is None
            else CalibratedView(pooled, offer, Calibrator.from_json(calibrator))
            for offer, calibrator in layout["calibrators"].items()
        }
    return {o: PropensityModel.load(directory / "offers" / o) for o in layout["offers"]}


@dataclass(frozen=True)
class OfferResponse:
    """Per offer, the chance of taking it up if made (``taken``, learnt from offers made)
    and anyway (``anyway``, from customers not offered anything at those moments; where
    an offer has no model there, its rate)."""

    offers: pd.DataFrame  # offer_id, kind, value, cost
    taken: dict[str, OfferModel]
    anyway: dict[str, OfferModel]
    anyway_rates: np.ndarray  # per offer; used where ``anyway`` has no model

    @property
    def offer_ids(self) -> list[str]:
        return self.offers["offer_id"].tolist()

    def probabilities(self, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(with, without): each (rows, offers)."""
        ids = self.offer_ids
        with_offer_made = np.column_stack([self.taken[o].probability(matrix) for o in ids])
        without = np.column_stack(
            [
                self.anyway[o].probability(matrix)
                if o in self.anyway
                else np.full(len(matrix), self.anyway_rates[j])
                for j, o in enumerate(ids)
            ]
        )
        return with_offer_made, without

    def values(self, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each offer's expected value per row, less its cost and the reward paid on its
        take-ups: (incremental, over not making it; take-up, the value of its take-ups
        alone), from one prediction."""
        p_with, p_without = self.probabilities(matrix)
        value, cost, reward = offer_money(self.offers)
        taken_up = p_with * (value - reward) - cost
        return taken_up - p_without * value, taken_up

    def with_models(
        self, taken: dict[str, OfferModel], anyway: dict[str, OfferModel]
    ) -> OfferResponse:
        """The same response with other copies of its models (compiled ones, to serve)."""
        return OfferResponse(self.offers, taken, anyway, self.anyway_rates)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        meta = {
            "offers": self.offers.astype(object)
            .where(self.offers.notna(), None)
            .to_dict(orient="records"),
            "anyway_rates": [float(r) for r in self.anyway_rates],
            "taken": _save_models(self.taken, directory / "taken"),
            "anyway": _save_models(self.anyway, directory / "anyway") if self.anyway else None,
        }
        (directory / RESPONSE_FILE).write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")

    @classmethod
    def load(cls, directory: Path) -> OfferResponse:
        try:
            meta = json.loads((directory / RESPONSE_FILE).read_text())
        except (OSError, ValueError) as exc:
            raise InputError(f"{directory}: not a leadscore offer response ({exc})") from None
        anyway = (
            {} if meta["anyway"] is None else _load_models(directory / "anyway", meta["anyway"])
        )
        return cls(
            pd.DataFrame(meta["offers"]),
            _load_models(directory / "taken", meta["taken"]),
            anyway,
            np.asarray(meta["anyway_rates"], dtype=float),
        )


class IncrementalOffer:
    """One offer as the ranking and its reasons read it: the chance of taking it up if
    made, and the exact TreeSHAP values of what making it adds on the margin (the model
    of taking it up, less the model of doing so anyway: Shapley values add up, so the
    difference of the two is exactly the difference model's). Behaves like a per-offer
    model."""

    def __init__(self, taken: OfferModel, anyway: OfferModel | None) -> None:
        self.taken = taken
        self.anyway = anyway
        self.encoder = taken.encoder
        self.metadata = taken.metadata

    @property
    def features(self) -> list[str]:
        return self.encoder.features

    def margin(self, matrix: np.ndarray) -> np.ndarray:
        """The log-odds making the offer adds: taking it up if made, less anyway."""
        anyway = 0.0 if self.anyway is None else self.anyway.margin(matrix)
        return self.taken.margin(matrix) - anyway

    def probability(self, matrix: np.ndarray) -> np.ndarray:
        return self.taken.probability(matrix)

    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        """TreeSHAP values of ``margin``: one column per feature, then the base value."""
        values = self.taken.contributions(matrix)
        return values if self.anyway is None else values - self.anyway.contributions(matrix)


@dataclass
class ResponseNBOModel(NBOModel):
    """A next-best-offer model learnt from offers made: offers rank by expected
    incremental value, only those worth more than making none are offered, and each
    offer's reasons are those of what making it adds. Serves wherever an NBOModel does;
    build it with ``ResponseNBOModel.of``."""

    response: OfferResponse | None = None

    @classmethod
    def of(
        cls, response: OfferResponse, config: NBOConfig, features: list[str]
    ) -> ResponseNBOModel:
        models = {
            o: IncrementalOffer(response.taken[o], response.anyway.get(o))
            for o in response.offer_ids
        }
        return cls(response.offers, models, {}, config, features, response=response)

    @property
    def splits_by_readiness(self) -> bool:
        """What each offer adds decides, not the conversion grade: a lead not ready to
        buy gets no product because making it would add nothing."""
        return False

    def expected_values(self, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(take-up probability if made, expected incremental value), each (rows, offers)."""
        p_with, p_without = self.response.probabilities(matrix)
        value, cost, reward = offer_money(self.offers)
        return p_with, p_with * (value - reward) - p_without * value - cost

    def rank(
        self,
        propensity: np.ndarray,
        eligible: np.ndarray,
        expected: np.ndarray | None = None,
        *,
        lang: str = "en",
    ) -> list[list[dict]]:
        """As NBOModel's, by incremental value (``expected_values``); an offer worth no
        more than making none is not listed (an empty list: make no offer)."""
        if expected is None:
            raise ValueError("a response model ranks by incremental value: pass expected_values")
        return super().rank(propensity, eligible & (expected > 0), expected, lang=lang)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.response.save(directory / RESPONSE_DIR)
        meta = {
            "learnt_from": LEARNT_FROM_EXPOSURES,
            "config": self.config.model_dump(mode="json"),
            "features": self.features,
        }
        (directory / NBO_FILE).write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")

    @classmethod
    def load(cls, directory: Path) -> ResponseNBOModel:
        meta = json.loads((directory / NBO_FILE).read_text())
        response = OfferResponse.load(directory / RESPONSE_DIR)
        return cls.of(response, NBOConfig.model_validate(meta["config"]), meta["features"])


def learnt_from_exposures(directory: Path) -> bool:
    """Whether the next-best-offer model in ``directory`` is a ResponseNBOModel."""
    meta = json.loads((directory / NBO_FILE).read_text())
    return meta.get("learnt_from") == LEARNT_FROM_EXPOSURES


def offer_money(offers: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each offer's value (earned on a take-up), cost (paid for every offer made) and
    reward (paid to the customer on a take-up); 0 where the catalog gives none (a model
    saved before rewards had none)."""

    def column(name: str) -> np.ndarray:
        if name not in offers.columns:
            return np.zeros(len(offers))
        return offers[name].astype(float).fillna(0.0).to_numpy()

    return column("value"), column("cost"), column("reward")
