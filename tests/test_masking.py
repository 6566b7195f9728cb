"""Identity and phone numbers however a clerk typed them (issue 9): found by the masker and by the HTML scanner, masked
first 6 + last 4 or removed — and the numbers that are not personal (户号, dates, counts, codes) left alone."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jykn_lib import idcard
from jykn_lib.report import (
    PHONE_REMOVED,
    find_personal_numbers,
    mask_frame,
    mask_free_text,
    mask_id,
    mask_ids,
    mask_text,
    scan_html_for_personal_data,
    styled,
)

ID = idcard.make_id("441803", dt.date(1990, 1, 1), 123)  # 441803199001011234-like, valid
ID_X = next(idcard.make_id("441827", dt.date(1985, 6, 30), s) for s in range(1000)
            if idcard.make_id("441827", dt.date(1985, 6, 30), s).endswith("X"))
MASKED = ID[:6] + "*" * 8 + ID[-4:]
FULL = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
HOUSEHOLD = "441803102000000123"  # 户号: a town's 统计用区划代码 (12 digits) + a 6-digit sequence; no birth date in it


def spaced(number: str, groups: tuple[int, ...], sep: str) -> str:
    out, at = [], 0
    for g in groups:
        out.append(number[at:at + g])
        at += g
    return sep.join(out + ([number[at:]] if at < len(number) else []))


# --- identity numbers as typed into a name or remark field ------------------------------------------------------------

HOSTILE_IDS = {
    "full-width digits": ID.translate(FULL),
    "full-width, upper X": ID_X.translate(FULL),
    "lower-case x": ID_X[:-1] + "x",
    "6-8-4 with spaces": spaced(ID, (6, 8), " "),
    "6-4-4-4 with spaces": spaced(ID, (6, 4, 4), " "),
    "4-4-4-4-2 with spaces": spaced(ID, (4, 4, 4, 4), " "),
    "hyphens": spaced(ID, (6, 8), "-"),
    "full-width hyphens": spaced(ID, (6, 8), "－"),
    "ideographic spaces and full-width digits": spaced(ID.translate(FULL), (6, 4, 4), "\u3000"),
    "no-break spaces": spaced(ID, (6, 8), "\u00a0"),
    "zero-width space pasted from a web page": spaced(ID, (6, 8), "\u200b"),
    "two spaces": spaced(ID, (6, 8), "  "),
    "space before the X": ID_X[:-1] + " X",
    "15-digit legacy number with spaces": spaced("441803750308123", (6, 6), " "),
}


@pytest.mark.parametrize("typed", list(HOSTILE_IDS.values()), ids=list(HOSTILE_IDS))
def test_a_typed_identity_number_is_masked_in_free_text(typed):
    text = f"张三（{typed}）已联系"
    hits = find_personal_numbers(text)
    assert [(h.kind, text[h.start:h.end]) for h in hits] == [("id", typed)]
    masked = mask_text(text)
    expected = idcard.mask(idcard.normalize(typed).replace("-", "").replace("－", ""))
    assert masked == f"张三（{expected}）已联系"
    assert expected[:6].isdigit() and "*" in expected
    assert find_personal_numbers(masked) == []  # the masked form is not found again


@pytest.mark.parametrize("typed", list(HOSTILE_IDS.values()), ids=list(HOSTILE_IDS))
def test_the_html_scanner_finds_a_typed_identity_number(typed):
    assert scan_html_for_personal_data(f"<td>张三{typed}</td>") == [typed]
    # inline markup does not hide it; HTML entities neither
    bold = f"<td>{typed[:6]}<b>{typed[6:10]}</b>{typed[10:]}</td>"
    assert len(scan_html_for_personal_data(bold)) == 1
    assert len(scan_html_for_personal_data(f"<td>{typed[:6]}&#x{ord(typed[6]):x};{typed[7:]}</td>")) == 1


# --- phones in free text: removed, never partly shown -----------------------------------------------------------------

HOSTILE_PHONES = {
    "plain": "13912345678",
    "3-4-4 hyphens": "139-1234-5678",
    "3-4-4 spaces": "139 1234 5678",
    "full-width": "１３９１２３４５６７８",
    "+86": "+86 13912345678",
    "+86 with hyphens": "+86-139-1234-5678",
    "86 glued": "8613912345678",
    "landline": "0763-1234567",
    "landline with a space": "0763 5123456",
    "landline full-width hyphen": "0763－1234567",
    "landline in brackets": "(0763)5123456",
    "landline in full-width brackets": "（０７６３）５１２３４５６",
}


@pytest.mark.parametrize("typed", list(HOSTILE_PHONES.values()), ids=list(HOSTILE_PHONES))
def test_a_phone_in_free_text_is_removed(typed):
    text = f"联系人李四，电话{typed}，已上门"
    masked = mask_text(text)
    assert masked == f"联系人李四，电话{PHONE_REMOVED}，已上门"
    digits = "".join(c for c in typed.translate(str.maketrans("０１２３４５６７８９", "0123456789")) if c.isdigit())
    assert digits[-4:] not in masked  # nothing of it is shown
    assert scan_html_for_personal_data(f"<p>{text}</p>") == [typed]


def test_several_numbers_in_one_field():
    text = f"{ID} 13912345678；{spaced(ID_X, (6, 8), ' ')}、139 1234 5678"
    kinds = [h.kind for h in find_personal_numbers(text)]
    assert kinds == ["id", "phone", "id", "phone"]
    assert mask_text(text) == f"{MASKED} {PHONE_REMOVED}；{idcard.mask(ID_X)}、{PHONE_REMOVED}"


# --- what must not be eaten -------------------------------------------------------------------------------------------

NOT_PERSONAL = {
    "户号": f"户号 {HOUSEHOLD}",
    "户号 with 15 digits": "户号 441803102000123",
    "统计用区划代码": "统计用区划代码 441803100000",
    "dates in a row": "2026-11-26 2026-10-08 2026-12-31",
    "date and quarter": "基准日 2026-11-26，2026Q4，20261126",
    "counts separated by spaces": "15 20 30 40 50 6",
    "counts in a table row": "238 104 57 77 55 11 8 6 5 7 21 1 3 0 4",
    "a money amount": "共 1,234,567.89 元",
    "19-digit run": "1234567890123456789",
    "12 digits from 139": "139123456789",
    "129 is no mobile prefix": "12912345678",
    "masked id": MASKED,
    "masked phone": "139****5678",
    "统一社会信用代码 with letters": "91441803MA4W1234XY",
    "a sha256": "3f5a0c2e4b1d9e7f6a8b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f",
    "birth date out of range": "441803180001011234",  # year 1800: not a birth date
    "province code unknown": "001803199001011234",
}


@pytest.mark.parametrize("text", list(NOT_PERSONAL.values()), ids=list(NOT_PERSONAL))
def test_numbers_that_are_not_personal_are_left_alone(text):
    assert find_personal_numbers(text) == []
    assert mask_text(text) == text
    assert scan_html_for_personal_data(f"<td>{text}</td>") == []


def test_table_cells_are_not_joined_into_a_number():
    # two cells that would read as an identity number if the tag between them were ignored
    assert scan_html_for_personal_data(f"<tr><td>{ID[:6]}</td><td>{ID[6:]}</td></tr>") == []
    assert scan_html_for_personal_data(f"<p>{ID[:6]}</p>\n<p>{ID[6:]}</p>") == []


# --- tables -----------------------------------------------------------------------------------------------------------


def test_mask_ids_is_the_vectorised_mask_id():
    values = pd.Series([ID, ID_X.lower(), ID.translate(FULL), " " + ID + " ", "441803750308123", "12345", "", None,
                        pd.NA, 441803199001011234])
    expected = [mask_id(v) for v in values]
    got = mask_ids(values)
    assert [("" if pd.isna(g) else g) for g in got] == expected
    assert got.isna().tolist()[-4:] == [False, True, True, False]


def test_mask_frame_masks_numbers_typed_into_other_columns():
    df = pd.DataFrame({
        "姓名": [f"王五{ID.translate(FULL)}", "赵六", None],
        "备注": [f"电话 139 1234 5678，户号 {HOUSEHOLD}", spaced(ID, (6, 8), "-"), "无"],
        "人数": [1, 2, 3],
    })
    out = mask_frame(df)
    assert out["姓名"].tolist()[:2] == [f"王五{MASKED}", "赵六"] and pd.isna(out["姓名"].tolist()[2])
    assert out["备注"].tolist() == [f"电话 {PHONE_REMOVED}，户号 {HOUSEHOLD}", MASKED, "无"]
    assert out["人数"].tolist() == [1, 2, 3]
    html_text = styled(df).to_html()
    assert scan_html_for_personal_data(html_text) == []
    assert scan_html_for_personal_data(df.to_html()) != []  # unmasked, the scanner would have caught it


def test_mask_frame_on_a_large_column_only_rescans_cells_with_digits():
    names = pd.Series(["张三"] * 50_000 + [f"李四 {spaced(ID, (6, 8), ' ')}"])
    out = mask_frame(pd.DataFrame({"姓名": names}))
    assert out["姓名"].iloc[-1] == f"李四 {MASKED}" and (out["姓名"].iloc[:-1] == "张三").all()


# --- the vectorised pre-filter never hides a number the full scan would find ------------------------------------------

PIECES = st.sampled_from(["0", "1", "3", "4", "7", "8", "9", "０", "１", "３", " ", "-", "－", "\u3000", "\u200b", "(", ")",
                          "（", "）", "+", "X", "x", "张", "号", "，", "\n", "086", "0763", "139", "441803", "19900101",
                          "1234", "020"])


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECES, min_size=1, max_size=14).map("".join))
def test_the_prefilter_lets_through_every_cell_with_a_number(text):
    expected = mask_text(text)
    assert mask_free_text(pd.Series([text, "张三"])).tolist() == [expected, "张三"]


def test_the_prefilter_skips_dates_and_counts():
    from jykn_lib.report.masking import _CANDIDATE_RE2

    texts = ["失业登记 2025-09-02（粤人社规〔2023〕11号 第一条第（七）项）", "共 12 人", "张三", "020-1234567", HOUSEHOLD]
    assert pc.match_substring_regex(pa.array(texts), _CANDIDATE_RE2).to_pylist() == [False, False, False, True, True]
