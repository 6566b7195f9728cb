"""One module per notebook's analysis, all of one shape (docs/notebook_kit.md): ``decide`` (the rules, no I/O) →
``tables`` → ``workbooks`` → ``figures``, run by :func:`jykn_lib.kit.run`.

    screening     01 主动筛查
    audit         02 定期审验（下发核实表、收回核实表并办理退出）
"""
