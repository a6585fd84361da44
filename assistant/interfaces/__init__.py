"""Entry points over the Assistant: the command line and the browser app."""
