"""configs/: the shipped files load, and a broken file is reported with its path, service and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from fulfil.config import CrmColumns, load_catalogue, load_crm_columns, load_source_columns
from fulfil.core.crm_record import CRM_FIELDS
from fulfil.core.errors import ConfigError
from fulfil.settings import PROJECT_CONFIGS


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A copy of the project's configs/ to break."""
    for name in ("services.yaml", "source_columns.yaml", "crm_columns.yaml"):
        shutil.copy(PROJECT_CONFIGS / name, tmp_path / name)
    return tmp_path


def edit_services(config_dir: Path, change) -> Path:
    path = config_dir / "services.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_shipped_configs_load():
    catalogue = load_catalogue(PROJECT_CONFIGS)
    assert set(catalogue.services) == {"GMAIL-BARU", "IG-FOLLOWERS", "WEB-UMKM", "TIKTOK-VIEWS"}
    for code, service in catalogue.services.items():
        assert service.code == code
        assert catalogue.division_of(service).name
    assert not catalogue.services["TIKTOK-VIEWS"].can_dispatch
    assert catalogue.services["GMAIL-BARU"].can_dispatch
    assert load_crm_columns(PROJECT_CONFIGS).header[0] == "ID Order"
    assert set(load_source_columns(PROJECT_CONFIGS).required) == {
        "buyer_name",
        "buyer_email",
        "service_code",
        "quantity",
    }


def test_copied_configs_load_the_same(config_dir):
    assert load_catalogue(config_dir) == load_catalogue(PROJECT_CONFIGS)


def test_catalogue_lookup_ignores_case_and_spaces():
    catalogue = load_catalogue(PROJECT_CONFIGS)
    assert catalogue.get(" ig-followers ") is catalogue.services["IG-FOLLOWERS"]
    assert catalogue.get("") is None
    assert catalogue.get("NETFLIX") is None


def test_missing_quantity_max_names_the_file_the_service_and_the_field(config_dir):
    path = edit_services(config_dir, lambda d: d["services"]["IG-FOLLOWERS"]["quantity"].pop("max"))
    with pytest.raises(ConfigError) as caught:
        load_catalogue(config_dir)
    message = str(caught.value)
    assert str(path) in message
    assert "IG-FOLLOWERS" in message
    assert "quantity.max" in message


def test_a_public_link_for_files_holding_credentials_is_refused_naming_the_service(config_dir):
    path = edit_services(config_dir, lambda d: d["services"]["GMAIL-BARU"]["handover"].update(method="link"))
    with pytest.raises(ConfigError) as caught:
        load_catalogue(config_dir)
    message = str(caught.value)
    assert str(path) in message and "GMAIL-BARU" in message and "handover" in message
    assert "would make files holding credentials public" in message


def test_quantity_min_above_max_is_refused(config_dir):
    path = edit_services(
        config_dir, lambda d: d["services"]["WEB-UMKM"].update(quantity={"min": 5, "max": 3})
    )
    with pytest.raises(ConfigError) as caught:
        load_catalogue(config_dir)
    message = str(caught.value)
    assert str(path) in message
    assert "WEB-UMKM" in message
    assert "quantity" in message


def test_unknown_division_names_the_file_the_service_and_the_division(config_dir):
    path = edit_services(config_dir, lambda d: d["services"]["TIKTOK-VIEWS"].update(division="marketing"))
    with pytest.raises(ConfigError) as caught:
        load_catalogue(config_dir)
    message = str(caught.value)
    assert str(path) in message
    assert "TIKTOK-VIEWS" in message
    assert "division" in message
    assert "marketing" in message


def test_unknown_field_in_a_service_is_refused(config_dir):
    path = edit_services(config_dir, lambda d: d["services"]["GMAIL-BARU"].update(harga=15000))
    with pytest.raises(ConfigError) as caught:
        load_catalogue(config_dir)
    message = str(caught.value)
    assert str(path) in message
    assert "GMAIL-BARU" in message
    assert "harga" in message


def test_bad_yaml_names_the_file(config_dir):
    path = config_dir / "services.yaml"
    path.write_text("services:\n  GMAIL-BARU: {name: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_catalogue(config_dir)
    assert str(path) in str(caught.value)
    assert "YAML" in str(caught.value)


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_catalogue(tmp_path)
    assert str(tmp_path / "services.yaml") in str(caught.value)


@pytest.mark.parametrize(
    "text",
    ["divisions: {}\nservices:\n  - GMAIL-BARU\n", "- GMAIL-BARU\n- IG-FOLLOWERS\n", "just a sentence\n"],
)
def test_a_file_of_the_wrong_shape_is_a_config_error_naming_the_file(config_dir, text):
    path = config_dir / "services.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_catalogue(config_dir)
    assert str(path) in str(caught.value)


def test_source_columns_refuse_an_unknown_order_field(config_dir):
    path = config_dir / "source_columns.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["columns"]["harga"] = ["Harga"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_source_columns(config_dir)
    assert str(path) in str(caught.value)
    assert "harga" in str(caught.value)


def test_source_columns_refuse_a_required_field_without_a_column(config_dir):
    path = config_dir / "source_columns.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    del data["columns"]["quantity"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_source_columns(config_dir)
    assert "quantity" in str(caught.value)


def test_crm_columns_refuse_a_first_column_that_is_not_order_id():
    with pytest.raises(ValidationError) as caught:
        CrmColumns.model_validate({"columns": {"Nama Pembeli": "buyer_name", "ID Order": "order_id"}})
    assert "order_id" in str(caught.value)


def test_crm_columns_refuse_an_empty_header():
    with pytest.raises(ValidationError):
        CrmColumns.model_validate({"columns": {}})


def test_crm_columns_refuse_an_unknown_field():
    with pytest.raises(ValidationError) as caught:
        CrmColumns.model_validate({"columns": {"ID Order": "order_id", "Harga": "harga"}})
    assert "harga" in str(caught.value)


def test_crm_columns_file_with_order_id_not_first_names_the_file(config_dir):
    path = config_dir / "crm_columns.yaml"
    path.write_text("columns:\n  Nama Pembeli: buyer_name\n  ID Order: order_id\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_crm_columns(config_dir)
    assert str(path) in str(caught.value)


def test_crm_columns_accept_any_known_fields_after_order_id():
    crm = CrmColumns.model_validate({"columns": {"ID": "order_id", **{f.upper(): f for f in CRM_FIELDS[1:]}}})
    assert crm.header[0] == "ID"
    assert len(crm.header) == len(CRM_FIELDS)
