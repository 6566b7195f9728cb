"""jykn check — placeholder until its issue lands."""


def add_arguments(parser):
    pass


def main(args):
    raise SystemExit("jykn check 尚未实现。")
