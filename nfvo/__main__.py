"""``python -m nfvo``: the same as the ``nfvo`` command."""

from nfvo.cli.main import main

main()
