"""jykn demo — placeholder until its issue lands."""


def add_arguments(parser):
    pass


def main(args):
    raise SystemExit("jykn demo 尚未实现。")
