"""The question-answering chain and the Assistant service that holds its parts."""
