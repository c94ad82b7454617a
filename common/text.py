"""Free text that people read: no character that hides or reorders what they see.

A trade reference ``INV-\u202e0001`` displays reversed (U+202E, right-to-left override), and
zero-width or other format characters make two references that look the same differ. The
one validator here refuses, in identifiers, references, names and comments:

- the Unicode bidirectional controls: U+202A–U+202E (embeddings and overrides), U+2066–U+2069
  (isolates), U+200E and U+200F (marks) and U+061C (Arabic letter mark);
- every other control (category Cc) and format character (Cf: zero-width space, word joiner,
  soft hyphen, BOM, tags, …), line and paragraph separators (Zl, Zp), private-use,
  surrogate and unassigned code points;
- except, in multi-line text (comments, evidence), line feed, carriage return and tab; and
  in names and comments, the zero-width joiner and non-joiner (U+200D, U+200C), which Persian,
  Indic scripts and emoji need.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: General categories refused: controls, format, separators other than space, private use,
#: surrogates, unassigned.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"})
_LINE_BREAKS = frozenset("\n\r\t")
_JOINERS = frozenset("\u200c\u200d")


def hidden_characters(value: str, *, multiline: bool = False, joiners: bool = False) -> list[str]:
    """The refused characters in ``value``, each once, as ``U+XXXX`` in order of appearance."""
    found: list[str] = []
    for char in value:
        if char in BIDI_CONTROLS or unicodedata.category(char) in _REFUSED_CATEGORIES:
            if (multiline and char in _LINE_BREAKS) or (joiners and char in _JOINERS):
                continue
            code = f"U+{ord(char):04X}"
            if code not in found:
                found.append(code)
    return found


@deconstructible
class VisibleText:
    """Django (and DRF) validator: refuse hidden characters (see the module)."""

    def __init__(self, *, multiline: bool = False, joiners: bool = False) -> None:
        self.multiline = multiline
        self.joiners = joiners

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VisibleText) and (self.multiline, self.joiners) == (
            other.multiline,
            other.joiners,
        )

    def __hash__(self) -> int:
        return hash((self.multiline, self.joiners))

    def __call__(self, value: object) -> None:
        if not isinstance(value, str):
            return
        found = hidden_characters(value, multiline=self.multiline, joiners=self.joiners)
        if found:
            raise ValidationError(
                "Contains invisible or direction-changing characters (%(characters)s); "
                "type the text without them.",
                code="hidden_characters",
                params={"characters": ", ".join(found)},
            )


#: References and identifiers (trade and client account references, usernames, LEI-like codes).
validate_reference = VisibleText()
#: Names and titles on one line.
validate_name = VisibleText(joiners=True)
#: Comments, evidence, motions: several lines.
validate_multiline_text = VisibleText(multiline=True, joiners=True)
