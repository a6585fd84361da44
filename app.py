"""Start the browser chat: ``python app.py`` (what ``make run`` runs).

Settings come from ``assistant.toml`` and ``ASSISTANT_*`` variables (see
``assistant/settings.py``); the page (and the HTTP API) is served at once while the model
loads and the corpus folder (``corpus/`` of this checkout unless ``corpus_dir`` is set) is
ingested in the background.
"""

from pathlib import Path

from assistant.interfaces.api.server import launch
from assistant.interfaces.runtime import configure_logging, configure_threads
from assistant.settings import Settings

if __name__ == "__main__":
    settings = Settings()
    if settings.corpus_dir is None:  # in the checkout, the bundled articles
        settings = settings.model_copy(update={"corpus_dir": Path(__file__).parent / "corpus"})
    configure_logging(verbose=True)
    configure_threads(settings.query_threads)
    launch(settings)
