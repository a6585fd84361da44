"""Generated answers: prompts, OpenAI-compatible clients, llama.cpp, the verified answerer."""
