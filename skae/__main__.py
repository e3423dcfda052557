"""The ``skae`` command line: ``skae demo {ecg,images,denoise}``.

Run ``skae --help`` or ``python -m skae demo ecg --help`` for the options. TensorFlow is
imported only when a demo runs, so ``--help`` answers quickly.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ._demos import DEMO_FLAGS, DEMOS
from ._version import __version__

__all__ = ["main"]

_EPILOG = """examples:
  skae demo ecg                      # about a minute on 2 CPU cores
  skae demo images --output plots/   # PNGs go to plots/ instead of ./skae_output/images
  skae demo denoise --full -v        # the full recipe, one line per training epoch
"""


def _build_parser() -> argparse.ArgumentParser:
    from ._demos._common import add_common_arguments

    parser = argparse.ArgumentParser(
        prog="skae",
        description="scikit-learn compatible autoencoders: one-command walkthroughs.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"skae {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    demo = commands.add_parser(
        "demo", help="run a walkthrough on bundled data: print its figures, write PNG plots",
        description="Train an autoencoder on bundled data, print its figures beside the "
                    "original tutorial's, and write PNG plots.",
    )
    demos = demo.add_subparsers(dest="demo", metavar="NAME", required=True)
    for name, (_, summary) in DEMOS.items():
        sub = demos.add_parser(name, help=summary, description=summary[0].upper() + summary[1:])
        add_common_arguments(sub, name)
        for flag, text in DEMO_FLAGS.get(name, {}).items():
            sub.add_argument(flag, action="store_true", help=text)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``skae`` command line and return its exit status.

    Parameters
    ----------
    argv : sequence of str, default=None
        The arguments after the program name; ``sys.argv[1:]`` if None.

    Returns
    -------
    status : int
        0 on success; 2 for a usage error (argparse's convention, with a message on
        stderr); 1 if the output folder cannot be created or the demo fails with a
        ValueError (with a message on stderr).

    Examples
    --------
    >>> from skae.__main__ import main
    >>> main(["--version"])  # doctest: +SKIP
    skae 0.1.0
    0
    """
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error already reported
        return exc.code if isinstance(exc.code, int) else 1

    from ._demos import load_demo
    from ._demos._common import DemoContext

    ctx = DemoContext(args, args.demo)
    try:  # before training, not after a minute of it
        ctx.output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return _fail(args.demo, f"cannot create the output folder {str(ctx.output)!r}: {exc}")
    from ._quiet import import_tensorflow_quietly

    import_tensorflow_quietly()  # TensorFlow's C++ log lines stay out of the demo's output
    try:
        load_demo(args.demo).run(ctx)
    except ValueError as exc:
        return _fail(args.demo, str(exc))
    return 0


def _fail(demo: str, message: str) -> int:
    print(f"skae demo {demo}: error: {message}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
