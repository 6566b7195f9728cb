"""jykn templates — placeholder until its issue lands."""


def add_arguments(parser):
    pass


def main(args):
    raise SystemExit("jykn templates 尚未实现。")
