"""Alerts as chat messages: a Slack Block Kit message and a Teams Adaptive Card (pure).

Both are drawn from one :class:`Summary` of an outbox payload, so Slack and
Teams say the same thing: a response alert (score, cell, the comment masked as
on wall screens, labels, a link to the response's day and cell in explore), a
drop alert (the cell, its NPS now and before, the test) or any other event on
the outbox (follow-ups: its fields as they come).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from dashapp.i18n import formats
from dashapp.i18n.core import gettext as _

#: Slack's limits (Block Kit reference): header text 150, section text 3000,
#: 10 fields of 2000 each, button text 75, URLs 3000.
SLACK_HEADER = 150
SLACK_TEXT = 3000
SLACK_FIELDS = 10
SLACK_FIELD = 2000
ADAPTIVE_VERSION = "1.4"
ADAPTIVE_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
ADAPTIVE_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"


@dataclass(frozen=True, slots=True)
class Summary:
    """What an alert says, whatever the channel: a title, facts, words, a link."""

    title: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    #: The respondent's words, masked; "" when none.
    quote: str = ""
    note: str = ""
    link: str | None = None
    #: The link's button; "" is "Open in explore" in the current language.
    link_title: str = ""

    def button(self) -> str:
        """The link button's text."""
        return self.link_title or _("Open in explore")


def explore_link(base_url: str, params: dict[str, str]) -> str:
    """``/explore`` under *base_url* with *params* (empty ones dropped)."""
    query = urlencode({k: v for k, v in params.items() if v})
    return f"{base_url.rstrip('/')}/explore?{query}"


def summarise(payload: dict[str, Any], mask: Callable[[str], str], base_url: str) -> Summary:
    """The :class:`Summary` of an outbox *payload* (response, drop or another event).

    A test ("Send a test" on /admin) says so in its title. The texts are in the current
    language (the caller sets the rule's with ``use_locale``).
    """
    found = _summarise(payload, mask, base_url)
    if payload.get("test"):
        return replace(found, title=_("[test] %(title)s", title=found.title))
    return found


def _moment(iso: object) -> str:
    """A payload's ISO time as a person reads it: "1 Dec 2026, 10:38 UTC" (the payload's
    own text when it is not one)."""
    try:
        moment = dt.datetime.fromisoformat(str(iso)).astimezone(dt.UTC)
    except ValueError:
        return str(iso or "")
    return f"{formats.datetime(moment)} UTC"


def _summarise(payload: dict[str, Any], mask: Callable[[str], str], base_url: str) -> Summary:
    rule = str(payload.get("rule", ""))
    if isinstance(payload.get("response"), dict):
        r = payload["response"]
        cell = f"{r.get('brand')} · {r.get('country')} · {r.get('touchpoint')}"
        day = str(r.get("submitted_at", ""))[:10]
        labels = ", ".join(
            f"{lbl.get('name')} ({lbl.get('sentiment')})" for lbl in payload.get("labels", [])
        )
        facts = [
            (_("Score"), f"{r.get('score')}/10 ({r.get('score_class', '')})"),
            (_("Cell"), cell),
            (_("Submitted"), _moment(r.get("submitted_at"))),
            (_("Rule"), rule),
        ]
        if labels:
            facts.append((_("Labels"), labels))
        link = explore_link(
            base_url,
            {
                "from": day,
                "to": day,
                "brand": str(r.get("brand") or ""),
                "country": str(r.get("country") or ""),
                "touchpoint": str(r.get("touchpoint") or ""),
            },
        )
        comment = r.get("comment")
        return Summary(
            title=f"{r.get('score')}/10 · {cell}",
            facts=facts,
            quote=mask(comment) if comment else "",
            note="" if comment else _("(no comment)"),
            link=link,
        )
    if isinstance(payload.get("drop"), dict):
        d = payload["drop"]
        cell = " · ".join(str(d[k]) for k in ("brand", "country") if d.get(k))
        days = d.get("window_days")
        facts = [
            (_("NPS now"), f"{d.get('nps_now')} (n {d.get('n_now')})"),
            (_("Before"), f"{d.get('nps_before')} (n {d.get('n_before')})"),
            ("z", str(d.get("z"))),
            (_("Window"), _("%(days)s days", days=days)),
            (_("Rule"), rule),
        ]
        drop_link: str | None = None
        if isinstance(days, int):
            today = dt.datetime.now(dt.UTC).date()
            drop_link = explore_link(
                base_url,
                {
                    "from": (today - dt.timedelta(days=days * 2)).isoformat(),
                    "to": today.isoformat(),
                    "brand": str(d.get("brand") or ""),
                    "country": str(d.get("country") or ""),
                },
            )
        return Summary(
            title=_(
                "NPS drop: %(cell)s %(before)s → %(now)s",
                cell=cell,
                before=d.get("nps_before"),
                now=d.get("nps_now"),
            ),
            facts=facts,
            link=drop_link,
        )
    # Another event on the outbox (e.g. followup.updated): its scalar fields, as they come.
    kind = str(payload.get("event") or payload.get("type") or _("Feedback Wall event"))
    facts = []
    for key, value in payload.items():
        if isinstance(value, dict):
            facts += [(f"{key} {k}", str(v)) for k, v in value.items() if _scalar(v)]
        elif key not in ("event", "type", "test") and _scalar(value):
            facts.append((key, str(value)))
    return Summary(title=kind, facts=facts[:SLACK_FIELDS])


def _scalar(value: object) -> bool:
    return isinstance(value, str | int | float | bool) or value is None


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def slack_escape(text: str) -> str:
    """*text* safe in Slack mrkdwn: &, < and > are control characters there."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(summary: Summary) -> dict[str, Any]:
    """An incoming-webhook body: Block Kit blocks and the notification's fallback text."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(summary.title, 150)}},
    ]
    if summary.facts:
        blocks.append(
            {
                "type": "section",
                "fields": [
                    {
                        "type": "mrkdwn",
                        "text": _cut(f"*{slack_escape(k)}*\n{slack_escape(v)}", SLACK_FIELD),
                    }
                    for k, v in summary.facts[:SLACK_FIELDS]
                ],
            }
        )
    if summary.quote:
        quoted = "\n".join(f"> {line}" for line in slack_escape(summary.quote).splitlines())
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _cut(quoted, 3000)}})
    if summary.note:
        blocks.append(
            {"type": "context", "elements": [{"type": "plain_text", "text": summary.note}]}
        )
    if summary.link:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": _cut(summary.button(), 75)},
                        "url": summary.link[:3000],
                    }
                ],
            }
        )
    fallback = summary.title + (f": {summary.quote}" if summary.quote else "")
    return {"text": _cut(slack_escape(fallback), SLACK_TEXT), "blocks": blocks}


def teams_message(summary: Summary) -> dict[str, Any]:
    """A Teams workflow webhook body: a message carrying one Adaptive Card 1.4."""
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": summary.title,
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        }
    ]
    if summary.facts:
        body.append(
            {"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in summary.facts]}
        )
    if summary.quote:
        body.append({"type": "TextBlock", "text": summary.quote, "wrap": True})
    if summary.note:
        body.append({"type": "TextBlock", "text": summary.note, "wrap": True, "isSubtle": True})
    card: dict[str, Any] = {
        "$schema": ADAPTIVE_SCHEMA,
        "type": "AdaptiveCard",
        "version": ADAPTIVE_VERSION,
        "body": body,
    }
    if summary.link:
        card["actions"] = [
            {"type": "Action.OpenUrl", "title": summary.button(), "url": summary.link}
        ]
    return {
        "type": "message",
        "attachments": [
            {"contentType": ADAPTIVE_CONTENT_TYPE, "contentUrl": None, "content": card}
        ],
    }
