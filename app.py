"""Start the browser chat: ``python app.py`` (what ``make run`` runs).

Settings come from ``assistant.toml`` and ``ASSISTANT_*`` variables (see
``assistant/settings.py``); the page is served at once while the model loads and the
corpus folder is ingested in the background.
"""

from assistant.interfaces.runtime import configure_logging, configure_threads
from assistant.interfaces.web.server import launch
from assistant.settings import Settings

if __name__ == "__main__":
    settings = Settings()
    configure_logging(verbose=True)
    configure_threads(settings.query_threads)
    launch(settings)
