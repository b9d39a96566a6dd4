"""Loading configs/: the service catalogue and column maps, validated with messages that point home."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from fulfil.core.catalogue import Catalogue
from fulfil.core.crm_record import CRM_FIELDS
from fulfil.core.errors import ConfigError
from fulfil.core.validation import OrderDraft

DRAFT_FIELDS = tuple(OrderDraft.__dataclass_fields__)
M = TypeVar("M", bound=BaseModel)


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from None


def _explain(path: Path, exc: ValidationError, prefix: str = "") -> ConfigError:
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    where = prefix
    if len(loc) >= 2 and loc[0] == "services":
        where = f"service {loc[1]}: " + (f"field {'.'.join(loc[2:])}: " if loc[2:] else "")
    elif loc:
        where = f"field {'.'.join(loc)}: "
    return ConfigError(f"{path}: {where}{err['msg']}")


def load_catalogue(config_dir: Path) -> Catalogue:
    path = config_dir / "services.yaml"
    data = _read_yaml(path) or {}
    if not isinstance(data, dict) or not isinstance(data.get("services") or {}, dict):
        raise ConfigError(f"{path}: expected `divisions:` and `services:` mappings at the top level")
    services = data.get("services") or {}
    # The code is the key in the file; copy it in so each service knows its own code.
    for code, body in services.items():
        if isinstance(body, dict):
            body.setdefault("code", code)
    return _validated(Catalogue, data, path)


def _validated(model: type[M], data: Any, path: Path) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _explain(path, exc) from None


class SourceColumns(BaseModel):
    """Which form headers feed which order field; any of several names per field."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    columns: dict[str, list[str]]
    required: list[str]
    paid_words: list[str] = []
    # Values of the payment column that mean cash on delivery (none given: fulfil's own list).
    cod_words: list[str] = []

    @model_validator(mode="after")
    def _known_fields(self) -> SourceColumns:
        unknown = sorted(set(self.columns) - set(DRAFT_FIELDS))
        if unknown:
            raise ValueError(f"unknown order fields {unknown}; known: {list(DRAFT_FIELDS)}")
        missing = sorted(set(self.required) - set(self.columns))
        if missing:
            raise ValueError(f"required fields without a column: {missing}")
        return self


class CrmColumns(BaseModel):
    """The CRM sheet's header, in order, each naming the order field it shows."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    columns: dict[str, str]

    @model_validator(mode="after")
    def _order_id_first(self) -> CrmColumns:
        fields = list(self.columns.values())
        if not fields or fields[0] != "order_id":
            raise ValueError("the first column must show order_id")
        unknown = sorted(set(fields) - set(CRM_FIELDS))
        if unknown:
            raise ValueError(f"unknown CRM fields {unknown}; known: {list(CRM_FIELDS)}")
        return self

    @property
    def header(self) -> list[str]:
        return list(self.columns)


def load_source_columns(config_dir: Path) -> SourceColumns:
    path = config_dir / "source_columns.yaml"
    return _validated(SourceColumns, _read_yaml(path), path)


def load_crm_columns(config_dir: Path) -> CrmColumns:
    path = config_dir / "crm_columns.yaml"
    return _validated(CrmColumns, _read_yaml(path), path)
