"""Start the browser chat: ``python app.py`` (what ``make run`` runs).

Settings come from ``assistant.toml`` and ``ASSISTANT_*`` variables (see
``assistant/settings.py``); the page is served at once while the model loads and the
corpus folder is ingested in the background.
"""

from assistant.interfaces.web.app import launch
from assistant.settings import Settings

if __name__ == "__main__":
    launch(Settings())
