"""The LangChain retriever over the hybrid search, for use in any LangChain chain."""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.retrieval.filters import Filters
from assistant.retrieval.hybrid import HybridSearch


class NewsRetriever(BaseRetriever):
    """``invoke(query)`` → Documents (chunk text; metadata: doc_id, title, source, offsets,
    scores); ``k`` and ``filters`` override the search's defaults."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    search: HybridSearch
    k: int | None = None
    filters: Filters | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return self.search.search(query, k=self.k, filters=self.filters)
