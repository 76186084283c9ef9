"""Index: passages embedded and BM25-indexed into a library, saved, checked and loaded again."""
