"""Couriers and tracking numbers ("no. resi"): what each courier issues, and reading one out of a note.

A packing team writes the courier and the resi into a free-text note ("JNE: 0123 4567 8901 2345",
"Resi J&T JP1234567890"). This module says which courier a name means, whether a number fits that
courier's format, and finds the pair in a note, so the buyer gets a link that works, or the team a
reason, in Bahasa Indonesia and English, that names the courier and shows a valid example.

Everything here runs in time linear in the length of the text: notes are pasted by people, and a
20,000-character paste must not stall the pipeline on regex backtracking.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Courier:
    """One courier: how it is named, what its numbers look like, where a buyer tracks a parcel."""

    code: str
    name: str
    aliases: tuple[str, ...]
    pattern: str
    example: str
    tracking_url: str


@dataclass(frozen=True)
class Tracking:
    """A courier (by code) and one of its tracking numbers, normalised."""

    courier: str
    number: str

    @property
    def courier_name(self) -> str:
        return COURIERS[self.courier].name

    @property
    def url(self) -> str:
        # str.replace, not str.format: a page address may itself contain braces one day.
        return COURIERS[self.courier].tracking_url.replace("{number}", self.number)


# An Indonesian mobile number as a resi-shaped string would read once spaces, dashes and "+" are gone:
# 08xx… or 628xx…, 10 to 14 digits. Numeric formats that could hold one refuse it (JNE, POS) below.
_PHONE = r"(?:0|62)8[1-9]\d{6,10}"
_NOT_A_PHONE = rf"(?!{_PHONE}\Z)"

# Where each format comes from. No courier publishes a specification; these are read from numbers seen
# on real parcels in public code and articles, and kept permissive where the sources disagree, but never
# so loose that a 4-digit value or a phone number passes.
#
# - JNE: all digits, 10-16 (bjalogistic.id "panduan memahami nomor resi": 12 digits, 010880123456;
#   github.com/Leuthra/cek-resi README: 15 digits, 010190001491925; liputan6.com: 10 digits; the
#   16-digit numbers marketplaces print), or a 2-3 letter origin/channel prefix then digits (TG7007260622
#   confirmed against the courier in github.com/MuflihItsuka312/API-Server PATTERN-COMPARISON.md;
#   CGK…/JNE… in the same file and on jdlexpress.co.id).
# - J&T Express: "J" + a channel letter + 10 digits. JP Shopee, JX TikTok, JT Tokopedia, JZ Lazada,
#   JD/JO regular (kabar24.id, 2024, on the "resi JO dan 13" rumour); JX8009962760 confirmed in
#   MuflihItsuka312/API-Server; cek-resi checkers on GitHub use ^JP[0-9]{10}$. The numeric "13…" VIP
#   numbers are left out: no source gives their length.
# - SiCepat: 12 digits starting 00 (real numbers 005208225151 in pub.dev delivery_tracker_client's docs,
#   002927168687 and 005252506571 in MuflihItsuka312/API-Server; checkers use ^[0-9]{12}$).
# - AnterAja: 14-15 digits starting 10 or 11 (checkers use ^[0-9]{14}$); "TSA" + digits appears in
#   MuflihItsuka312/API-Server OPTIMIZATION-RESI-VALIDATION.md, not confirmed elsewhere.
# - POS Indonesia: UPU S10 (2 letters, 9 digits, country "ID"; RA123456789ID on jdlexpress.co.id),
#   13-15 digit domestic barcodes (13 digits in MuflihItsuka312/API-Server), or "P" + digits.
# - Ninja Xpress: "NLID…" (NLIDAP + digits in several GitHub cek-resi checkers) or "NV…" shipper-prefixed
#   tracking IDs (MuflihItsuka312/API-Server), 8-16 letters/digits after the prefix.
# - ID Express: "IDE"/"IDS" + 12 digits (GitHub cek-resi checkers: ^IDS[0-9]{12}$).
# - Lion Parcel: STT "11LP" + a 10-13 digit timestamp (11LP1788182996987 in a public Shopify-fulfilment
#   QA script; "https://lionparcel.com/track/stt?q=11LP1776…" as Shopify sends it), any two-digit
#   product prefix; the older 11-digit STT written 11-19-5470676 (a public PHP tracking scraper).
#
# Tracking pages: the number goes in the address only where public integrations use that address
# (AnterAja /tracking/<n>, Ninja ?id=<n>, Lion Parcel /track/stt?q=<n>); otherwise the page itself.
COURIERS: dict[str, Courier] = {
    courier.code: courier
    for courier in (
        Courier(
            code="JNE",
            name="JNE",
            aliases=("jne", "jne express", "jalur nugraha ekakurir"),
            pattern=rf"{_NOT_A_PHONE}\d{{10,16}}|[A-Z]{{2,3}}\d[A-Z0-9]{{7,12}}",
            example="0123456789012345",
            tracking_url="https://jne.co.id/tracking-package",
        ),
        Courier(
            code="JNT",
            name="J&T Express",
            aliases=("j&t", "j & t", "jnt", "jet", "j&t express", "jnt express"),
            pattern=r"J[A-Z]\d{10}",
            example="JP1234567890",
            tracking_url="https://jet.co.id/track",
        ),
        Courier(
            code="SICEPAT",
            name="SiCepat",
            aliases=("sicepat", "si cepat", "sicepat ekspres", "sicepat express"),
            pattern=r"00\d{10}",
            example="001234567890",
            tracking_url="https://www.sicepat.com/checkAwb",
        ),
        Courier(
            code="ANTERAJA",
            name="AnterAja",
            aliases=("anteraja", "anter aja"),
            pattern=r"1[01]\d{12,13}|TSA\d{10,12}",
            example="10001234567890",
            tracking_url="https://anteraja.id/tracking/{number}",
        ),
        Courier(
            code="POS",
            name="POS Indonesia",
            aliases=("pos", "pos indonesia", "kantor pos", "pos id"),
            pattern=rf"[A-Z]{{2}}\d{{9}}[A-Z]{{2}}|{_NOT_A_PHONE}\d{{13,15}}|P\d{{10,14}}",
            example="RR123456789ID",
            tracking_url="https://www.posindonesia.co.id/id/tracking",
        ),
        Courier(
            code="NINJA",
            name="Ninja Xpress",
            aliases=("ninja", "ninja xpress", "ninja express", "ninja van", "ninjavan"),
            pattern=r"(?:NLID|NV)[A-Z0-9]{8,16}",
            example="NLIDAP12345678",
            tracking_url="https://www.ninjaxpress.co/id-id/tracking?id={number}",
        ),
        Courier(
            code="IDEXPRESS",
            name="ID Express",
            aliases=("id express", "idexpress"),
            pattern=r"ID[ES]\d{12}",
            example="IDE701234567890",
            tracking_url="https://idexpress.com/lacak-paket",
        ),
        Courier(
            code="LION",
            name="Lion Parcel",
            aliases=("lion", "lion parcel", "lionparcel"),
            pattern=r"\d{2}LP\d{10,13}|11\d{9}",
            example="11LP1712345678901",
            tracking_url="https://lionparcel.com/track/stt?q={number}",
        ),
    )
}

_FORMATS: dict[str, re.Pattern[str]] = {code: re.compile(c.pattern) for code, c in COURIERS.items()}
# The longest number any format above accepts (NLID + 16). Longer strings are refused before any regex
# runs, and no candidate in a note is ever built longer than this.
_LONGEST_NUMBER = 20

# Hyphen-minus and the dashes a phone keyboard or a word processor substitutes for it.
_DASHES = "-\u2010\u2011\u2012\u2013"
_SPACES_AND_DASHES = re.compile(rf"[\s{re.escape(_DASHES)}]+")


def normalise_number(text: str) -> str:
    """Upper-case, with every space and dash removed: "jp 1234-567890" -> "JP1234567890"."""
    return _SPACES_AND_DASHES.sub("", text).upper()


def _name_key(text: str) -> str:
    # "J&T Express", "j & t express" and "J&T-Express" are one name.
    return re.sub(r"[^a-z0-9&]", "", text.lower())


def _names_by_key() -> dict[str, str]:
    names: dict[str, str] = {}
    for courier in COURIERS.values():
        for written in (courier.code, courier.name, *courier.aliases):
            key = _name_key(written)
            owner = names.setdefault(key, courier.code)
            # Two couriers sharing a name would make courier_named() answer by dict order.
            assert owner == courier.code, f"{written!r} names both {owner} and {courier.code}"
    return names


_COURIER_BY_NAME_KEY = _names_by_key()


def courier_named(text: str) -> Courier | None:
    """The courier a person means by `text` ("J&T", "jnt", " JNE ", "Pos Indonesia"), or None."""
    code = _COURIER_BY_NAME_KEY.get(_name_key(text))
    return COURIERS[code] if code else None


def _courier_by_code(courier_code: str) -> Courier:
    courier = COURIERS.get(courier_code.strip().upper())
    if courier is None:
        # A code comes from our own configuration, so an unknown one is a bug, not a typo to report.
        raise ValueError(f"unknown courier code {courier_code!r}; known: {', '.join(COURIERS)}")
    return courier


def _fits(courier: Courier, normalised: str) -> bool:
    return len(normalised) <= _LONGEST_NUMBER and _FORMATS[courier.code].fullmatch(normalised) is not None


def _shown(number: str) -> str:
    # One line, and short: a whole pasted note must not end up inside an error message.
    one_line = " ".join(number.split())
    return one_line if len(one_line) <= 32 else one_line[:31] + "…"


def _mismatch_reason(courier: Courier, number: str) -> str:
    shown = _shown(number)
    return (
        f"No. resi '{shown}' tidak sesuai format {courier.name} (contoh: {courier.example}) / "
        f"Tracking number '{shown}' does not fit {courier.name}'s format (e.g. {courier.example})"
    )


def _empty_reason(courier: Courier) -> str:
    return (
        f"No. resi {courier.name} kosong (contoh: {courier.example}) / "
        f"The {courier.name} tracking number is empty (e.g. {courier.example})"
    )


def _missing_reason(courier: Courier) -> str:
    return (
        f"Kurir {courier.name} disebut, tetapi no. resi tidak ditemukan (contoh: {courier.example}) / "
        f"{courier.name} is named but no tracking number was found (e.g. {courier.example})"
    )


def _not_used_reason(courier: Courier) -> str:
    return f"kurir {courier.name} tidak dipakai toko ini / courier {courier.name} is not used by this shop"


def check_tracking(courier_code: str, number: str) -> str | None:
    """None when `number` fits the courier's format; else why not, in Bahasa Indonesia and English.

    Raises ValueError for a courier code that is not in COURIERS.
    """
    courier = _courier_by_code(courier_code)
    normalised = normalise_number(number)
    if not normalised:
        return _empty_reason(courier)
    if _fits(courier, normalised):
        return None
    return _mismatch_reason(courier, number)


# --- reading a note -------------------------------------------------------------------------------
#
# A note is cut into groups (runs of ASCII letters and digits). Two groups are linked when exactly one
# space or dash stands between them, which is how people write "0123 4567 8901 2345" or "0812-3456-7890".
# A candidate number is a short chain of linked groups; each courier mention claims the candidates
# between it and the next mention. Every step looks at each group a bounded number of times.


def _alias_regex(alias: str) -> str:
    # "j&t" also matches "J & T"; "si cepat" also matches "sicepat". The gap is bounded ({0,2}) so a
    # run of spaces can never make matching super-linear.
    return r"\s{0,2}".join(re.escape(token) for token in re.findall(r"[a-z0-9]+|&", alias.lower()))


def _mention_regex() -> re.Pattern[str]:
    alternatives = []
    for courier in COURIERS.values():
        spellings = {s.lower() for s in (courier.code, courier.name, *courier.aliases)}
        # Longest first, so "pos indonesia" is one mention rather than "pos" plus a stray word.
        body = "|".join(_alias_regex(s) for s in sorted(spellings, key=len, reverse=True))
        # "kode pos" is a postcode, written in every address, not the courier.
        guard = r"(?<!kode )" if courier.code == "POS" else ""
        alternatives.append(rf"(?P<{courier.code}>{guard}(?:{body}))")
    return re.compile(rf"(?<![a-z0-9])(?:{'|'.join(alternatives)})(?![a-z0-9])", re.IGNORECASE)


_MENTION = _mention_regex()
_GROUP = re.compile(r"[A-Za-z0-9]+")
_WORD = re.compile(r"\S+")
_LINKS = frozenset(" \t\u00a0" + _DASHES)
_PHONE_NUMBER = re.compile(_PHONE)
# Words that hold digits but are never a resi, so their groups may not be read as one: order IDs as this
# project and the marketplaces write them (INV-0042, ORD-3FA2B1C9D0, INV/20240101/MPL/123), dates, rupiah.
_NOT_A_RESI_WORD = re.compile(
    r"[^A-Za-z0-9]*(?:"
    r"(?:INVOICE|INV|ORDER|ORD)[-/#:._]?[A-Z0-9]"
    r"|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}(?![0-9])"
    r"|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?![0-9])"
    # "Rp150.000", but not the S10 prefix RP in "RP123456789ID".
    r"|RP\.?\d[\d.,]*(?![A-Za-z0-9])"
    r")",
    re.IGNORECASE,
)
_ORDER_WORDS = frozenset({"order", "pesanan", "invoice", "faktur"})
_NUMBER_LIKE_WORD = re.compile(r"#?\d")
_PUNCTUATION = ".,:;#()[]{}'\"!?"
# A shortest attempt at a resi worth quoting back: "JP12" is one, "2 pcs" is not.
_ATTEMPT_MIN_CHARS = 4
_ATTEMPT_MIN_DIGITS = 2
# People group a long number in threes or fours ("0123 4567 8901 2345").
_GROUPED_DIGITS_MIN = 3


@dataclass(frozen=True, slots=True)
class _Group:
    start: int
    end: int
    text: str  # upper-case
    has_digit: bool
    letters_only: bool


@dataclass(frozen=True, slots=True)
class _Mention:
    code: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class _Candidate:
    start: int
    end: int
    number: str
    # 0 when every group holds a digit; 1 when a letters-only group ("RR", "ID", "JP") was joined on
    # across a space. A note's ordinary words are letters-only, so tier 0 is tried first.
    tier: int


class _Note:
    """A note cut into groups, with the groups that must not be read as (part of) a resi marked."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.groups = [
            _Group(
                m.start(),
                m.end(),
                m.group().upper(),
                any(c.isdigit() for c in m.group()),
                m.group().isalpha(),
            )
            for m in _GROUP.finditer(text)
        ]
        self.linked_to_next = [
            left.end + 1 == right.start and text[left.end] in _LINKS
            for left, right in zip(self.groups, self.groups[1:], strict=False)
        ] + [False]
        self.mentions = [
            _Mention(str(m.lastgroup), m.start(), m.end()) for m in _MENTION.finditer(text) if m.lastgroup
        ]
        self.barred = [False] * len(self.groups)
        self._bar_mentions()
        self._bar_words_that_are_not_resi()
        self._bar_phone_numbers()

    def _bar_mentions(self) -> None:
        # A courier's name is never part of its number ("JNE 0123…" is not the number "JNE0123…").
        mentions = iter(self.mentions)
        mention = next(mentions, None)
        for index, group in enumerate(self.groups):
            while mention is not None and mention.end <= group.start:
                mention = next(mentions, None)
            if mention is not None and mention.start < group.end:
                self.barred[index] = True

    def _bar_words_that_are_not_resi(self) -> None:
        index = 0
        after_order_word = False
        for word in _WORD.finditer(self.text):
            while index < len(self.groups) and self.groups[index].end <= word.start():
                index += 1
            # "Order: 00123456789012" / "pesanan #123…": the number after the word is the order's.
            names_an_order = after_order_word and _NUMBER_LIKE_WORD.match(word.group()) is not None
            after_order_word = word.group().strip(_PUNCTUATION).lower() in _ORDER_WORDS
            if not (names_an_order or _NOT_A_RESI_WORD.match(word.group())):
                continue
            inside = index
            while inside < len(self.groups) and self.groups[inside].start < word.end():
                self.barred[inside] = True
                inside += 1

    def _bar_phone_numbers(self) -> None:
        # "+62 812-3456-7890" is four linked groups; its tail "81234567890" would pass as a JNE number,
        # so every group of a phone number is barred, not only the whole.
        phone_groups: list[int] = []
        for first, last, number in self._chains(14):
            if _PHONE_NUMBER.fullmatch(number):
                phone_groups.extend(range(first, last + 1))
        for index in phone_groups:
            self.barred[index] = True

    def _chains(self, longest: int, shortest_digit_group: int = 1) -> Iterator[tuple[int, int, str]]:
        """(first group, last group, joined text) of every chain of linked, unbarred groups that holds a
        digit and joins to at most `longest` characters; a group of digits shorter than
        `shortest_digit_group` stands only alone. At most `longest` chains start at any one group,
        so this is linear in the note."""
        groups = self.groups

        def too_short(group: _Group) -> bool:
            return group.text.isdigit() and len(group.text) < shortest_digit_group

        for first in range(len(groups)):
            joined = ""
            holds_digit = False
            last = first
            while last < len(groups) and not self.barred[last]:
                # A word inside a chain ("0123 hp 0812") ends it: letters may only open or close one.
                if last - 1 > first and groups[last - 1].letters_only:
                    break
                if last > first and (too_short(groups[first]) or too_short(groups[last])):
                    break
                joined += groups[last].text
                if len(joined) > longest:
                    break
                holds_digit = holds_digit or groups[last].has_digit
                if holds_digit:
                    yield first, last, joined
                if not self.linked_to_next[last]:
                    break
                last += 1

    def _digit_neighbour(self, index: int) -> bool:
        # Short groups of digits beside a number are counts ("2 koli", "1 pcs"), not more of it.
        if not 0 <= index < len(self.groups) or self.barred[index]:
            return False
        text = self.groups[index].text
        return text.isdigit() and len(text) >= _GROUPED_DIGITS_MIN

    def candidates(self) -> Iterator[_Candidate]:
        groups = self.groups
        # Numbers are grouped in threes or fours ("0123 4567 8901 2345"); "1 2 1 2" is a list, not a resi.
        for first, last, number in self._chains(_LONGEST_NUMBER, shortest_digit_group=_GROUPED_DIGITS_MIN):
            if last > first:
                # "0123 4567 8901 2345 6789" is one (too long) number, not a 16-digit one plus "6789":
                # a chain joined across spaces must take in every linked group of digits beside it.
                before = first - 1 if first > 0 and self.linked_to_next[first - 1] else -1
                after = last + 1 if self.linked_to_next[last] else -1
                if self._digit_neighbour(before) or self._digit_neighbour(after):
                    continue
            tier = int(last > first and (groups[first].letters_only or groups[last].letters_only))
            yield _Candidate(groups[first].start, groups[last].end, number, tier)

    def attempt_between(self, start: int, end: int) -> str | None:
        """The first thing between `start` and `end` that looks like someone's try at a resi, as written."""
        groups = self.groups
        index = 0
        while index < len(groups):
            group = groups[index]
            if group.start < start or self.barred[index] or not group.has_digit:
                index += 1
                continue
            if group.end > end:
                return None
            last = index
            while (
                self.linked_to_next[last]
                and last + 1 < len(groups)
                and groups[last + 1].end <= end
                and not self.barred[last + 1]
                and groups[last + 1].has_digit
            ):
                last += 1
            written = self.text[group.start : groups[last].end]
            digits = sum(c.isdigit() for c in written)
            if len(normalise_number(written)) >= _ATTEMPT_MIN_CHARS and digits >= _ATTEMPT_MIN_DIGITS:
                return written
            index = last + 1
        return None


def _best(candidates: Iterable[_Candidate], closest_to_end: bool = False) -> _Candidate | None:
    # After a mention: the earliest number, the whole of it. Before one: the number nearest to it.
    if closest_to_end:
        return min(candidates, key=lambda c: (c.tier, -c.end, -len(c.number)), default=None)
    return min(candidates, key=lambda c: (c.tier, c.start, -len(c.number)), default=None)


def find_tracking(text: str, allowed: Iterable[str] | None = None) -> Tracking | str | None:
    """Read a courier and its tracking number out of a packing team's note.

    Returns the Tracking when a known courier and a number in its format are both there; a reason (in
    Bahasa Indonesia and English) when a courier is named but its number is missing, does not fit, or the
    courier is not among `allowed` (codes; None means any); None when no courier is named at all.

    Phone numbers, order IDs, dates and rupiah amounts beside the resi are never taken for it. A number is
    read as belonging to the courier named just before it (or, before the first name, to that name).
    """
    note = _Note(text)
    if not note.mentions:
        return None
    allowed_codes = None if allowed is None else frozenset(code.strip().upper() for code in allowed)

    # Each mention owns the text up to the next one; the first also owns what comes before it.
    bounds = [m.start for m in note.mentions[1:]] + [len(text)]
    after: list[list[_Candidate]] = [[] for _ in note.mentions]
    before_first: list[_Candidate] = []
    owner = 0
    for candidate in note.candidates():
        if candidate.end <= note.mentions[0].start:
            before_first.append(candidate)
            continue
        while candidate.start >= bounds[owner]:
            owner += 1
        after[owner].append(candidate)

    for index, mention in enumerate(note.mentions):
        courier = COURIERS[mention.code]
        fitting = (c for c in after[index] if _fits(courier, c.number))
        found = _best(fitting)
        if found is None and index == 0:
            found = _best((c for c in before_first if _fits(courier, c.number)), closest_to_end=True)
        if found is not None:
            if allowed_codes is not None and courier.code not in allowed_codes:
                return _not_used_reason(courier)
            return Tracking(courier.code, found.number)

    first = note.mentions[0]
    courier = COURIERS[first.code]
    if allowed_codes is not None and courier.code not in allowed_codes:
        return _not_used_reason(courier)
    attempt = note.attempt_between(first.end, bounds[0]) or note.attempt_between(0, first.start)
    if attempt is not None:
        reason = check_tracking(courier.code, attempt)
        if reason is not None:
            return reason
    return _missing_reason(courier)
