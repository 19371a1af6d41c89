"""``python -m pvsite`` — same as the ``pvsite`` console script."""

from pvsite.cli import main

if __name__ == "__main__":  # pragma: no cover
    main()
