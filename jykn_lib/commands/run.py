"""jykn run — placeholder until its issue lands."""


def add_arguments(parser):
    pass


def main(args):
    raise SystemExit("jykn run 尚未实现。")
