"""Who may do what: the staff list is the catalogue's ops and each division's lead and members.

Admin actions name who acted by picking a name from this list (a form's dropdown, a CLI option),
never free text; the history records the person with the role they acted in (`lead:Rina`)."""

from __future__ import annotations

from dataclasses import dataclass

from fulfil.core.catalogue import Catalogue
from fulfil.core.errors import NotAllowed


@dataclass(frozen=True)
class StaffMember:
    name: str
    email: str
    ops: bool = False
    leads: frozenset[str] = frozenset()  # division codes
    member_of: frozenset[str] = frozenset()

    @property
    def actor(self) -> str:
        """How the history names them: their widest role first."""
        role = "ops" if self.ops else "lead" if self.leads else "team"
        return f"{role}:{self.name}"

    def may_act_for(self, division: str) -> bool:
        """Ops act for every division, a lead for their own."""
        return self.ops or division in self.leads

    def may_do_for(self, division: str) -> bool:
        """What a division's own members do too (the warehouse confirms its own deliveries)."""
        return self.may_act_for(division) or division in self.member_of


def staff_of(catalogue: Catalogue) -> dict[str, StaffMember]:
    """Everyone on the staff list by name, in the order the configuration lists them."""
    found: dict[str, StaffMember] = {}

    def add(name: str, email: str, *, ops: bool = False, lead: str = "", member: str = "") -> None:
        had = found.get(name, StaffMember(name, email))
        found[name] = StaffMember(
            name,
            email,
            ops=had.ops or ops,
            leads=had.leads | ({lead} if lead else set()),
            member_of=had.member_of | ({member} if member else set()),
        )

    for person in catalogue.ops:
        add(person.name, person.email, ops=True)
    for code, division in catalogue.divisions.items():
        add(division.lead.name, division.lead.email, lead=code)
        for person in division.members:
            add(person.name, person.email, member=code)
    return found


def who(catalogue: Catalogue, name: str) -> StaffMember:
    """The staff member of this name, or the refusal naming the list."""
    staff = staff_of(catalogue)
    found = staff.get(name.strip())
    if found is None:
        known = ", ".join(staff) or "nobody (add `ops:` to configs/services.yaml)"
        raise NotAllowed(f"{name.strip()!r} is not on the staff list (configs/services.yaml): {known}")
    return found


def first_ops(catalogue: Catalogue) -> str:
    """Who a terminal command acts as when it names nobody: the first of ops."""
    if not catalogue.ops:
        raise NotAllowed("name who acts with --by: configs/services.yaml lists no `ops:`")
    return catalogue.ops[0].name


def deciders(catalogue: Catalogue) -> list[str]:
    """Who can take an admin action at all: ops and leads (the forms' "by" list)."""
    return [m.name for m in staff_of(catalogue).values() if m.ops or m.leads]


def check_assignment(
    catalogue: Catalogue, division: str, *, to: str, by: str
) -> tuple[StaffMember, StaffMember]:
    """Only the division's lead (or ops) assigns, and only to a member (or the lead) of it."""
    deciding, doing = who(catalogue, by), who(catalogue, to)
    name = catalogue.divisions[division].name if division in catalogue.divisions else division
    if not deciding.may_act_for(division):
        raise NotAllowed(
            f"{deciding.name} is not the lead of {name} nor ops: only they may assign its orders"
        )
    if division not in doing.member_of | doing.leads:
        raise NotAllowed(f"{doing.name} is not in {name}: assign one of its members")
    return deciding, doing
