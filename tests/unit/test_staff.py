"""Who may do what: the staff list from the catalogue; only a division's lead or ops assign its
orders, and only to its members."""

from __future__ import annotations

import pytest

from fulfil.config import load_catalogue
from fulfil.core.errors import NotAllowed
from fulfil.core.staff import check_assignment, deciders, staff_of, who
from tests.conftest import ROOT

CATALOGUE = load_catalogue(ROOT / "configs")


def test_the_staff_list_is_ops_leads_and_members_each_with_their_role() -> None:
    staff = staff_of(CATALOGUE)
    assert staff["Sari Wulandari"].actor == "ops:Sari Wulandari"
    assert staff["Rina Wijaya"].actor == "lead:Rina Wijaya" and staff["Rina Wijaya"].leads == {"akun"}
    assert staff["Yoga Saputra"].actor == "team:Yoga Saputra" and staff["Yoga Saputra"].member_of == {"akun"}
    assert deciders(CATALOGUE) == ["Sari Wulandari", "Rina Wijaya", "Bagus Pratama", "Dewi Lestari"]


def test_a_lead_assigns_their_own_division_only_and_only_to_its_members() -> None:
    lead, member = check_assignment(CATALOGUE, "akun", to="Yoga Saputra", by="Rina Wijaya")
    assert (lead.name, member.name) == ("Rina Wijaya", "Yoga Saputra")
    check_assignment(CATALOGUE, "akun", to="Putu Ayu", by="Sari Wulandari")  # ops may too
    with pytest.raises(NotAllowed, match="Bagus Pratama is not the lead of Divisi Akun nor ops"):
        check_assignment(CATALOGUE, "akun", to="Yoga Saputra", by="Bagus Pratama")
    with pytest.raises(NotAllowed, match="Agus Salim is not in Divisi Akun"):
        check_assignment(CATALOGUE, "akun", to="Agus Salim", by="Rina Wijaya")
    with pytest.raises(NotAllowed, match="Yoga Saputra is not the lead"):
        check_assignment(CATALOGUE, "akun", to="Putu Ayu", by="Yoga Saputra")  # a member cannot


def test_a_name_not_on_the_list_is_refused_naming_the_list() -> None:
    with pytest.raises(NotAllowed, match=r"'admin' is not on the staff list .*Sari Wulandari"):
        who(CATALOGUE, "admin")


def test_one_name_with_two_emails_is_a_configuration_mistake(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    from fulfil.core.errors import ConfigError

    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    path = tmp_path / "configs" / "services.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("{name: Yoga Saputra, email: yoga@localhost}", "{name: Rina Wijaya, email: x@y}")
    )
    with pytest.raises(ConfigError, match="Rina Wijaya named with different emails"):
        load_catalogue(tmp_path / "configs")
