"""The workspace's words in German and English, and which language a request gets."""

from __future__ import annotations

from collections.abc import Mapping

LANGS = ("de", "en")
LANG_COOKIE = "leadscore_lang"

TEXTS: dict[str, dict[str, str]] = {
    "workspace": {"en": "Sales workspace", "de": "Vertriebs-Arbeitsplatz"},
    "leads": {"en": "Leads", "de": "Leads"},
    "fairs": {"en": "Trade fairs", "de": "Messen"},
    "model": {"en": "Model", "de": "Modell"},
    "sign_in": {"en": "Sign in", "de": "Anmelden"},
    "sign_out": {"en": "Sign out", "de": "Abmelden"},
    "user": {"en": "User", "de": "Benutzer"},
    "password": {"en": "Password", "de": "Passwort"},
    "bad_login": {
        "en": "That user name and password do not match.",
        "de": "Benutzername und Passwort passen nicht zusammen.",
    },
    "locked": {
        "en": "Too many failed sign-ins for this name or from this address: try again in "
        "{minutes} min.",
        "de": "Zu viele fehlgeschlagene Anmeldungen für diesen Namen oder von dieser "
        "Adresse: in {minutes} Min. noch einmal versuchen.",
    },
    "forged": {
        "en": "This form did not come from this workspace's page (or the page was too old): "
        "nothing was done. Open the page again and send it from there.",
        "de": "Dieses Formular kam nicht von einer Seite dieses Arbeitsplatzes (oder die Seite "
        "war zu alt): nichts wurde getan. Die Seite neu öffnen und von dort absenden.",
    },
    "needs_store": {
        "en": "Signing in needs the store (its sessions are kept there): start the service "
        "with LEADSCORE_DATABASE_URL, or with leadscore serve where the store is.",
        "de": "Die Anmeldung braucht den Store (dort liegen die Sitzungen): den Dienst mit "
        "LEADSCORE_DATABASE_URL starten, oder mit leadscore serve, wo der Store ist.",
    },
    "no_users": {
        "en": "No users yet: add one with `leadscore workspace-user NAME`.",
        "de": "Noch keine Benutzer: mit `leadscore workspace-user NAME` einen anlegen.",
    },
    "signed_in_as": {"en": "Signed in as", "de": "Angemeldet als"},
    "skip": {"en": "Skip to content", "de": "Zum Inhalt springen"},
    "lead": {"en": "Lead", "de": "Lead"},
    "score": {"en": "Score", "de": "Score"},
    "grade": {"en": "Grade", "de": "Klasse"},
    "all": {"en": "all", "de": "alle"},
    "week": {"en": "Since last week", "de": "Seit letzter Woche"},
    "reasons": {"en": "Why", "de": "Warum"},
    "offer": {"en": "Next best offer", "de": "Nächstes Angebot"},
    "last_activity": {"en": "Last activity", "de": "Letzte Aktivität"},
    "search": {"en": "Search name, company, e-mail, id", "de": "Name, Firma, E-Mail, ID suchen"},
    "filter": {"en": "Filter", "de": "Filtern"},
    "rising": {"en": "rising only", "de": "nur steigende"},
    "campaign": {"en": "Campaign or fair", "de": "Kampagne oder Messe"},
    "territory": {"en": "Territory", "de": "Gebiet"},
    "contact": {"en": "Contact", "de": "Kontakt"},
    "profile": {"en": "Profile", "de": "Profil"},
    "when": {"en": "When", "de": "Wann"},
    "channel": {"en": "Channel", "de": "Kanal"},
    "what": {"en": "What", "de": "Was"},
    "value": {"en": "Value", "de": "Wert"},
    "export": {"en": "Export CSV", "de": "CSV exportieren"},
    "showing": {
        "en": "{first} to {last} of {total} leads",
        "de": "{first} bis {last} von {total} Leads",
    },
    "none_found": {"en": "No lead matches.", "de": "Kein Lead passt."},
    "store_away": {
        "en": "The lead store cannot be reached just now. Try again in a few seconds.",
        "de": "Der Lead-Speicher ist gerade nicht erreichbar. Bitte in ein paar Sekunden "
        "erneut versuchen.",
    },
    "try_again": {"en": "Try again", "de": "Erneut versuchen"},
    "previous": {"en": "Previous", "de": "Zurück"},
    "next": {"en": "Next", "de": "Weiter"},
    "history": {"en": "Score history", "de": "Score-Verlauf"},
    "why_changed": {"en": "Why it changed", "de": "Warum er sich geändert hat"},
    "since_previous": {
        "en": "Since the score of {when} ({before} → {now})",
        "de": "Seit dem Score vom {when} ({before} → {now})",
    },
    "no_change_yet": {
        "en": "No earlier score to compare with yet.",
        "de": "Noch kein früherer Score zum Vergleich.",
    },
    "all_reasons": {"en": "What makes this lead stand out", "de": "Was diesen Lead ausmacht"},
    "more_reasons": {
        "en": "and {count} smaller reasons",
        "de": "und {count} kleinere Gründe",
    },
    "up": {"en": "raises the score", "de": "hebt den Score"},
    "down": {"en": "lowers the score", "de": "senkt den Score"},
    "offers": {"en": "Offers", "de": "Angebote"},
    "no_offers": {"en": "No offer for this lead now.", "de": "Derzeit kein Angebot."},
    "timeline": {"en": "Timeline", "de": "Verlauf der Aktivitäten"},
    "no_events": {"en": "No activity recorded.", "de": "Keine Aktivität erfasst."},
    "not_scored": {
        "en": "Not scored yet: the next rescore or request scores it.",
        "de": "Noch nicht bewertet: der nächste Rescore oder Aufruf bewertet ihn.",
    },
    "scanned": {"en": "leads scanned", "de": "gescannte Leads"},
    "fair_intro": {
        "en": "The leads scanned at {fair}, best first: what to say and what to offer.",
        "de": "Die auf der {fair} gescannten Leads, die besten zuerst: was sagen, was anbieten.",
    },
    "say": {"en": "What to say", "de": "Was sagen"},
    # the trade-fair follow-up
    "fair_days": {"en": "Days", "de": "Tage"},
    "contacted": {"en": "Contacted", "de": "Kontaktiert"},
    "meetings": {"en": "Meetings", "de": "Termine"},
    "converted": {"en": "Converted", "de": "Abgeschlossen"},
    "scanned_at": {"en": "Scanned", "de": "Gescannt"},
    "follow_up": {"en": "Follow-up", "de": "Nachfassen"},
    "booth_note": {"en": "At the booth", "de": "Am Stand"},
    "booth_interest": {"en": "Interest: {interest}", "de": "Interesse: {interest}"},
    "wants_call": {"en": "wants a call", "de": "wünscht Rückruf"},
    "due_open": {
        "en": "follow up within 48 hours: by {due}",
        "de": "binnen 48 Stunden nachfassen: bis {due}",
    },
    "due_missed": {"en": "Overdue", "de": "Überfällig"},
    "due_missed_since": {
        "en": "was due by {due}: follow up now",
        "de": "war fällig bis {due}: jetzt nachfassen",
    },
    "due_done": {"en": "Followed up {when}", "de": "Nachgefasst am {when}"},
    "scans_showing": {
        "en": "{first} to {last} of {total} scanned leads, the one to call first on top",
        "de": "{first} bis {last} von {total} gescannten Leads, wer zuerst anzurufen ist, oben",
    },
    "import_scans": {"en": "Import badge scans", "de": "Badge-Scans importieren"},
    "import_hint": {
        "en": "A CSV as the scanner app exports it (up to 5 MB): German or English headers, "
        "times in the fair's local time.",
        "de": "Eine CSV, wie die Scanner-App sie exportiert (bis 5 MB): deutsche oder englische "
        "Spalten, Zeiten in der Ortszeit der Messe.",
    },
    "fair_name": {"en": "Fair", "de": "Messe"},
    "scan_file": {"en": "Scan file (CSV)", "de": "Scan-Datei (CSV)"},
    "import": {"en": "Import", "de": "Importieren"},
    "imported": {
        "en": "{taken} scans imported ({repeated} of them already known, {new} new leads).",
        "de": "{taken} Scans importiert ({repeated} davon schon bekannt, {new} neue Leads).",
    },
    "import_result": {
        "en": "{read} rows read: {taken} scans imported, {rejected} rows rejected.",
        "de": "{read} Zeilen gelesen: {taken} Scans importiert, {rejected} Zeilen abgelehnt.",
    },
    "rejected_rows": {"en": "Rejected rows", "de": "Abgelehnte Zeilen"},
    "row": {"en": "Row", "de": "Zeile"},
    "column": {"en": "Column", "de": "Spalte"},
    "problem": {"en": "What to do", "de": "Was tun"},
    "unmapped": {
        "en": "Columns left out (no field maps them): {columns}",
        "de": "Nicht übernommene Spalten (keinem Feld zugeordnet): {columns}",
    },
    "to_fair": {"en": "To the fair's leads", "de": "Zu den Leads der Messe"},
    "upload_too_large": {
        "en": "The file is larger than {limit} MB: split the export and import the parts.",
        "de": "Die Datei ist größer als {limit} MB: den Export teilen und die Teile importieren.",
    },
    "upload_no_fair": {
        "en": "No fair named (or a name over 200 characters): enter the fair's name.",
        "de": "Keine Messe angegeben (oder ein Name über 200 Zeichen): den Namen der Messe "
        "eingeben.",
    },
    "upload_no_file": {
        "en": "No file sent, or an empty one: choose the scanner app's CSV export.",
        "de": "Keine Datei gesendet oder eine leere: den CSV-Export der Scanner-App wählen.",
    },
    "scan_empty": {
        "en": "The file is empty; export the scans again.",
        "de": "Die Datei ist leer; die Scans neu exportieren.",
    },
    "scan_no_date_column": {
        "en": "No column holds the scan date (columns: {columns}); name it in the scan "
        "mapping's columns:",
        "de": "Keine Spalte enthält das Scan-Datum (Spalten: {columns}); sie im Mapping "
        "unter columns: nennen",
    },
    "scan_no_who_column": {
        "en": "No column holds an e-mail or a name (columns: {columns}); name it in the scan "
        "mapping's columns:",
        "de": "Keine Spalte enthält E-Mail oder Namen (Spalten: {columns}); sie im Mapping "
        "unter columns: nennen",
    },
    "scan_no_who": {
        "en": "No e-mail and no name: add either, or drop the row.",
        "de": "Weder E-Mail noch Name: eins davon ergänzen oder die Zeile streichen.",
    },
    "scan_bad_email": {
        "en": "{value!r} is not an e-mail address: correct it.",
        "de": "{value!r} ist keine E-Mail-Adresse: korrigieren.",
    },
    "scan_no_date": {
        "en": "No scan date: add when the badge was scanned.",
        "de": "Kein Scan-Datum: ergänzen, wann der Badge gescannt wurde.",
    },
    "upload_not_allowed": {
        "en": "Scans are imported by a manager or a user of every territory: a scan file "
        "names leads of every territory.",
        "de": "Scans importiert eine Führungskraft oder ein Benutzer aller Gebiete: eine "
        "Scan-Datei nennt Leads aus allen Gebieten.",
    },
    "scan_bad_date": {
        "en": "{value!r} is not a date leadscore reads: write it as 03.12.2026 14:05 or "
        "2026-12-03 14:05 (an app's own format: see the scan mapping in the docs).",
        "de": "{value!r} ist kein lesbares Datum: als 03.12.2026 14:05 oder 2026-12-03 14:05 "
        "schreiben (ein eigenes Format der App: siehe Scan-Mapping in der Doku).",
    },
    "scan_bad_call": {
        "en": "{value!r} is neither yes nor no: write ja/nein or yes/no.",
        "de": "{value!r} ist weder ja noch nein: ja/nein oder yes/no schreiben.",
    },
    "scan_before_lead": {
        "en": "The scan lies before lead {lead} came into the store ({day}): check the "
        "scan's date, or the lead's.",
        "de": "Der Scan liegt vor dem Tag, an dem Lead {lead} in den Store kam ({day}): das "
        "Datum des Scans oder des Leads prüfen.",
    },
    "no_fairs": {"en": "No trade-fair scans yet.", "de": "Noch keine Messe-Scans."},
    "trained": {"en": "Trained", "de": "Trainiert"},
    "version": {"en": "Version", "de": "Version"},
    "accuracy": {"en": "Accuracy on the test set", "de": "Genauigkeit auf den Testdaten"},
    "metric": {"en": "Metric", "de": "Kennzahl"},
    "champion": {"en": "Champion", "de": "Champion"},
    "per_grade": {"en": "Conversion per grade", "de": "Abschluss je Klasse"},
    "share": {"en": "Share of leads", "de": "Anteil der Leads"},
    "conversion": {"en": "Conversion rate", "de": "Abschlussquote"},
    "calibration": {"en": "Calibration", "de": "Kalibrierung"},
    "model_card": {"en": "Model card", "de": "Modellkarte"},
    "drift": {"en": "Drift", "de": "Drift"},
    "monitoring_report": {
        "en": "the whole monitoring report",
        "de": "der ganze Überwachungsbericht",
    },
    "no_monitoring": {
        "en": "Not monitored yet: run `leadscore monitor` for a drift report.",
        "de": "Noch nicht überwacht: `leadscore monitor` erstellt einen Drift-Bericht.",
    },
    "good_at": {"en": "What the model is good at", "de": "Was das Modell kann"},
    "still_works": {"en": "Does it still work?", "de": "Funktioniert es noch?"},
    "details": {"en": "Details", "de": "Details"},
    "monitoring": {"en": "Monitoring", "de": "Überwachung"},
    "back_to_model": {"en": "Back to the model", "de": "Zurück zum Modell"},
    "no_model": {"en": "No champion model is serving.", "de": "Kein Champion-Modell aktiv."},
    "language": {"en": "Deutsch", "de": "English"},
    "days_ago": {"en": "{days} days ago", "de": "vor {days} Tagen"},
    "today": {"en": "today", "de": "heute"},
    "new": {"en": "new", "de": "neu"},
    "actions": {"en": "Record what happened", "de": "Festhalten, was geschah"},
    "note": {"en": "Note (optional)", "de": "Notiz (optional)"},
    "unknown_action": {
        "en": "That is not an action of the workspace: nothing was recorded. Use one of the "
        "lead page's buttons.",
        "de": "Das ist keine Aktion des Arbeitsplatzes: nichts wurde festgehalten. Einen der "
        "Knöpfe auf der Lead-Seite verwenden.",
    },
    "note_too_long": {
        "en": "The note is longer than {limit} characters: nothing was recorded.",
        "de": "Die Notiz ist länger als {limit} Zeichen: nichts wurde festgehalten.",
    },
    "last_action": {"en": "Last action", "de": "Letzte Aktion"},
    # whose a lead is: views, taking a lead, putting it aside
    "view": {"en": "Show", "de": "Anzeigen"},
    "view_all": {"en": "all leads", "de": "alle Leads"},
    "view_mine": {"en": "my leads", "de": "meine Leads"},
    "view_territory": {"en": "my territory", "de": "mein Gebiet"},
    "my_leads": {"en": "My leads", "de": "Meine Leads"},
    "owner": {"en": "Owner", "de": "Zuständig"},
    "take": {"en": "Take this lead", "de": "Lead übernehmen"},
    "taken_by_you": {"en": "This lead is yours.", "de": "Dieser Lead gehört Ihnen."},
    "snooze": {"en": "Put aside for", "de": "Zurückstellen für"},
    "snooze_day": {"en": "1 day", "de": "1 Tag"},
    "snooze_days": {"en": "{days} days", "de": "{days} Tage"},
    "snoozed_until": {"en": "Put aside until {day}", "de": "Zurückgestellt bis {day}"},
    "with_snoozed": {"en": "with those put aside", "de": "auch zurückgestellte"},
    "bad_snooze": {
        "en": "Choose for how many days to put the lead aside (1 to {limit}).",
        "de": "Bitte wählen, für wie viele Tage der Lead zurückgestellt wird (1 bis {limit}).",
    },
    "why_now": {"en": "Why now", "de": "Warum jetzt"},
    # the model and monitoring pages (workspace/model_words.py)
    "model_grade": {
        "de": "Von {base} Leads der Klasse {grade} kaufen etwa {buyers}{within}.",
        "en": "Of {base} class-{grade} leads about {buyers} buy{within}.",
    },
    "model_within": {"de": " innerhalb von {days} Tagen", "en": " within {days} days"},
    "model_average": {
        "de": "Im Schnitt kauft 1 von {one_in} Leads.",
        "en": "On average 1 in {one_in} leads buys.",
    },
    "model_trained_on": {"de": "Trainiert am {day}", "en": "Trained on {day}"},
    "model_works": {"de": "Funktioniert noch: ja", "en": "Still works: yes"},
    "model_retrain": {"de": "Neu trainieren empfohlen", "en": "Retraining recommended"},
    "model_changed": {
        "de": "{drifted} von {features} Merkmalen haben sich verändert",
        "en": "{drifted} of {features} features have changed",
    },
    "model_checked": {
        "de": "geprüft an den Leads von {since} bis {until}",
        "en": "checked on the leads from {since} to {until}",
    },
}

# the workspace's names of the canonical event types
EVENT_LABELS: dict[str, dict[str, str]] = {
    "page_view": {"en": "Website page", "de": "Website-Seite"},
    "pricing_page_view": {"en": "Pricing page", "de": "Preisseite"},
    "product_page_view": {"en": "Product page", "de": "Produktseite"},
    "email_open": {"en": "E-mail opened", "de": "E-Mail geöffnet"},
    "email_click": {"en": "E-mail link clicked", "de": "Link in E-Mail geklickt"},
    "download": {"en": "Download", "de": "Download"},
    "webinar_registered": {"en": "Webinar registration", "de": "Webinar-Anmeldung"},
    "webinar_attended": {"en": "Webinar attended", "de": "Webinar besucht"},
    "trade_fair_visit": {"en": "Trade-fair scan", "de": "Messe-Scan"},
    "call": {"en": "Call", "de": "Anruf"},
    "meeting": {"en": "Meeting", "de": "Termin"},
    "quote_request": {"en": "Quote request", "de": "Angebotsanfrage"},
    "purchase": {"en": "Purchase", "de": "Kauf"},
    "offer_received": {"en": "Offer sent", "de": "Angebot gesendet"},
    "offer_viewed": {"en": "Offer viewed", "de": "Angebot angesehen"},
    "offer_completed": {"en": "Offer taken up", "de": "Angebot angenommen"},
    "rep_call_reached": {"en": "Called: reached", "de": "Angerufen: erreicht"},
    "rep_call_not_reached": {"en": "Called: not reached", "de": "Angerufen: nicht erreicht"},
    "rep_meeting_booked": {"en": "Meeting booked", "de": "Termin vereinbart"},
    "rep_not_interested": {"en": "Not interested", "de": "Kein Interesse"},
    "rep_note": {"en": "Note", "de": "Notiz"},
    "rep_took_lead": {"en": "Took the lead", "de": "Lead übernommen"},
    "rep_snoozed": {"en": "Put aside", "de": "Zurückgestellt"},
}


# the channels events come through, as a rep reads them (others: the code in words)
CHANNEL_LABELS = {
    "organic_search": {"en": "Organic search", "de": "Organische Suche"},
    "paid_search": {"en": "Paid search", "de": "Bezahlte Suche"},
    "direct": {"en": "Direct", "de": "Direkt"},
    "email": {"en": "E-mail", "de": "E-Mail"},
    "referral": {"en": "Referral", "de": "Empfehlung"},
    "web": {"en": "Website", "de": "Website"},
    "webinar": {"en": "Webinar", "de": "Webinar"},
    "trade_fair": {"en": "Trade fair", "de": "Messe"},
    "sales": {"en": "Sales", "de": "Vertrieb"},
    "offer": {"en": "Offer", "de": "Angebot"},
}


def channel_label(channel: str, lang: str) -> str:
    """A channel's name as a rep reads it: ``paid_search`` as "Bezahlte Suche"."""
    known = CHANNEL_LABELS.get(channel, {}).get(lang)
    return known or channel.replace("_", " ").strip().capitalize()


# profile fields as a rep reads them (others: the field's name in words)
PROFILE_LABELS = {
    "industry": {"en": "Industry", "de": "Branche"},
    "company_size": {"en": "Company size", "de": "Unternehmensgröße"},
    "country": {"en": "Country", "de": "Land"},
    "lead_source": {"en": "Lead source", "de": "Herkunft"},
    "account_id": {"en": "Account id", "de": "Konto-Nr."},
    "job_title": {"en": "Job title", "de": "Position"},
    "name": {"en": "Name", "de": "Name"},
    "company": {"en": "Company", "de": "Firma"},
    "email": {"en": "E-mail", "de": "E-Mail"},
    "phone": {"en": "Phone", "de": "Telefon"},
    "owner": {"en": "Owner", "de": "Zuständig"},
    "territory": {"en": "Territory", "de": "Gebiet"},
    "first_touch_channel": {"en": "First contact", "de": "Erster Kontakt"},
}


def profile_label(field: str, lang: str) -> str:
    """A profile field's name as a rep reads it: ``company_size`` as "Unternehmensgröße"."""
    known = PROFILE_LABELS.get(field, {}).get(lang)
    return known or field.replace("_", " ").strip().capitalize()


def text(key: str, lang: str, **values: object) -> str:
    words = TEXTS[key][lang]
    return words.format(**values) if values else words


def event_label(event_type: str, lang: str) -> str:
    return EVENT_LABELS.get(event_type, {}).get(lang, event_type)


def chosen_lang(query: Mapping[str, str], cookies: Mapping[str, str], accept: str) -> str:
    """The page's language: asked for in the query (the switch), else kept in a cookie,
    else the browser's first of German and English (its Accept-Language), else English."""
    for given in (query.get("lang"), cookies.get(LANG_COOKIE)):
        if given is not None and given in LANGS:
            return given
    ranked = []
    for i, part in enumerate(accept.split(",")):
        tag, _, weight = part.strip().partition(";q=")
        try:
            quality = float(weight) if weight else 1.0
        except ValueError:
            quality = 0.0
        ranked.append((-quality, i, tag.strip().lower()[:2]))
    for _, _, tag in sorted(ranked):
        if tag in LANGS:
            return tag
    return "en"
