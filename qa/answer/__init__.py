"""Answer: a question read, the hits' sentences scored, and the cited, extractive answer composed and verified."""
