"""The service catalogue: what the shop sells, who does it, and how its proof is judged."""

from __future__ import annotations

from datetime import time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from fulfil.core.invoice import IssueWhen
from fulfil.core.shipping import courier_named


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Person(_Strict):
    name: str = Field(min_length=1)
    email: str


Lead = Person


class Division(_Strict):
    name: str
    email: str = Field(description="where work orders for this division go")
    lead: Lead
    # Who in the division can be given an order (the assign form offers these names).
    members: list[Person] = []


class Names(_Strict):
    id: str
    en: str


class QuantityBounds(_Strict):
    min: int = Field(1, ge=1)
    max: int = Field(ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> QuantityBounds:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is larger than max ({self.max})")
        return self


class ProofRules(_Strict):
    allowed_types: list[str] = Field(min_length=1, description="file extensions, without the dot")
    min_files: int = Field(1, ge=1)
    max_size_mb: float = Field(gt=0)

    @property
    def max_bytes(self) -> int:
        return int(self.max_size_mb * 1024 * 1024)


class Deliverable(_Strict):
    """What the team hands over that can be counted against the ordered quantity."""

    patterns: list[str] = Field(min_length=1, description="file name globs, e.g. akun*.csv")
    count: Literal["rows", "files"] = "rows"
    check: Literal["equal", "at_least", "none"] = "equal"
    unit: Names = Names(id="unit", en="units")


class Handover(_Strict):
    """How the buyer receives what was made, at completion and after a claim."""

    # attachment: the files ride on the completion email; share: each file is shared with the
    # buyer's Google account as reader (falls back to attachment for an address Google refuses);
    # link: anyone with the link may read (for files that are no secret, e.g. a screenshot).
    method: Literal["attachment", "share", "link"] = "attachment"
    # deliverables: the files matching `deliverable.patterns`; proofs: every accepted proof.
    files: Literal["deliverables", "proofs"] = "deliverables"
    # The files hold credentials (accounts and passwords): never handed over by a public link.
    credentials: bool = False

    @model_validator(mode="after")
    def _no_public_secrets(self) -> Handover:
        if self.method == "link" and self.credentials:
            raise ValueError(
                "method 'link' would make files holding credentials public: use attachment or share"
            )
        return self


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class WorkingHours(_Strict):
    """When a division works, for services whose deadlines count working time only."""

    start: time = time(9, 0)
    end: time = time(17, 0)
    days: tuple[Weekday, ...] = Field(WEEKDAYS[:6], min_length=1)
    # A country code for `holidays.country_holidays` (public holidays are days off), or none.
    public_holidays: str | None = "ID"

    @field_validator("start", "end", mode="before")
    @classmethod
    def _written_as_text(cls, value: Any) -> Any:
        # YAML reads an unquoted 17:00 as the number 1020 (base 60); pydantic would take that as
        # seconds and quietly make it 00:17. Only a quoted "17:00" is unambiguous.
        if isinstance(value, int | float):
            raise ValueError('write the time in quotes, e.g. "17:00"')
        return value

    @field_validator("public_holidays")
    @classmethod
    def _known_country(cls, value: str | None) -> str | None:
        if value is None:
            return None
        import holidays  # the list only: a country's calendar is made when working time is counted

        if value not in holidays.list_supported_countries():
            raise ValueError(f"no public holidays known for country {value!r} (e.g. ID)")
        return value

    @model_validator(mode="after")
    def _a_day_not_a_night(self) -> WorkingHours:
        if self.start >= self.end:
            raise ValueError(f"start ({self.start:%H:%M}) must be before end ({self.end:%H:%M})")
        if len(set(self.days)) != len(self.days):
            raise ValueError("a day is listed twice")
        return self


Percent = Annotated[int, Field(ge=1, le=99)]
Hours = Annotated[int, Field(ge=1)]


class Ladder(_Strict):
    """When the sweep reminds the division, escalates to its lead and ops, and writes to the buyer.

    Each rung is sent once per order. Times are wall-clock unless `working_hours` is set: then the
    window's fractions and the hours before and after the deadline count working time only, and
    nothing goes out outside working hours.
    """

    remind_at_percent: tuple[Percent, ...] = Field(
        (50, 80), description="reminders to the division at these fractions of the dispatch→deadline window"
    )
    remind_hours_before: tuple[Hours, ...] = Field(
        (2,), description="reminders this long before the deadline"
    )
    escalate_hours_after: tuple[Hours, ...] = Field(
        (24,), description="escalations again this long after the breach (the breach always escalates)"
    )
    working_hours: WorkingHours | None = None
    payment_reminder_hours: int = Field(24, ge=0, description="buyer reminder when still unpaid; 0: never")
    follow_up_days: int = Field(3, ge=0, description="feedback request after completion; 0: never")

    @field_validator("remind_at_percent", "remind_hours_before", "escalate_hours_after")
    @classmethod
    def _each_once(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        # Each value is one rung with its own outbox key; a repeat would be the same rung twice.
        if len(set(value)) != len(value):
            raise ValueError(f"{list(value)} lists a value twice")
        return tuple(sorted(value))


class StockRule(_Strict):
    """Goods the shop keeps a count of: each valid order reserves its quantity at intake."""

    # The units on hand when fulfil first sees this service; later counts come from
    # `fulfil stock add` (restocks) and from what orders reserve, release and return.
    count: int = Field(ge=0)
    # Ops are alerted once when what is left falls below this (0: never).
    low_at: int = Field(0, ge=0)


class Shipping(_Strict):
    """Physical goods: packed by the team and handed to a courier, proved by a tracking number."""

    # The couriers the shop ships with (fulfil/core/shipping.py's codes: JNE, JNT, SICEPAT, ...).
    couriers: list[str] = Field(min_length=1)
    # Rupiah per order, billed on the invoice's own line.
    cost: int = Field(0, ge=0)
    # A shipped order counts as delivered this many days after it left, unless confirmed earlier.
    delivered_after_days: int = Field(7, ge=1)
    # A return may be asked for within this many days of delivery (0: no returns).
    return_days: int = Field(7, ge=0)

    @field_validator("couriers")
    @classmethod
    def _known_couriers(cls, value: list[str]) -> list[str]:
        codes = []
        for name in value:
            courier = courier_named(name)
            if courier is None:
                raise ValueError(f"courier {name!r} is not known (e.g. JNE, J&T, SiCepat, AnterAja, POS)")
            codes.append(courier.code)
        return codes


class Service(_Strict):
    code: str
    name: Names
    division: str
    # The written procedure (OLP). A service without one is sold but cannot be dispatched.
    procedure_url: str | None = None
    quantity: QuantityBounds
    lead_time_hours: int = Field(gt=0)
    proof: ProofRules
    notes_to_buyer: bool = False
    deliverable: Deliverable | None = None
    handover: Handover = Handover()
    # A claim within this many days of completion is accepted; later only with ops' override.
    warranty_days: int = Field(7, ge=0)
    # How long the team has for a claim's rework (the service's lead time when unset).
    rework_hours: int | None = Field(None, gt=0)
    # Only the fields given here differ from the shop-wide ladder (Catalogue.ladder_for).
    ladder: Ladder | None = None
    # Rupiah per unit ordered; the order's invoice bills quantity × price (none: no invoice).
    price: int | None = Field(None, ge=0)
    # Goods counted in stock (`stock: 5` is short for `stock: {count: 5}`); none: not counted.
    stock: StockRule | None = None
    # Physical goods shipped by courier; none: the work is handed over as files or a service.
    shipping: Shipping | None = None

    @field_validator("stock", mode="before")
    @classmethod
    def _count_alone(cls, value: Any) -> Any:
        return {"count": value} if isinstance(value, int) and not isinstance(value, bool) else value

    @property
    def can_dispatch(self) -> bool:
        return bool(self.procedure_url)

    @property
    def ships(self) -> bool:
        return self.shipping is not None


class InvoicePolicy(_Strict):
    when: IssueWhen = IssueWhen.COMPLETED
    # The number's first part: INV/2026/11/0001.
    prefix: str = Field("INV", pattern=r"^[A-Za-z0-9-]{1,16}$")


class Catalogue(_Strict):
    divisions: dict[str, Division]
    services: dict[str, Service]
    ladder: Ladder = Ladder()
    # The shop's admins: they may do every admin action (fulfil/core/staff.py).
    ops: list[Person] = []
    # The shop's invoices: made when an order is paid or completed (none: no invoices at all).
    invoices: InvoicePolicy | None = None
    # A cash-on-delivery order delivered this many days ago and not yet confirmed paid goes on
    # ops' list.
    cod_collect_days: int = Field(3, ge=1)

    @model_validator(mode="after")
    def _consistent(self) -> Catalogue:
        people = list(self.ops)
        for division in self.divisions.values():
            people += [division.lead, *division.members]
        emails: dict[str, set[str]] = {}
        for person in people:
            emails.setdefault(person.name, set()).add(person.email)
        # A form picks who acted by name: one name is one person (who may hold several roles).
        clash = sorted(name for name, found in emails.items() if len(found) > 1)
        if clash:
            raise ValueError(f"staff: {', '.join(clash)} named with different emails: one name, one person")
        for key, service in self.services.items():
            if key != service.code:
                raise ValueError(f"service {key}: its code says {service.code!r}")
            if service.division not in self.divisions:
                known = ", ".join(sorted(self.divisions))
                raise ValueError(
                    f"service {key}: division {service.division!r} is not defined (known: {known})"
                )
        return self

    def get(self, code: str) -> Service | None:
        return self.services.get(code.strip().upper()) if code else None

    def division_of(self, service: Service) -> Division:
        return self.divisions[service.division]

    def ladder_for(self, service: Service | None) -> Ladder:
        """The shop-wide ladder with the fields the service sets itself put in its place."""
        if service is None or service.ladder is None:
            return self.ladder
        own = service.ladder
        return self.ladder.model_copy(update={name: getattr(own, name) for name in own.model_fields_set})
