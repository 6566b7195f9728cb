"""What leaders read: masking personal data, tables for display, and an executed notebook → HTML without code.

Leaders see masked identity numbers (first 6 and last 4 characters) and no phone numbers, however they were typed
(full-width digits, spaces, hyphens: :mod:`jykn_lib.report.masking`). :func:`styled` prepares a table for display
(:mod:`~jykn_lib.report.tables`); :func:`notebook_to_html` renders an executed notebook with our nbconvert template
(:mod:`~jykn_lib.report.page`); the batch runner then calls :func:`scan_html_for_personal_data` and
:func:`html_has_code_cells` on the result.
"""

from .masking import (
    ID_HEADER_MARKERS,
    PHONE_HEADER_MARKERS,
    PHONE_REMOVED,
    find_personal_numbers,
    html_reading_text,
    is_id_header,
    is_phone_header,
    mask_frame,
    mask_free_text,
    mask_id,
    mask_ids,
    mask_text,
    scan_html_for_personal_data,
)
from .page import (
    DROPPED_CELL_TAGS,
    ReportError,
    first_heading,
    html_has_code_cells,
    notebook_to_html,
    scan_html_for_jargon,
    visible_text,
)
from .tables import LONG_TEXT_COLUMNS, styled

__all__ = [
    "DROPPED_CELL_TAGS", "ID_HEADER_MARKERS", "LONG_TEXT_COLUMNS", "PHONE_HEADER_MARKERS", "PHONE_REMOVED",
    "ReportError", "find_personal_numbers", "first_heading", "html_has_code_cells", "html_reading_text",
    "is_id_header", "is_phone_header", "mask_frame", "mask_free_text", "mask_id", "mask_ids", "mask_text",
    "notebook_to_html", "scan_html_for_jargon", "scan_html_for_personal_data", "styled", "visible_text",
]
