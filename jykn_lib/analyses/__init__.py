"""One module per notebook's analysis, all of one shape (docs/notebook_kit.md): ``decide`` (the rules, no I/O) →
``tables`` → ``workbooks`` → ``figures``, run by :func:`jykn_lib.kit.run`.

    screening     01 主动筛查
    audit         02 定期审验（下发核实表、收回核实表并办理退出）
    ledger_review 03 台账检查（实名管理、帮扶服务、政策推送、公益性岗位、省导入文件）
    assessment    04 镇街年度考核（读取本年度各季度保存的结果；年度范围，只做全区）
    applications  05 认定审核（严格认定）
"""
