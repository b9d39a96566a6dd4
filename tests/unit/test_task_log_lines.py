"""A task's log line names the orders it touched, but a big import's line stays short."""

from __future__ import annotations

from tasks._runtime import IDS_LOGGED, listed


def test_a_few_orders_are_all_named():
    assert listed(["INV-1", "INV-2"]) == "INV-1, INV-2"


def test_no_order_is_a_dash():
    assert listed([]) == "-"


def test_a_big_import_names_the_first_orders_and_counts_the_rest():
    ids = [f"BIG-{n:06d}" for n in range(50_000)]
    line = listed(ids)
    assert line.startswith("BIG-000000, BIG-000001")
    assert f"BIG-{IDS_LOGGED - 1:06d} … and 49,900 more" in line
    assert f"BIG-{IDS_LOGGED:06d}" not in line
    assert len(line) < 2_000


def test_exactly_the_limit_has_no_tail():
    ids = [f"O{n}" for n in range(IDS_LOGGED)]
    assert listed(ids) == ", ".join(ids)


def test_the_folder_links_of_a_step_are_named_by_their_orders():
    assert listed({"INV-1": "file:///drive/INV-1", "INV-2": "file:///drive/INV-2"}) == "INV-1, INV-2"
