"""``python -m assistant``: the ``assistant`` command."""

from assistant.interfaces.cli import main

if __name__ == "__main__":
    main()
