"""Files to articles to chunks to stored vectors: the ingest side of the data flow."""
