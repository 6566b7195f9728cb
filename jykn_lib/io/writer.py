"""One workbook writer for everything the suite hands to people (town clerks, leaders, the province).

API (to be implemented; callers rely on exactly this):

    from jykn_lib.io.writer import Col, Sheet, write_workbook

    write_workbook(
        path,                       # target .xlsx; written atomically (temp file in the same folder, then os.replace)
        sheets=[Sheet(
            name="引导申请名单",       # sheet name (Chinese), ≤ 31 chars
            data=df,                 # pandas DataFrame; its column names are the Chinese headers, in order
            title="清新区就业困难人员引导申请名单　2026Q4　太和镇　基准日 2026-11-26",  # title row above the header
            columns={                # optional per-column settings, keyed by header
                "公民身份号码": Col(kind="text"),          # kinds: text (forced text cell), date, int, number, auto
                "联系电话": Col(kind="text"),
                "核实结果": Col(dropdown=["属实", "不属实"], editable=True),
            },
            highlight=mask_series,   # optional boolean Series aligned with data: rows filled (light red) as flagged
            highlight_note="红色底纹：逾期或需核实",   # optional, written under the table
            note_lines=["……"],       # optional lines written below the table (e.g. "本镇本期无符合条件人员（0人）")
            protect=True,            # lock every cell except columns with editable=True (no password needed to open)
        )],
        password=None,              # optional; encrypts the whole file (msoffcrypto-tool). Callers read it with
                                    # jykn_lib.io.writer.password_from_env_or_file(), never from the command line.
    ) -> Path

Layout of every sheet: row 1 the title, row 2 the header (bold, frozen below it, autofilter), data from row 3;
identity numbers and phones as text cells; dates as real Excel dates (yyyy-mm-dd); column widths fitted to Chinese text
(a CJK character counts as two); A4 landscape, fit to one page wide, header rows repeated on every printed page.
"""
