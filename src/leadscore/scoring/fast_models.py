"""Serving copies of the models: margins and TreeSHAP values from the compiled explainer
(``leadscore.models.treeshap``), the same values several times faster. The models given
are left as they are; importing this module loads numba."""

from __future__ import annotations

import copy
import dataclasses

from leadscore.models.conversion import ConversionPredictor
from leadscore.models.nbo import NBOModel, OfferView
from leadscore.models.nbo_explainer import PooledExplainer
from leadscore.models.offer_response import AveragedOffer, OfferModel, ResponseNBOModel
from leadscore.models.propensity import PropensityModel
from leadscore.models.tree_tables import UnsupportedModel
from leadscore.models.treeshap import fast_treeshap


def fast_propensity(model: PropensityModel) -> PropensityModel:
    """A copy that explains with the compiled TreeSHAP where the booster allows it."""
    if model.fast is not None or model.algorithm != "lightgbm":
        return model  # compiled already, or a linear model: numpy is as fast
    return dataclasses.replace(model, fast=fast_treeshap(model.booster))


def fast_conversion(conversion: ConversionPredictor) -> ConversionPredictor:
    return ConversionPredictor(fast_propensity(conversion.model))


def fast_offer_models(models: dict[str, OfferModel]) -> dict[str, OfferModel]:
    """Copies of per-offer models or of views of one pooled model (compiled once, each
    view keeping its own calibration)."""
    first = next(iter(models.values()), None)
    if isinstance(first, AveragedOffer):  # each member's models, compiled as above
        count = len(first.members)
        members = [
            fast_offer_models({o: m.members[k] for o, m in models.items()}) for k in range(count)
        ]
        return {o: AveragedOffer([m[o] for m in members]) for o in models}
    compiled: dict[int, PropensityModel] = {}
    out: dict[str, OfferModel] = {}
    for offer, model in models.items():
        if isinstance(model, OfferView):
            key = id(model.pooled)
            if key not in compiled:
                compiled[key] = fast_propensity(model.pooled)
            view = copy.copy(model)
            view.pooled = compiled[key]
            out[offer] = view
        else:
            out[offer] = fast_propensity(model)
    return out


def fast_nbo(nbo: NBOModel) -> NBOModel:
    """A copy whose pooled offers share the trees that never read the offer, or whose
    every offer model is compiled on its own."""
    if isinstance(nbo, ResponseNBOModel):
        response = nbo.response.with_models(
            fast_offer_models(nbo.response.taken), fast_offer_models(nbo.response.anyway)
        )
        return ResponseNBOModel.of(response, nbo.config, nbo.features)
    pooled = nbo.pooled
    if pooled is not None:
        try:
            return dataclasses.replace(nbo, pooled_fast=PooledExplainer(pooled))
        except UnsupportedModel:
            fast_pool = fast_propensity(pooled)
            views = {offer: OfferView(fast_pool, offer) for offer in nbo.models}
            return dataclasses.replace(nbo, models=views)
    models = {offer: fast_propensity(model) for offer, model in nbo.models.items()}
    return dataclasses.replace(nbo, models=models)
