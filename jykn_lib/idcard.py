"""公民身份号码 (GB 11643-1999): normalise, validate, convert 15 → 18 digits, derive birth date and sex.

Identity numbers are always text. The scalar functions serve forms and tests; :func:`parse_ids` is the vectorised
path used by the reader and the rule engine.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# GB/T 2260 province-level codes (first two digits of the address code); 81–83 are used by residence permits for
# residents of Hong Kong, Macao and Taiwan. Full 6-digit region tables are not bundled.
PROVINCE_CODES: dict[str, str] = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
    "21": "辽宁省", "22": "吉林省", "23": "黑龙江省",
    "31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省", "37": "山东省",
    "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区", "46": "海南省",
    "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省", "54": "西藏自治区",
    "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区", "65": "新疆维吾尔自治区",
    "71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区", "83": "台湾地区（居住证）",
}

WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)  # 2^(18-i) mod 11
CHECK_CHARS = "10X98765432"  # indexed by (sum mod 11)
EARLIEST_BIRTH = dt.date(1900, 1, 1)

# Error codes and their Chinese reasons; {v} is the offending (normalised) value.
ERRORS = {
    "ID_EMPTY": "公民身份号码为空",
    "ID_NUMERIC": "公民身份号码被 Excel 存成了数字（{v}），末几位已丢失，无法恢复，请从原系统重新导出为文本",
    "ID_CHARS": "公民身份号码含有数字和末位X以外的字符：{v}",
    "ID_LENGTH": "公民身份号码应为18位（或15位旧号），实际为{n}位：{v}",
    "ID_PROVINCE": "公民身份号码前两位“{p}”不是有效的省级行政区划代码：{v}",
    "ID_DATE": "公民身份号码中的出生日期“{d}”不是有效日期：{v}",
    "ID_TOO_OLD": "公民身份号码中的出生日期“{d}”早于1900年：{v}",
    "ID_FUTURE": "公民身份号码中的出生日期“{d}”晚于基准日{on}：{v}",
    "ID_CHECK": "公民身份号码校验码错误：第18位应为“{c}”，实际为“{a}”：{v}",
}

_STRIP = re.compile(r"[\s\u200b\u200c\u200d\ufeff'\"‘’“”`]+")
_STRIP_RE2 = r"[\s\x{3000}\x{200b}\x{200c}\x{200d}\x{feff}'\"‘’“”`]+"


def normalize(value: object) -> str:
    """Full-width digits to half-width, spaces and quote marks removed, lower-case x to X. Not validated."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return _STRIP.sub("", text).upper()


def check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character for the first 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError(f"需要17位数字，得到“{first17}”")
    total = int(np.dot(np.frombuffer(first17.encode("ascii"), dtype=np.uint8).astype(np.int64) - 48, WEIGHTS))
    return CHECK_CHARS[total % 11]


def to18(id15: str) -> str:
    """Legacy 15-digit number (all born in the 1900s) to 18 digits: insert 19 before the year, append the check."""
    s = normalize(id15)
    if len(s) != 15 or not s.isdigit():
        raise ValueError(f"需要15位数字的旧身份证号，得到“{id15}”")
    body = s[:6] + "19" + s[6:]
    return body + check_digit(body)


@dataclass(frozen=True)
class IdCheck:
    original: str
    id_number: str | None  # the valid 18-character number, or None
    error: str | None  # an ERRORS code
    message: str | None  # the Chinese reason
    converted_from_15: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


def validate(value: object, on: dt.date | None = None) -> IdCheck:
    """Validate one identity number; ``on`` enables the 'birth date not after the reference date' check."""
    frame = parse_ids(pd.Series([value], dtype=object), on=on)
    row = frame.iloc[0]
    return IdCheck(
        original="" if value is None else str(value),
        id_number=row["id_number"] if isinstance(row["id_number"], str) else None,
        error=row["error"] if isinstance(row["error"], str) else None,
        message=row["message"] if isinstance(row["message"], str) else None,
        converted_from_15=bool(row["converted_from_15"]),
    )


def is_valid(value: object, on: dt.date | None = None) -> bool:
    return validate(value, on).ok


def birth_date(id_number: str) -> dt.date:
    s = normalize(id_number)
    if len(s) == 15:
        s = to18(s)
    return dt.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))


def sex(id_number: str) -> str:
    """'男' when the 17th digit (3rd of a 15-digit number's sequence) is odd, else '女'."""
    s = normalize(id_number)
    digit = int(s[16] if len(s) == 18 else s[14])
    return "男" if digit % 2 else "女"


def mask(id_number: object) -> str:
    """First 6 and last 4 characters, the rest as *: for reports that leave the office."""
    s = normalize(id_number)
    if len(s) <= 10:
        return "*" * len(s)
    return s[:6] + "*" * (len(s) - 10) + s[-4:]


def _normalize_array(values: pd.Series) -> pa.Array:
    text = values.astype(object).where(values.notna(), "").astype(str).to_numpy(dtype=object)
    arr = pa.array(text, type=pa.string())
    arr = pc.utf8_normalize(arr, "NFKC")
    arr = pc.replace_substring_regex(arr, _STRIP_RE2, "")
    return pc.utf8_upper(arr)


def _fixed_width_digits(arr: pa.Array, width: int) -> np.ndarray:
    """Rows of an all-ASCII string array whose items all have ``width`` characters, as an (n, width) uint8 matrix."""
    arr = pa.concat_arrays([arr]) if isinstance(arr, pa.Array) else arr.combine_chunks()
    if len(arr) == 0:
        return np.zeros((0, width), dtype=np.uint8)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset : arr.offset + len(arr) + 1]
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    return data.reshape(-1, width)


def parse_ids(values: pd.Series, on: dt.date | None = None, numeric: pd.Series | None = None) -> pd.DataFrame:
    """Vectorised validation of a column of identity numbers.

    ``numeric`` marks cells that the spreadsheet stored as numbers: those are unrecoverable whatever their digits
    (about 9% of mangled numbers still pass the check digit), so they are rejected from the cell type.

    Returns a frame aligned with ``values``: ``id_number`` (normalised 18 characters or NA), ``birth_date``,
    ``sex`` (男/女), ``error`` (code or NA), ``message`` (Chinese or NA), ``converted_from_15``.
    """
    index = values.index
    n = len(values)
    norm = _normalize_array(values)
    lengths = pc.utf8_length(norm).to_numpy(zero_copy_only=False).astype(np.int64)
    is18 = pc.match_substring_regex(norm, r"^\d{17}[\dX]$").to_numpy(zero_copy_only=False)
    is15 = pc.match_substring_regex(norm, r"^\d{15}$").to_numpy(zero_copy_only=False)
    chars_ok = pc.match_substring_regex(norm, r"^[\dX]*$").to_numpy(zero_copy_only=False)
    codes = list(ERRORS)
    err = np.zeros(n, dtype=np.int8)  # 0 = no error, else 1 + index in ERRORS; the first failure wins
    detail: dict[str, str] = {}

    def fail(mask_: np.ndarray, code: str) -> None:
        err[mask_ & (err == 0)] = codes.index(code) + 1

    fail(lengths == 0, "ID_EMPTY")
    if numeric is not None:
        fail(np.asarray(numeric, dtype=bool), "ID_NUMERIC")
    fail(~chars_ok, "ID_CHARS")
    fail(~(is18 | is15), "ID_LENGTH")

    full = norm.to_numpy(zero_copy_only=False).astype(object)
    for i in np.flatnonzero(is15 & (err == 0)):  # legacy numbers are rare
        full[i] = to18(full[i])
    shaped = (err == 0) & (is18 | is15)
    idx = np.flatnonzero(shaped)
    digits = _fixed_width_digits(pa.array(full[idx], type=pa.string()), 18).astype(np.int64) - 48

    province_num = digits[:, 0] * 10 + digits[:, 1] if len(idx) else np.zeros(0, dtype=np.int64)
    bad = np.zeros(n, dtype=bool)
    bad[idx] = ~np.isin(province_num, np.array([int(k) for k in PROVINCE_CODES]))
    fail(bad, "ID_PROVINCE")

    year = digits[:, 6:10] @ np.array([1000, 100, 10, 1]) if len(idx) else np.zeros(0, dtype=np.int64)
    month = digits[:, 10:12] @ np.array([10, 1]) if len(idx) else np.zeros(0, dtype=np.int64)
    day = digits[:, 12:14] @ np.array([10, 1]) if len(idx) else np.zeros(0, dtype=np.int64)
    births_sub = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": day}), errors="coerce")
    births = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    births[idx] = births_sub.to_numpy(dtype="datetime64[ns]")
    bad = np.zeros(n, dtype=bool)
    bad[idx] = np.isnat(births[idx])
    fail(bad, "ID_DATE")
    with np.errstate(invalid="ignore"):
        fail(shaped & ~np.isnat(births) & (births < np.datetime64(EARLIEST_BIRTH)), "ID_TOO_OLD")
        if on is not None:
            fail(shaped & ~np.isnat(births) & (births > np.datetime64(pd.Timestamp(on).date())), "ID_FUTURE")
    detail["on"] = "" if on is None else pd.Timestamp(on).date().isoformat()

    if len(idx):
        expected_sub = np.array(list(CHECK_CHARS), dtype=object)[(digits[:, :17] @ WEIGHTS) % 11]
        last = digits[:, 17] + 48
        actual_sub = np.where(last == ord("X"), "X", (last - 48).astype(str)).astype(object)
        bad = np.zeros(n, dtype=bool)
        bad[idx] = expected_sub != actual_sub
        fail(bad, "ID_CHECK")

    good = err == 0
    error = np.array([None] + codes, dtype=object)[err]
    message = np.full(n, None, dtype=object)
    raw_text = values.astype(object).where(values.notna(), "").to_numpy(dtype=object)
    for i in np.flatnonzero(~good):  # messages only for the bad rows
        f = full[i]
        fields = {"p": f[:2], "d": f[6:14], "c": check_digit(f[:17]) if f[:17].isdigit() and len(f) == 18 else "",
                  "a": f[17:18]}
        message[i] = ERRORS[error[i]].format(v=str(raw_text[i]).strip(), n=lengths[i], **fields, **detail)
    sex_digit = np.zeros(n, dtype=np.int64)
    sex_digit[idx] = digits[:, 16] if len(idx) else []
    return pd.DataFrame(
        {
            "id_number": pd.Series(np.where(good, full, None), index=index, dtype=object),
            "birth_date": pd.Series(np.where(good, births, np.datetime64("NaT")), index=index),
            "sex": pd.Series(np.where(good, np.where(sex_digit % 2 == 1, "男", "女"), None), index=index, dtype=object),
            "error": pd.Series(error, index=index, dtype=object),
            "message": pd.Series(message, index=index, dtype=object),
            "converted_from_15": pd.Series(is15 & good, index=index),
        },
        index=index,
    )


def make_id(region6: str, birth: dt.date, sequence: int) -> str:
    """Build a valid 18-digit number (for the synthetic district): region, birth date, 3-digit sequence, check."""
    body = f"{region6}{birth:%Y%m%d}{sequence:03d}"
    return body + check_digit(body)


def make_ids(regions, births, sequences) -> np.ndarray:
    """Vectorised :func:`make_id` for many people (region codes, birth dates, 3-digit sequences)."""
    regions = np.asarray(regions, dtype=str)
    days = pd.to_datetime(pd.Series(births)).dt.strftime("%Y%m%d").to_numpy(dtype=str)
    seqs = np.char.zfill(np.asarray(sequences, dtype=np.int64).astype(str), 3)
    body = np.char.add(np.char.add(np.broadcast_to(regions, days.shape).astype(str), days), seqs)
    digits = np.frombuffer("".join(body.tolist()).encode("ascii"), dtype=np.uint8).reshape(-1, 17).astype(np.int64) - 48
    checks = np.array(list(CHECK_CHARS))[(digits @ WEIGHTS) % 11]
    return np.char.add(body, checks).astype(object)


# --- integer codes ------------------------------------------------------------------------------------------------

_POW = 11


def _fixed_width(arr: pa.Array, width: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(n × width uint8 view, row mask of well-formed rows) of a string array whose rows are ``width`` bytes, or None."""
    if arr.null_count or len(arr) == 0:
        return None
    large = pa.types.is_large_string(arr.type)
    offs = np.frombuffer(arr.buffers()[1], dtype=np.int64 if large else np.int32)[arr.offset: arr.offset + len(arr) + 1]
    if not (np.diff(offs) == width).all():
        return None
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[offs[0]: offs[0] + width * len(arr)]
    return data.reshape(len(arr), width), np.ones(len(arr), dtype=bool)


def numeric_codes(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The identity numbers of an Arrow string array as int64, without hashing: the first 17 digits as a number,
    times 11, plus the check character (X = 10) — injective. Returns (code, well-formed mask); a code means something
    only where the mask is True. Read straight from the Arrow string buffer (the engine's joins run on these)."""
    n = len(arr)
    codes = np.zeros(n, dtype=np.int64)
    ok = np.zeros(n, dtype=bool)
    fixed = _fixed_width(arr, 18) if n else None
    if fixed is None:  # mixed lengths or nulls: only the well-formed rows take the fast path
        texts = arr.to_numpy(zero_copy_only=False)
        good = np.array([isinstance(t, str) and len(t) == 18 for t in texts], dtype=bool) if n else ok
        if good.any():
            sub = pa.array(texts[good].tolist(), type=pa.string())
            c, o = numeric_codes(sub)
            codes[good], ok[good] = c, o
        return codes, ok
    mat, _ = fixed
    body = np.zeros(n, dtype=np.int64)
    valid = np.ones(n, dtype=bool)
    for j in range(17):
        d = mat[:, j].astype(np.int64) - 48
        valid &= (d >= 0) & (d <= 9)
        body = body * 10 + d
    last = mat[:, 17].astype(np.int64)
    check = np.where(last == 88, 10, last - 48)  # "X"
    valid &= (check >= 0) & (check <= 10)
    return body * _POW + check, valid


CODE_COLUMN = "_pid"  # the person code column the reader adds to every table keyed by 公民身份号码


def arrow_strings(values) -> pa.Array:
    """A column of text as one Arrow string array (zero-copy for Arrow-backed pandas strings)."""
    if isinstance(values, pd.Series) and hasattr(values.array, "_pa_array"):
        arr = values.array._pa_array
    else:
        arr = pa.array(values, from_pandas=True) if not isinstance(values, (pa.Array, pa.ChunkedArray)) else values
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        arr = pa.array(pd.Series(values).astype(object).where(pd.Series(values).notna(), None).astype(str).to_numpy(),
                       type=pa.string())
    return arr


def add_person_codes(frame: pd.DataFrame, field: str = "id_number") -> pd.DataFrame:
    """``frame`` with ``_pid`` (:func:`numeric_codes` of ``field``) when every value is a well-formed 18-character
    number — what the reader's tables hold, so the rule engine joins on integers without parsing text again; a frame
    with any other value is returned as it is (the engine then codes it itself)."""
    if field not in frame.columns or CODE_COLUMN in frame.columns:
        return frame
    codes, ok = numeric_codes(arrow_strings(frame[field]))
    if not ok.all():
        return frame
    out = frame.copy(deep=False)
    out[CODE_COLUMN] = codes
    return out
