"""jykn synth — placeholder until its issue lands."""


def add_arguments(parser):
    pass


def main(args):
    raise SystemExit("jykn synth 尚未实现。")
