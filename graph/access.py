"""Does a service meet the victim's language and access needs?

Data, not a rule that excludes: a service that cannot meet a need as declared may still be the
right one (and can often arrange it), so ``access_match`` says how well a service fits, and the
plan prefers the better fit among services that are otherwise equal. Anything the service does
not declare is unknown, never "no": it becomes something to confirm.

>>> from graph.model import Service, Victim
>>> from graph.vocabulary import AccessNeed, Need
>>> isva = Service("isva", "p", "ISVA", (Need.SEXUAL_VIOLENCE_ADVOCACY,), languages=("en",),
...                interpreters=True, access=frozenset({AccessNeed.HOME_VISITS}))
>>> victim = Victim(area="E07000008", language="pl", interpreter=True,
...                 access_needs=frozenset({AccessNeed.HOME_VISITS, AccessNeed.EASY_READ}))
>>> m = access_match(isva, victim)
>>> m.language.value, m.interpreter, [a.value for a in m.to_arrange]
('interpreter', True, ['easy_read'])
>>> [c.value for c in m.confirm]
['interpreter', 'access']
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .model import Service, Victim
from .vocabulary import AccessNeed, Check, primary_language

__all__ = ["AccessMatch", "LanguageFit", "access_match"]


class LanguageFit(StrEnum):
    """How a service meets the victim's language, best first (see ``rank``)."""

    NOT_ASKED = "not_asked"
    """The victim gave no language and needs no interpreter."""
    SPOKEN = "spoken"
    """The service works in the victim's language."""
    INTERPRETER = "interpreter"
    """The service arranges an interpreter."""
    UNKNOWN = "unknown"
    """The service declares no languages and no interpreters: ask it."""
    UNMET = "unmet"
    """The service declares its languages, the victim's is not one, and it arranges no
    interpreters."""

    @property
    def rank(self) -> int:
        """0 is a full match, then worse: what a plan sorts on."""
        return _RANK[self]


_RANK = {
    LanguageFit.NOT_ASKED: 0,
    LanguageFit.SPOKEN: 0,
    LanguageFit.INTERPRETER: 1,
    LanguageFit.UNKNOWN: 2,
    LanguageFit.UNMET: 3,
}


@dataclass(frozen=True, slots=True)
class AccessMatch:
    """How one service meets one victim's language and access needs."""

    language: LanguageFit
    interpreter: bool
    """The service is to arrange an interpreter for this victim."""
    met: frozenset[AccessNeed]
    """The victim's access needs the service declares it meets."""
    to_arrange: frozenset[AccessNeed]
    """The victim's access needs the service does not declare: arrange or confirm them."""

    @property
    def full(self) -> bool:
        """Language and every access need met as declared, with nothing to arrange."""
        return self.language.rank == 0 and not self.to_arrange

    @property
    def key(self) -> tuple[int, int, int]:
        """Smaller is better: (language rank, access needs to arrange, interpreter to book).

        >>> access_match(Service("s", "p", "S", ()), Victim(area="E07000008")).key
        (0, 0, 0)
        """
        return (self.language.rank, len(self.to_arrange), int(self.interpreter))

    @property
    def confirm(self) -> tuple[Check, ...]:
        """What to confirm with the service before the handover, in a fixed order."""
        out: list[Check] = []
        if self.language in (LanguageFit.UNKNOWN, LanguageFit.UNMET):
            out.append(Check.LANGUAGE)
        if self.interpreter:
            out.append(Check.INTERPRETER)
        if self.to_arrange:
            out.append(Check.ACCESS)
        return tuple(out)


def _speaks(service: Service, language: str) -> bool:
    # pt-BR is met by a service that declares pt, and pt by one that declares pt-BR: the
    # primary language is what decides whether the victim is understood.
    wanted = primary_language(language)
    return any(primary_language(tag) == wanted for tag in service.languages)


def _language(service: Service, victim: Victim) -> tuple[LanguageFit, bool]:
    if victim.language is not None and _speaks(service, victim.language):
        return LanguageFit.SPOKEN, False
    if victim.language is None and not victim.interpreter:
        return LanguageFit.NOT_ASKED, False
    if service.interpreters:
        return LanguageFit.INTERPRETER, True
    if not service.languages:
        return LanguageFit.UNKNOWN, False
    return LanguageFit.UNMET, False


def access_match(service: Service, victim: Victim) -> AccessMatch:
    """How ``service`` meets ``victim``'s preferred language, interpreter need and access needs.

    The language is met when the service works in it (by primary language: ``pt`` meets
    ``pt-BR``), or through an interpreter when the service arranges them. A victim who needs an
    interpreter but works with a service in their own language needs none. Access needs are met
    one by one; the rest are to be arranged.

    >>> from graph.vocabulary import Need
    >>> s = Service("s", "p", "S", (Need.HEALTH,), languages=("en", "pl"))
    >>> access_match(s, Victim(area="E07000008", language="pl", interpreter=True)).language
    <LanguageFit.SPOKEN: 'spoken'>
    >>> access_match(s, Victim(area="E07000008", language="lt")).language
    <LanguageFit.UNMET: 'unmet'>
    """
    fit, interpreter = _language(service, victim)
    return AccessMatch(
        language=fit,
        interpreter=interpreter,
        met=victim.access_needs & service.access,
        to_arrange=victim.access_needs - service.access,
    )
