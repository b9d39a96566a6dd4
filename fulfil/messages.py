"""Message texts from Jinja2 templates in configs/templates/<lang>/, Indonesian first, English below."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

from fulfil.core.catalogue import Catalogue
from fulfil.core.cells import ADDRESS_LIMIT, NAME_LIMIT, NOTES_LIMIT, shown, without_bidi
from fulfil.core.deadlines import show
from fulfil.core.invoice import bill
from fulfil.core.money import rupiah
from fulfil.core.order import Order
from fulfil.core.shipping import Tracking

LANGS = ("id", "en")


@dataclass(frozen=True)
class Text:
    subject: str
    body: str


def _order_of(first: str) -> list[str]:
    return [first, *[lang for lang in LANGS if lang != first]]


class MessageComposer:
    def __init__(self, templates: Path, catalogue: Catalogue, *, shop_name: str) -> None:
        self.env = Environment(
            loader=FileSystemLoader(str(templates)),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            autoescape=False,
        )
        # {{ order.notes | shown(limits.notes) }}: buyer text bounded, without bidi controls.
        self.env.filters["shown"] = shown
        self.env.globals["limits"] = {"name": NAME_LIMIT, "notes": NOTES_LIMIT, "address": ADDRESS_LIMIT}
        self.env.globals["rupiah"] = rupiah
        self.env.globals["tracking"] = lambda shipment: Tracking(shipment.courier, shipment.number)
        self.catalogue = catalogue
        self.shop_name = shop_name
        self._templates: dict[tuple[str, str], Template] = {}

    def compose(self, kind: str, order: Order, **extra: Any) -> Text:
        """Both languages in one message: the buyer's language first, the other below."""
        first = order.lang if order.lang in LANGS else "id"
        service = self.catalogue.get(order.service_code)
        # What both languages show alike, worked out once (an import composes three messages a row).
        shared = {
            "order": order,
            "service": service,
            "division": self.catalogue.division_of(service) if service else None,
            "deadline": show(order.deadline, order.timezone),
            "shop": self.shop_name,
            "show": lambda when: show(when, order.timezone),
            "total": sum(line.amount for line in bill(order, service)),
            "handover": [],
            **extra,
        }
        parts = []
        for lang in _order_of(first):
            name = (service.name.id if lang == "id" else service.name.en) if service else order.service_code
            # The part below the first language's shows the buyer's notes only once (a long note
            # was copied whole into each language, twice into the team's email).
            text = self._template(lang, kind).render(shared, service_name=name, second_part=lang != first)
            subject, _, body = text.partition("\n")
            parts.append(Text(subject.removeprefix("Subject:").strip(), body.strip() + "\n"))
        return self._both(first, parts)

    def _template(self, lang: str, kind: str) -> Template:
        # Compiled once a process: templates are shipped files, not edited under a running import,
        # and Jinja's own cache checks each file's modification time on every render.
        key = (lang, kind)
        template = self._templates.get(key)
        if template is None:
            template = self._templates[key] = self.env.get_template(f"{lang}/{kind}.txt.j2")
            # Jinja keeps a template's globals as a ChainMap over the environment's and copies it
            # into a dict on every render (a third of a render's time); these never change.
            template.globals = dict(template.globals)
        return template

    def compose_for_ops(self, kind: str, **context: Any) -> Text:
        """A message about the shop rather than one order (the daily digest)."""
        parts = []
        for lang in LANGS:
            text = self.env.get_template(f"{lang}/{kind}.txt.j2").render(shop=self.shop_name, **context)
            subject, _, body = text.partition("\n")
            parts.append(Text(subject.removeprefix("Subject:").strip(), body.strip() + "\n"))
        return self._both("id", parts)

    def _both(self, first: str, parts: list[Text]) -> Text:
        # Every message leaves without bidi controls, whatever text a template took in.
        parts = [Text(without_bidi(p.subject), without_bidi(p.body)) for p in parts]
        subject = " / ".join(p.subject for p in parts)
        body = (
            "\n\n———— English ————\n\n".join(p.body for p in parts)
            if first == "id"
            else ("\n\n———— Bahasa Indonesia ————\n\n".join(p.body for p in parts))
        )
        return Text(subject, body)
