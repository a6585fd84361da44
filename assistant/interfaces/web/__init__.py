"""The Gradio browser chat: app layout, the engine it serves from, and HTML rendering."""
