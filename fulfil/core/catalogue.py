"""The service catalogue: what the shop sells, who does it, and how its proof is judged."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Lead(_Strict):
    name: str
    email: str


class Division(_Strict):
    name: str
    email: str = Field(description="where work orders for this division go")
    lead: Lead


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

    @property
    def can_dispatch(self) -> bool:
        return bool(self.procedure_url)


class Catalogue(_Strict):
    divisions: dict[str, Division]
    services: dict[str, Service]

    @model_validator(mode="after")
    def _consistent(self) -> Catalogue:
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
