"""The model pages of the workspace: what the serving champion is good at and whether it
still works (``/workspace/model``), and its newest monitoring report inside the
workspace's frame (``/workspace/model/monitoring``), in the reader's language."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from leadscore import tracking
from leadscore.common.errors import InputError
from leadscore.scoring.scorer import Scorer
from leadscore.workspace.model_report import ModelReport, ReportCache
from leadscore.workspace.model_words import page_words, report_body, verdict
from leadscore.workspace.users import User


class ModelPages:
    """The two pages, from the champion the ``scorer`` serves and its ``reports``."""

    def __init__(
        self,
        *,
        scorer: Callable[[], Scorer | None],
        reports: Callable[[], ReportCache],
        user: Callable[[Request], User | None],
        page: Callable[..., HTMLResponse],
        refuse: Callable[[Request], Response],
        lang: Callable[[Request], str],
        zone: str,
    ) -> None:
        self.scorer = scorer
        self.reports = reports
        self.user = user
        self.page = page
        self.refuse = refuse
        self.lang = lang
        self.zone = zone

    def _champion_report(self) -> tuple[ModelReport | None, str | None]:
        """The serving champion's report, or why the registry cannot give it now."""
        scorer = self.scorer()
        version = None if scorer is None else scorer.conversion_info.version
        if version is None:
            return None, None
        try:
            return self.reports().report(version), None
        except InputError as exc:  # the registry cannot be read now
            return None, str(exc)

    def model(self, request: Request) -> Response:
        user = self.user(request)
        if user is None:
            return self.refuse(request)
        report, error = self._champion_report()
        said = None if report is None else page_words(report, self.lang(request), self.zone)
        return self.page(request, "model.html", user=user, report=report, error=error, said=said)

    def monitoring(self, request: Request) -> Response:
        """The newest monitoring report of the champion, as MLflow keeps it, in the
        workspace's frame under its verdict in the reader's words."""
        user = self.user(request)
        if user is None:
            return self.refuse(request)
        report, _ = self._champion_report()
        if report is None or report.monitoring is None:
            return self.page(request, "missing.html", status=404, user=user, what="monitoring")
        lang = self.lang(request)
        # the report is leadscore's own page: inline styles and images, no script
        html = tracking.monitoring_report(report.monitoring["run_id"], lang)
        body = report_body(html)
        return self.page(
            request,
            "monitoring.html",
            user=user,
            name=report.name,
            version=report.version,
            retrain=report.monitoring["retrain"],
            verdict=verdict(report.monitoring, lang),
            report_lang=lang if f'<html lang="{lang}">' in html else "en",
            checked=page_words(report, lang, self.zone)["checked"],
            body=body,
        )
