"""`python -m builder.cli`: the `callwright` command line without its console script."""

from builder.cli import main

if __name__ == "__main__":
    main(prog_name="callwright")
