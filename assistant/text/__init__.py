"""Korean text analysis, answer-type rules, token counting and the fixed user-facing messages."""
