"""One module per notebook's analysis, all of one shape (docs/notebook_kit.md): ``decide`` (the rules, no I/O) →
``tables`` → ``workbooks`` → ``figures``, run by :func:`jykn_lib.kit.run`.

    screening     01 主动筛查
    applications  05 认定审核（严格认定）
"""
