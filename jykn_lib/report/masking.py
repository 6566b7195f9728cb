"""Personal numbers in what leaders read: find them however they were typed, mask identity numbers, remove phones.

A clerk may type an identity number into any field, with full-width digits (４４１８０３…), spaces or hyphens inside
("441803 1990 0101 1234", "441803-19900101-1234"), or zero-width characters pasted from a web page. Phones come as
13912345678, 139-1234-5678, 139 1234 5678, +86 139…, 0763-1234567 or (0763)1234567.

How a number is found (:func:`find_personal_numbers`): the text is mapped one character to one character (full-width
and other decimal digits to ASCII, so positions stay valid); a *run* is digit groups joined by at most three separator
characters (spaces, hyphens, zero-width marks — never a line break, a tag or a letter). Windows of consecutive groups
are tested, the longest first:

- identity number: 18 characters (17 digits and a digit or X) or 15 digits, whose first two digits are a province
  code and whose birth-date digits are a plausible date. The date test is what keeps a 户号 (区划代码 + 6-digit
  sequence: "441803100000000123" has no date), dates written together and hashes out;
- mobile: 11 digits from 13…–19… (optionally after 86 / +86); when typed in groups, each group has at least 3 digits
  (so a row of counts "15 20 30 40 50 6" is not a phone);
- landline: 0 + 2–3 digits, a separator, 7–8 digits; or the area code in brackets.

A longer unbroken digit run (19 digits, a 统计用区划代码 of 12) is never a hit. Masked forms (441803********123X) are
not hits: the * breaks the run. :func:`mask_text` masks identity numbers as first 6 + * + last 4 (``idcard.mask``) and
replaces phone numbers by :data:`PHONE_REMOVED` — a phone is never partly shown.
"""

from __future__ import annotations

import html as _html
import re
import unicodedata
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from jykn_lib import idcard

# Header fragments (matched after removing spaces, case-insensitive) that mark a column as identity numbers. 残疾人证号
# and 伤残证件号 embed the identity number, so they are masked the same way.
ID_HEADER_MARKERS: tuple[str, ...] = ("公民身份号码", "身份号码", "身份证", "证件号", "残疾人证号", "id_number")
PHONE_HEADER_MARKERS: tuple[str, ...] = ("联系电话", "电话", "手机", "phone")
PHONE_REMOVED = "（电话已隐去）"

ID, PHONE = "id", "phone"


def _digit_table() -> dict[int, str]:
    """Every decimal digit of the Basic Multilingual Plane → its ASCII digit; full-width X, +, brackets, hyphen."""
    table = {}
    for cp in range(0x80, 0x10000):
        ch = chr(cp)
        if unicodedata.category(ch) == "Nd":
            table[cp] = str(unicodedata.decimal(ch))
    table.update({0xFF38: "X", 0xFF58: "x", 0xFF0B: "+", 0xFF08: "(", 0xFF09: ")", 0xFF0D: "-"})
    return table


_TRANSLATE = _digit_table()
_SEP = r"[\x20\t\u00a0\u1680\u2000-\u200d\u2010-\u2015\u202f\u205f\u2060\u2212\u3000\ufe58\ufe63\ufeff\-]"
_RUN = re.compile(rf"(?<![0-9])[0-9]+(?:{_SEP}{{1,3}}[0-9]+)*(?:{_SEP}{{0,3}}[Xx](?![A-Za-z0-9]))?")
_GROUP = re.compile(r"[0-9]+|[Xx]")
_BRACKETED_LANDLINE = re.compile(rf"\(0[0-9]{{2,3}}\){_SEP}{{0,3}}[0-9]{{7,8}}(?![0-9])")
_PROVINCES = frozenset(idcard.PROVINCE_CODES)
_DIGITS = set("0123456789")


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    kind: str  # ID or PHONE
    digits: str  # the number without separators, ASCII (X upper-case)


def _plausible_date(yyyy: int, mm: int, dd: int) -> bool:
    return 1900 <= yyyy <= 2099 and 1 <= mm <= 12 and 1 <= dd <= 31


def _is_id(digits: str) -> bool:
    if len(digits) == 18:
        if not (set(digits[:17]) <= _DIGITS and (digits[17] in _DIGITS or digits[17] == "X")):
            return False
        year, month, day = int(digits[6:10]), int(digits[10:12]), int(digits[12:14])
    elif len(digits) == 15 and set(digits) <= _DIGITS:
        year, month, day = 1900 + int(digits[6:8]), int(digits[8:10]), int(digits[10:12])
    else:
        return False
    return digits[:2] in _PROVINCES and _plausible_date(year, month, day)


def _is_mobile(digits: str) -> bool:
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return len(digits) == 11 and digits[0] == "1" and digits[1] in "3456789" and set(digits) <= _DIGITS


def _classify(groups: list[str]) -> str | None:
    digits = "".join(groups).upper()
    if _is_id(digits):
        return ID
    if _is_mobile(digits):
        body = groups[1:] if len(groups) > 1 and groups[0] == "86" else groups
        if len(body) == 1 or all(len(g) >= 3 for g in body):
            return PHONE
    if (len(groups) == 2 and groups[0].startswith("0") and len(groups[0]) in (3, 4) and len(groups[1]) in (7, 8)
            and set(digits) <= _DIGITS):
        return PHONE
    return None


def _plain(text: str) -> str:
    return text.translate(_TRANSLATE)


def find_personal_numbers(text: str) -> list[Hit]:
    """Identity and phone numbers in ``text``, in order, not overlapping (positions index ``text`` itself)."""
    if not isinstance(text, str) or not text:
        return []
    plain = _plain(text)
    hits: list[Hit] = []
    for run in _RUN.finditer(plain):
        groups = [(m.start() + run.start(), m.end() + run.start(), m.group(0)) for m in _GROUP.finditer(run.group(0))]
        if sum(len(g[2]) for g in groups) < 7:
            continue
        i = 0
        while i < len(groups):
            for j in range(len(groups) - 1, i - 1, -1):  # the longest window starting at group i first
                kind = _classify([g[2] for g in groups[i:j + 1]])
                if kind:
                    start = groups[i][0]
                    if kind == PHONE and start > 0 and plain[start - 1] == "+":
                        start -= 1
                    hits.append(Hit(start, groups[j][1], kind, "".join(g[2] for g in groups[i:j + 1]).upper()))
                    i = j + 1
                    break
            else:
                i += 1
    for m in _BRACKETED_LANDLINE.finditer(plain):
        if not any(h.start < m.end() and m.start() < h.end for h in hits):
            hits.append(Hit(m.start(), m.end(), PHONE, re.sub(r"\D", "", m.group(0))))
    return sorted(hits, key=lambda h: h.start)


def mask_text(text: str) -> str:
    """Identity numbers → first 6 + * + last 4 (``idcard.mask``); phone numbers → :data:`PHONE_REMOVED`."""
    hits = find_personal_numbers(text)
    if not hits:
        return text
    parts, at = [], 0
    for h in hits:
        parts += [text[at:h.start], idcard.mask(h.digits) if h.kind == ID else PHONE_REMOVED]
        at = h.end
    parts.append(text[at:])
    return "".join(parts)


# ---------------------------------------------------------------------------------------------------------------------
# Scanning HTML

# Embedded images and fonts are base64: random digit runs there are not personal data.
_DATA_URI = re.compile(r"data:[\w.+-]+/[\w.+-]+(?:;[\w=.+-]+)*;base64,[A-Za-z0-9+/=\s]+")
# Inline markup does not separate what a reader sees (441803<b>1990</b>01011234 reads as one number); any other tag
# (a table cell, a paragraph) does.
_INLINE_TAG = re.compile(r"</?(?:a|abbr|b|bdi|bdo|code|em|font|i|kbd|mark|q|s|samp|small|span|strong|sub|sup|u|var|wbr)"
                         r"\b[^<>]*>", re.I)
_TAG = re.compile(r"<[^<>]*>")


def html_reading_text(html_text: str) -> str:
    """The HTML as a reader (or a copy-paste) would see its characters: embedded images out, inline tags removed,
    other tags as line breaks, entities decoded. Script and style contents stay (saved widget state is in a script)."""
    text = _DATA_URI.sub(" ", html_text)
    text = _INLINE_TAG.sub("", text)
    text = _TAG.sub("\n", text)
    return _html.unescape(text)


def scan_html_for_personal_data(html_text: str) -> list[str]:
    """Unmasked identity numbers and phone numbers in the HTML, distinct, in order of first appearance (as written,
    with their separators). Masked forms are not hits; a number is only a hit when it is not part of a longer run."""
    text = html_reading_text(html_text)
    found: list[str] = []
    for h in find_personal_numbers(text):
        if text[h.start:h.end] not in found:
            found.append(text[h.start:h.end])
    return found


# ---------------------------------------------------------------------------------------------------------------------
# Tables


def mask_id(value: object) -> str:
    """Identity number with the first 6 and last 4 characters kept and the rest as * (blank stays blank)."""
    if _blank(value):
        return ""
    return idcard.mask(value)


def mask_ids(values: pd.Series) -> pd.Series:
    """Vectorised :func:`mask_id` for a column: normalised like ``idcard.mask``, blanks stay NA."""
    present = values.notna()
    norm = idcard._normalize_array(values.astype(object).where(present, ""))
    n = pc.utf8_length(norm)
    stars = pc.binary_repeat(pa.scalar("*"), pc.max_element_wise(pc.subtract(n, 10), 0))
    head = pc.utf8_slice_codeunits(norm, 0, 6)
    tail = pc.utf8_slice_codeunits(norm, -4)
    long = pc.binary_join_element_wise(head, stars, tail, "")
    short = pc.binary_repeat(pa.scalar("*"), n)
    masked = pc.if_else(pc.greater(n, 10), long, short)
    out = pd.Series(masked.to_pandas(), index=values.index, dtype="string", name=values.name)
    return out.where(present, pd.NA)


# What a cell must contain to hold a phone or an identity number: a run of ten or more digits (any script) with at
# most three separators between them (a mobile, a landline with its area code, an identity number), or an area code in
# brackets. RE2 syntax (pyarrow), the separators of _SEP. Dates (8 digits) and counts do not need the full scan.
_SEP_RE2 = (r"[\x{20}\t\x{a0}\x{1680}\x{2000}-\x{200d}\x{2010}-\x{2015}\x{202f}\x{205f}\x{2060}\x{2212}\x{3000}"
            r"\x{fe58}\x{fe63}\x{feff}\x{ff0d}\-]")
_CANDIDATE_RE2 = rf"\p{{Nd}}(?:{_SEP_RE2}{{0,3}}\p{{Nd}}){{9,}}|[(\x{{ff08}}]\s*\p{{Nd}}{{3,4}}\s*[)\x{{ff09}}]"


def mask_free_text(values: pd.Series) -> pd.Series:
    """Free text (判定依据, 备注, a name field …) with :func:`mask_text` applied to the cells that could hold a phone
    or an identity number — found with one vectorised regular expression, so the other cells are never scanned."""
    arr = pa.array(values.astype("string[pyarrow]"))
    candidates = pc.fill_null(pc.match_substring_regex(arr, _CANDIDATE_RE2), False).to_numpy(zero_copy_only=False)
    if not candidates.any():
        return values
    out = values.astype(object).copy()
    out[candidates] = [mask_text(v) if isinstance(v, str) else v for v in out[candidates].tolist()]
    return out


def is_id_header(header: object) -> bool:
    key = _header_key(header)
    return any(marker.lower() in key for marker in ID_HEADER_MARKERS)


def is_phone_header(header: object) -> bool:
    key = _header_key(header)
    return any(marker.lower() in key for marker in PHONE_HEADER_MARKERS)


def mask_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy for leadership output: identity-number columns masked, phone columns dropped, and identity and phone
    numbers typed into any other text column masked or removed. Index levels named like identity numbers are masked
    too (a table indexed by 公民身份号码 would otherwise leak)."""
    out = df.drop(columns=[c for c in df.columns if is_phone_header(c)]).copy()
    for col in out.columns:
        s = out[col]
        if is_id_header(col):
            out[col] = mask_ids(s)
        elif s.dtype == object or pd.api.types.is_string_dtype(s):
            out[col] = mask_free_text(s)
    if any(is_id_header(name) for name in out.index.names if name is not None):
        if isinstance(out.index, pd.MultiIndex):
            levels = [mask_ids(pd.Series(out.index.get_level_values(i))) if is_id_header(name)
                      else out.index.get_level_values(i) for i, name in enumerate(out.index.names)]
            out.index = pd.MultiIndex.from_arrays(levels, names=out.index.names)
        else:
            out.index = pd.Index(mask_ids(pd.Series(out.index)), name=out.index.name)
    return out


def _blank(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # list-like values: let idcard.mask stringify them
        return False


def _header_key(header: object) -> str:
    text = "".join(str(part) for part in header) if isinstance(header, tuple) else str(header)
    return re.sub(r"\s+", "", text).lower()


__all__ = ["ID_HEADER_MARKERS", "PHONE_HEADER_MARKERS", "PHONE_REMOVED", "Hit", "find_personal_numbers",
           "html_reading_text", "is_id_header", "is_phone_header", "mask_frame", "mask_free_text", "mask_id", "mask_ids",
           "mask_text", "scan_html_for_personal_data"]
