"""A form row's answers validated with the shop's catalogue, clock and payment words."""

from __future__ import annotations

from collections.abc import Mapping

from fulfil.core.validation import COD_WORDS, Checked, OrderDraft, validate
from fulfil.usecases.deps import Deps


def checked(svc: Deps, draft: OrderDraft) -> Checked:
    words = svc.source_columns
    return validate(
        draft,
        svc.catalogue,
        now=svc.clock(),
        tz=svc.tz,
        paid_words=frozenset(w.lower() for w in words.paid_words),
        cod_words=frozenset(w.lower() for w in words.cod_words) or COD_WORDS,
    )


def draft_of(answers: Mapping[str, str]) -> OrderDraft:
    """The draft an order's kept answers (its source, or a held change) make again."""
    return OrderDraft(**{k: answers.get(k, "") for k in OrderDraft.__dataclass_fields__})
